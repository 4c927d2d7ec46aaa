// This file holds `l3 discover URL`: what a Level 3 server says a URL is.

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/l3go/level3"
	"github.com/l3go/level3/profiles"
)

// discoverOptions are the parsed arguments of `l3 discover`.
type discoverOptions struct {
	common commonFlags
	url    string
	json   bool
}

// parseDiscover parses the arguments of `l3 discover`.
func parseDiscover(args []string, s streams) (*discoverOptions, error) {
	o := &discoverOptions{}
	fs := newFlagSet("discover", "URL [--json]", s.err)
	o.common.register(fs)
	fs.BoolVar(&o.json, "json", false, "print JSON instead of a table")
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, usagef("discover: want exactly one URL, got %d arguments", len(pos))
	}
	o.url = pos[0]
	return o, nil
}

func discoverCmd(ctx context.Context, args []string, s streams) error {
	o, err := parseDiscover(args, s)
	if err != nil {
		return err
	}
	return runDiscover(ctx, o, s)
}

// runDiscover discovers o.url and prints it.
func runDiscover(ctx context.Context, o *discoverOptions, s streams) error {
	client, err := o.common.client(s.err)
	if err != nil {
		return err
	}
	ctx, cancel := o.common.context(ctx)
	defer cancel()
	res, err := client.Discover(ctx, o.url)
	if err != nil {
		return err
	}
	if o.json {
		return writeDiscoverJSON(s.out, res)
	}
	writeDiscoverTable(s.out, res)
	if res.Problems != nil {
		fmt.Fprintf(s.err, "l3: warning: %s\n", inertLines(res.Problems.Error()))
	}
	return nil
}

// discoverJSON is the --json shape of a Resource.
type discoverJSON struct {
	URL          string     `json:"url"`
	Status       int        `json:"status"`
	Profiles     []string   `json:"profiles"`
	Allow        []string   `json:"allow"`
	Links        []linkJSON `json:"links"`
	ETag         string     `json:"etag"`
	LastModified string     `json:"last_modified"`
	Redirects    []hopJSON  `json:"redirects"`
}

// hopJSON is the --json shape of one redirect on the way to the resource.
type hopJSON struct {
	URL        string   `json:"url"`
	Status     int      `json:"status"`
	Location   string   `json:"location"`
	Remembered bool     `json:"remembered"`
	Profiles   []string `json:"profiles"`
}

type linkJSON struct {
	Href  string   `json:"href"`
	Rel   []string `json:"rel"`
	Title string   `json:"title"`
}

// writeDiscoverJSON prints res as one JSON object.
func writeDiscoverJSON(w io.Writer, res *level3.Resource) error {
	out := discoverJSON{
		URL:      res.URL.String(),
		Status:   res.Status,
		Profiles: make([]string, 0, len(res.Profiles)),
		Allow:    append(make([]string, 0, len(res.Allow)), res.Allow...),
		Links:    make([]linkJSON, 0, len(res.Links)),
		ETag:     res.ETag,
	}
	out.Redirects = make([]hopJSON, 0, len(res.Redirects))
	for _, h := range res.Redirects {
		hj := hopJSON{URL: h.URL.String(), Status: h.Status, Location: h.Location.String(), Remembered: h.Remembered, Profiles: []string{}}
		for _, p := range h.Profiles() {
			hj.Profiles = append(hj.Profiles, string(p))
		}
		out.Redirects = append(out.Redirects, hj)
	}
	for _, p := range res.Profiles {
		out.Profiles = append(out.Profiles, string(p))
	}
	for _, l := range res.Links {
		out.Links = append(out.Links, linkJSON{Href: l.Href.String(), Rel: append([]string{}, l.Rel...), Title: l.Title})
	}
	if !res.LastModified.IsZero() {
		out.LastModified = res.LastModified.UTC().Format(time.RFC3339)
	}
	enc := newJSONEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeDiscoverTable prints res for people, every value from the server
// made inert.
func writeDiscoverTable(w io.Writer, res *level3.Resource) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	writeRedirects(tw, res)
	fmt.Fprintf(tw, "URL\t%s\n", inert(fmt.Sprint(res.URL)))
	fmt.Fprintf(tw, "Status\t%d %s\n", res.Status, http.StatusText(res.Status))
	names := make([]string, len(res.Profiles))
	for i, p := range res.Profiles {
		if n := p.Name(); n != "" {
			names[i] = n
		} else {
			names[i] = string(p)
		}
	}
	fmt.Fprintf(tw, "Profiles\t%s\n", orDash(inert(strings.Join(names, ", "))))
	fmt.Fprintf(tw, "Allow\t%s\n", orDash(inert(strings.Join(res.Allow, ", "))))
	if res.ContentType != "" {
		fmt.Fprintf(tw, "Content-Type\t%s\n", inert(res.ContentType))
	}
	if res.ContentLength >= 0 {
		fmt.Fprintf(tw, "Content-Length\t%d\n", res.ContentLength)
	}
	if res.ETag != "" {
		fmt.Fprintf(tw, "ETag\t%s\n", inert(res.ETag))
	}
	if !res.LastModified.IsZero() {
		fmt.Fprintf(tw, "Last-Modified\t%s\n", res.LastModified.UTC().Format(http.TimeFormat))
	}
	for _, kv := range [][2]string{{"Accept-Ranges", res.AcceptRanges}, {"Accept-Patch", strings.Join(res.AcceptPatch, ", ")}, {"Idempotency-Key", res.IdempotencyKey}} {
		if kv[1] != "" {
			fmt.Fprintf(tw, "%s\t%s\n", kv[0], inert(kv[1]))
		}
	}
	tw.Flush()
	if len(res.Links) == 0 {
		return
	}
	fmt.Fprintln(w, "Links")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, l := range res.Links {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", inert(shortRels(l.Rel)), inert(relativeTo(res, l)), inert(l.Title))
	}
	tw.Flush()
}

// shortRels shortens level3.rest relation URIs to their pattern#name.
func shortRels(rels []string) string {
	out := make([]string, len(rels))
	for i, r := range rels {
		out[i] = strings.TrimPrefix(strings.TrimPrefix(r, "https://level3.rest/patterns/"), "http://level3.rest/patterns/")
	}
	return strings.Join(out, " ")
}

// relativeTo prints a link's target as a path when it is on the same origin.
func relativeTo(res *level3.Resource, l level3.Link) string {
	if res.URL != nil && l.Href.Scheme == res.URL.Scheme && l.Href.Host == res.URL.Host {
		return l.Href.RequestURI()
	}
	return l.Href.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeRedirects prints the redirects that led to res, one block each: the
// URL asked, labelled Alias when it is one (307, 308 or the Alias profile),
// then its status, where it points and its profiles.
func writeRedirects(tw io.Writer, res *level3.Resource) {
	for _, h := range res.Redirects {
		label := "Redirect"
		if h.Status == http.StatusTemporaryRedirect || h.Status == http.StatusPermanentRedirect || h.Profiles().Has(profiles.Alias) {
			label = "Alias"
		}
		fmt.Fprintf(tw, "%s\t%s\n", label, inert(fmt.Sprint(h.URL)))
		remembered := ""
		if h.Remembered {
			remembered = " (remembered)"
		}
		fmt.Fprintf(tw, "\t%d %s%s -> %s\n", h.Status, http.StatusText(h.Status), remembered, inert(fmt.Sprint(h.Location)))
		if names := profileNames(h.Profiles()); names != "" {
			fmt.Fprintf(tw, "\tprofiles: %s\n", inert(names))
		}
	}
}

// profileNames lists profiles by short name (the URI when it has none).
func profileNames(set profiles.Set) string {
	names := make([]string, len(set))
	for i, p := range set {
		if n := p.Name(); n != "" {
			names[i] = n
		} else {
			names[i] = string(p)
		}
	}
	return strings.Join(names, ", ")
}
