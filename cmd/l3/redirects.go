// This file holds `l3 redirects`: show and edit the memory of permanent
// redirects that every command shares (cache.go says where it lives). URLs
// are printed with their credentials hidden, as in error messages.

package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/l3go/level3/internal/redact"
	"github.com/l3go/level3/redirects"
)

// redirectsOptions are the parsed arguments of `l3 redirects`.
type redirectsOptions struct {
	forget string // URL whose entry to delete
	clear  bool
	json   bool
	store  string // --store: the memory in Redis instead of the file (cache.go)
}

// parseRedirects parses the arguments of `l3 redirects`.
func parseRedirects(args []string, s streams) (*redirectsOptions, error) {
	o := &redirectsOptions{}
	fs := newFlagSet("redirects", "[--forget URL | --clear] [--json] [--store URL]", s.err)
	fs.StringVar(&o.forget, "forget", "", "forget the permanent redirect remembered for `URL`")
	fs.BoolVar(&o.clear, "clear", false, "forget every remembered redirect")
	fs.BoolVar(&o.json, "json", false, "print JSON instead of a table")
	fs.StringVar(&o.store, "store", "", "the memory kept in Redis at `URL` by commands run with --store, instead of the file in the user's cache directory")
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 0 {
		return nil, usagef("redirects: unexpected argument %q (use --forget URL to forget one)", pos[0])
	}
	if o.forget != "" && o.clear {
		return nil, usagef("redirects: use either --forget or --clear")
	}
	if o.forget != "" {
		u, err := url.Parse(o.forget)
		if err != nil || redirects.Key(u) == "" {
			return nil, usagef("redirects: --forget wants an absolute http or https URL, got %q", redact.String(o.forget))
		}
		o.forget = redirects.Key(u)
	}
	return o, nil
}

func redirectsCmd(_ context.Context, args []string, s streams) error {
	o, err := parseRedirects(args, s)
	if err != nil {
		return err
	}
	return runRedirects(o, s)
}

// runRedirects lists, forgets or clears the remembered redirects.
func runRedirects(o *redirectsOptions, s streams) error {
	f, where, closeMemory, err := openRedirectMemory(o.store)
	if err != nil {
		return err
	}
	defer closeMemory()
	switch {
	case o.clear:
		if err := f.Clear(); err != nil {
			return err
		}
		fmt.Fprintf(s.err, "forgot every redirect in %s\n", where)
		return nil
	case o.forget != "":
		if _, ok, _ := f.Get(o.forget); !ok {
			return fmt.Errorf("no redirect remembered for %s in %s", redact.String(o.forget), where)
		}
		if err := f.Delete(o.forget); err != nil {
			return err
		}
		fmt.Fprintf(s.err, "forgot %s\n", redact.String(o.forget))
		return nil
	}
	entries, err := f.Entries()
	if err != nil {
		return err
	}
	for i := range entries {
		entries[i].From, entries[i].To = redact.String(entries[i].From), redact.String(entries[i].To)
	}
	if o.json {
		return writeRedirectsJSON(s.out, where, entries)
	}
	writeRedirectsTable(s.out, where, entries)
	return nil
}

// redirectsJSON is the --json shape of the memory.
type redirectsJSON struct {
	Path    string            `json:"path"`
	Entries []redirects.Entry `json:"entries"`
}

// writeRedirectsJSON prints the memory as one JSON object.
func writeRedirectsJSON(w io.Writer, path string, entries []redirects.Entry) error {
	if entries == nil {
		entries = []redirects.Entry{}
	}
	enc := newJSONEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(redirectsJSON{Path: path, Entries: entries})
}

// writeRedirectsTable prints the memory for people, most recently used
// first.
func writeRedirectsTable(w io.Writer, path string, entries []redirects.Entry) {
	fmt.Fprintf(w, "%d permanent redirects remembered in %s\n", len(entries), path)
	if len(entries) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FROM\tTO\tLEARNED\tEXPIRES")
	for _, e := range entries {
		expires := "never"
		if !e.Expires.IsZero() {
			expires = e.Expires.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", inert(e.From), inert(e.To), e.Created.UTC().Format(time.RFC3339), expires)
	}
	tw.Flush()
}
