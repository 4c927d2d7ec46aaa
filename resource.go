// This file holds discovery: a HEAD (or GET) of a URL read into a typed
// Resource with its profiles, allowed methods, links and validators. Links are
// parsed in links.go and profiles in the profiles package.

package level3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/l3go/level3/profiles"
)

// Resource is what a Level 3 server says about a URL in the headers of a HEAD
// or GET response. Malformed header values are left out (and Problems says
// why) rather than failing the whole discovery.
type Resource struct {
	URL            *url.URL     // final URL, after any redirects
	Redirects      []Hop        // redirects followed from the URL asked for to URL, in order; see Alias
	Status         int          // status of the HEAD or GET
	Profiles       profiles.Set // from the profile header, in order
	Allow          []string     // methods from the allow header, upper-cased
	Links          Links        // from the link header(s), in order, resolved against URL
	Validators                  // ETag and LastModified: the Entity mixin's validators
	ContentType    string       // content-type as sent
	ContentLength  int64        // -1 when unknown
	AcceptPatch    []string     // media types from accept-patch
	AcceptRanges   string       // "bytes", "none" or ""
	IdempotencyKey string       // "optional", "required" or "" (Form resources)
	Header         http.Header  // the whole response header
	Problems       error        // header values that could not be parsed; nil when all were fine

	client *Client
	// scope is the credential scope of the call that produced the resource:
	// requests to the URLs it names carry credentials only where that call
	// could (see WithCredentialOrigins).
	scope callScope
}

// Discover learns what url is: it sends HEAD and, when the server refuses HEAD
// with 405 or 501, GET (discarding the body). A status of 400 or more is a
// typed error, as with [Client.Do].
//
// Redirects are followed as by [Client.Do], except that Discover asks every
// URL of the chain itself instead of going straight to a remembered target
// (it still teaches the memory): for an Alias, Resource.URL and the headers
// are the target's, and [Resource.Alias] gives the alias's own answer, its
// status, Location and profiles.
//
// Requests made from the Resource to the URLs it names ([Resource.Follow],
// [Resource.Children], [Resource.Upload]...) carry credentials only to the
// origin of url (or to origins allowed with [WithCredentialOrigins]).
func (c *Client) Discover(ctx context.Context, url string) (*Resource, error) {
	if err := c.check(ctx, "Client.Discover"); err != nil {
		return nil, err
	}
	tr := &redirectTrace{skipMemory: true}
	ctx = context.WithValue(withCallOriginOf(ctx, url), redirectTraceKey{}, tr)
	resp, err := c.discoverRequest(ctx, http.MethodHead, url)
	var re *ResponseError
	if errors.As(err, &re) && (re.StatusCode == http.StatusMethodNotAllowed || re.StatusCode == http.StatusNotImplemented) {
		resp, err = c.discoverRequest(ctx, http.MethodGet, url)
	}
	if err != nil {
		return nil, err
	}
	drainAndClose(resp.Body)
	r := newResource(resp)
	r.Redirects = tr.hops
	r.client = c
	r.scope = recordScope(ctx)
	return r, nil
}

// discoverRequest sends one bodiless request for discovery.
func (c *Client) discoverRequest(ctx context.Context, method, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, fmt.Errorf("level3: discover: %w", err)
	}
	return c.Do(req)
}

// ResourceFromResponse reads the Level 3 headers of resp into a Resource. It
// does not touch the body. Use it to inspect a response got by other means; the
// Resource it returns cannot [Resource.Follow] (it has no Client). A nil resp
// gives a nil Resource, whose read-only methods report an empty resource.
func ResourceFromResponse(resp *http.Response) *Resource {
	if resp == nil {
		return nil
	}
	return newResource(resp)
}

// newResource reads the Level 3 headers of resp.
func newResource(resp *http.Response) *Resource {
	h := resp.Header
	r := &Resource{
		Status:         resp.StatusCode,
		Validators:     Validators{ETag: h.Get("Etag")},
		ContentType:    h.Get("Content-Type"),
		ContentLength:  resp.ContentLength,
		AcceptRanges:   strings.ToLower(strings.TrimSpace(h.Get("Accept-Ranges"))),
		IdempotencyKey: strings.ToLower(strings.TrimSpace(h.Get("Idempotency-Key"))),
		Header:         h,
	}
	if resp.Request != nil {
		r.URL = resp.Request.URL
	}
	// A HEAD response has no body, so net/http leaves ContentLength at -1;
	// the header still says how long a GET would be.
	if cl := h.Get("Content-Length"); cl != "" && (r.ContentLength < 0 || resp.Request != nil && resp.Request.Method == http.MethodHead) {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			r.ContentLength = n
		}
	}
	var problems []error
	var err error
	if r.Profiles, err = profiles.Parse(h.Values("Profile")...); err != nil {
		problems = append(problems, fmt.Errorf("profile header: %w", err))
	}
	if r.Links, err = ParseLinks(h.Values("Link"), r.URL); err != nil {
		problems = append(problems, fmt.Errorf("link header: %w", err))
	}
	r.Allow = splitList(h.Values("Allow"), strings.ToUpper)
	r.AcceptPatch = splitList(h.Values("Accept-Patch"), strings.ToLower)
	if lm := h.Get("Last-Modified"); lm != "" {
		if t, err := http.ParseTime(lm); err == nil {
			r.LastModified = t
		} else {
			problems = append(problems, fmt.Errorf("last-modified header: %w", err))
		}
	}
	r.Problems = errors.Join(problems...)
	return r
}

// splitList splits comma-separated header values into trimmed, non-empty
// elements passed through norm.
func splitList(values []string, norm func(string) string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, norm(part))
			}
		}
	}
	return out
}

// Has reports whether the resource declares profile p (http/https forms and
// Root/Home are the same profile).
func (r *Resource) Has(p profiles.Profile) bool { return r != nil && r.Profiles.Has(p) }

// Allows reports whether the allow header lists method (case-insensitive).
func (r *Resource) Allows(method string) bool {
	if r == nil {
		return false
	}
	for _, m := range r.Allow {
		if strings.EqualFold(m, method) {
			return true
		}
	}
	return false
}

// Link returns the first link with relation rel, and whether there is one.
// rel is a registered name ("next") or an extension URI; see [Link.HasRel].
func (r *Resource) Link(rel string) (Link, bool) {
	if r == nil {
		return Link{}, false
	}
	return r.Links.First(rel)
}

// Follow discovers the target of the first link with relation rel. It returns
// an error wrapping [ErrNoLink] when there is none. The link was chosen by
// the server: the request carries credentials only to the origin of the call
// that discovered r (or to origins allowed with [WithCredentialOrigins]).
func (r *Resource) Follow(ctx context.Context, rel string) (*Resource, error) {
	c, err := r.requester(ctx, "Resource.Follow")
	if err != nil {
		return nil, err
	}
	l, ok := r.Link(rel)
	if !ok {
		return nil, fmt.Errorf("%w: %q at %s", ErrNoLink, rel, redactURL(r.URL))
	}
	return c.Discover(r.scoped(ctx), l.Href.String())
}

// scoped returns ctx in the credential scope r was discovered in. A
// Resource the Client did not make (from [ResourceFromResponse], or built
// by hand into a [Form]) records none: its URL is the caller's own choice,
// scoped as [Client.Do] scopes a request.
func (r *Resource) scoped(ctx context.Context) context.Context {
	if r.client == nil {
		return ctx
	}
	return withScope(ctx, r.scope)
}

// Alias returns the first redirect of the chain that led to r when the URL
// asked for is an Alias: it answered 307 or 308, or its profile header lists
// the Alias profile. The Hop holds the alias's URL, status, Location and
// header; Hop.Profiles gives its profiles (Alias plus the target's). It
// returns false when the URL asked for answered itself.
func (r *Resource) Alias() (Hop, bool) {
	if r == nil || len(r.Redirects) == 0 {
		return Hop{}, false
	}
	h := r.Redirects[0]
	if h.Status == http.StatusTemporaryRedirect || h.Status == http.StatusPermanentRedirect || h.Profiles().Has(profiles.Alias) {
		return h, true
	}
	return Hop{}, false
}
