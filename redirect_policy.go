// This file holds what a caller configures and sees of redirects: the
// RedirectPolicy and its options, the Hop that records one redirect, and
// RedirectError for a chain the policy stops. The decisions are in
// redirect_decide.go and the pipeline layer in redirect.go.

package level3

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/l3go/level3/profiles"
	"github.com/l3go/level3/redirects"
)

// RedirectPolicy says which redirects the Client follows and how
// ([WithRedirectPolicy]). The zero value is the default, which [New] uses:
// at most 10 redirects per call, cross-origin redirects followed without
// credentials and not remembered, no https → http.
//
// The Client follows 301, 302, 303, 307 and 308 with a Location header, as
// the Fetch standard does (https://fetch.spec.whatwg.org/#http-redirect-fetch)
// and RFC 9110 §15.4 allows:
//
//   - 307 and 308 repeat the same method, headers and body at the new URL
//     (Level 3 Alias). The body is replayed from the request's GetBody, so
//     build requests with [NewRequest] to replay files and seekers without
//     buffering; a body that cannot be replayed stops the chain with an error
//     wrapping [ErrBodyNotReplayable].
//   - 303 See Other (Level 3 Action and Lookup) fetches the new URL with GET
//     and no body (HEAD stays HEAD). The headers that describe the body
//     (Content-Type, Content-Encoding, ...) and those that only make sense for
//     the original request (If-Match, If-None-Match, If-Modified-Since,
//     If-Unmodified-Since, If-Range, Range, Expect, Idempotency-Key, Slug)
//     are not sent with it.
//   - 301 and 302 turn POST into a GET without a body, for historical reasons
//     (RFC 9110 §15.4.2); other methods are repeated as with 307.
//
// A 308 Permanent Redirect is also remembered (see [WithRedirectStore]).
type RedirectPolicy struct {
	// MaxRedirects is how many redirects one call may follow, counting
	// those taken from the 308 memory. One more gives an error wrapping
	// [ErrTooManyRedirects]. Zero means 10; a negative number follows
	// none: 3xx responses are returned as they are, and the 308 memory is
	// not used.
	MaxRedirects int
	// CrossOrigin says what to do with a redirect to another origin
	// (scheme, host and port, RFC 6454). The zero value,
	// [FollowCrossOrigin], follows it (without credentials: see
	// [WithCredentialOrigins]) and does not remember it.
	CrossOrigin CrossOriginPolicy
	// AllowDowngrade lets a redirect lead from https to http. Without it such
	// a redirect stops the chain with an error wrapping
	// [ErrInsecureRedirect].
	AllowDowngrade bool
	// SensitiveHeaders names request headers that, like Authorization,
	// Cookie, Cookie2 and Proxy-Authorization, are credentials: typically
	// API keys in custom headers such as X-Api-Key. They apply to every
	// request, not only to redirects: never sent to an origin other than
	// that of the call (unless allowed with [WithCredentialOrigins]), and
	// part of the cache's key (see [CachedResponse]).
	SensitiveHeaders []string
}

// defaultMaxRedirects is what a zero RedirectPolicy.MaxRedirects means.
const defaultMaxRedirects = 10

// limit returns how many redirects p lets a call follow: MaxRedirects,
// with zero meaning the default and a negative number none.
func (p *RedirectPolicy) limit() int {
	switch {
	case p.MaxRedirects == 0:
		return defaultMaxRedirects
	case p.MaxRedirects < 0:
		return 0
	}
	return p.MaxRedirects
}

// CrossOriginPolicy says how the Client treats a redirect that leads to
// another origin. Whatever the policy, the credentials of the call's origin
// (Authorization, Cookie, Cookie2, Proxy-Authorization and
// [RedirectPolicy.SensitiveHeaders]) are not sent there, nor to any later hop
// of the chain, even one that comes back, unless that origin was allowed
// with [WithCredentialOrigins]. This is stricter than net/http, which keeps
// them for a subdomain or another port of the same host; it is what the
// Fetch standard does.
type CrossOriginPolicy int

const (
	// FollowCrossOrigin follows redirects to other origins, but does not
	// remember a 308 that points to another origin: each call asks the
	// first origin again, so it keeps control over where its clients go.
	FollowCrossOrigin CrossOriginPolicy = iota
	// TrustCrossOrigin also remembers a 308 that points to another origin,
	// so later calls, bodies included, go there directly. Use it only when
	// the origins involved are all trusted.
	TrustCrossOrigin
	// RefuseCrossOrigin stops at a redirect to another origin with an error
	// wrapping [ErrCrossOriginRedirect].
	RefuseCrossOrigin
)

// String returns the constant's name.
func (p CrossOriginPolicy) String() string {
	switch p {
	case FollowCrossOrigin:
		return "FollowCrossOrigin"
	case TrustCrossOrigin:
		return "TrustCrossOrigin"
	case RefuseCrossOrigin:
		return "RefuseCrossOrigin"
	}
	return fmt.Sprintf("CrossOriginPolicy(%d)", int(p))
}

// validate reports a policy that cannot work and returns a copy with the
// sensitive header names canonicalized.
func (p RedirectPolicy) validate() (RedirectPolicy, error) {
	if p.CrossOrigin < FollowCrossOrigin || p.CrossOrigin > RefuseCrossOrigin {
		return p, fmt.Errorf("level3: RedirectPolicy.CrossOrigin: unknown %v", p.CrossOrigin)
	}
	names := make([]string, 0, len(p.SensitiveHeaders))
	for _, name := range p.SensitiveHeaders {
		if !validHeaderName(name) {
			return p, fmt.Errorf("level3: RedirectPolicy.SensitiveHeaders: invalid header name %q", name)
		}
		names = append(names, http.CanonicalHeaderKey(name))
	}
	p.SensitiveHeaders = names
	return p, nil
}

// WithRedirectPolicy sets the redirect policy; see [RedirectPolicy] for its
// defaults (the zero RedirectPolicy, which [New] uses). To follow no
// redirects:
//
//	level3.WithRedirectPolicy(level3.RedirectPolicy{MaxRedirects: -1})
func WithRedirectPolicy(p RedirectPolicy) Option {
	return func(c *Client) error {
		p, err := p.validate()
		if err != nil {
			return err
		}
		c.redirect = p
		return nil
	}
}

// WithRedirectStore sets where the Client remembers permanent redirects.
// After a 308 the next request for the same URL, with any method, goes
// straight to the target in one round trip. The default is a
// [redirects.Memory] of [redirects.DefaultSize] entries, private to the
// Client; pass a [redirects.File] to keep the memory across restarts, or nil
// to remember nothing.
//
// The memory only saves round trips; it never changes an answer. An entry is
// written only from a 308 answered by the URL it is for, so one origin cannot
// plant entries for another; a 308 to another origin is remembered only under
// [TrustCrossOrigin]; a chain of 308s is remembered as one entry to its end;
// a 308 whose Cache-Control says no-store, no-cache or max-age=0 is not
// remembered, and max-age=N makes the entry expire (RFC 9111 §5.2.2). When
// the remembered target answers 404 or 410, or leads into a loop, the entries
// used are forgotten and the request is sent to the original URL again
// (when its body can be replayed). [Client.Forget] forgets one URL.
func WithRedirectStore(s redirects.Store) Option {
	return func(c *Client) error {
		c.redirectStore = s
		return nil
	}
}

// Hop is one redirect on the way from the URL asked for to the one that
// answered.
type Hop struct {
	Method   string   // method of the request that was redirected
	URL      *url.URL // the URL that redirected
	Status   int      // 301, 302, 303, 307 or 308
	Location *url.URL // where it pointed, resolved against URL
	// Remembered is true when the hop came from the 308 memory: no request
	// was sent to URL, and Header is nil.
	Remembered bool
	Header     http.Header // header of the redirect response

	remember bool      // a 308 the memory may keep
	expires  time.Time // when a remembered entry for it would expire; zero: never
}

// Profiles returns the profiles the redirect response declared: for a Level 3
// Alias, Alias plus the target's profiles. It is empty for a remembered hop.
// Malformed values are skipped.
func (h Hop) Profiles() profiles.Set {
	set, _ := profiles.Parse(h.Header.Values("Profile")...)
	return set
}

// String reads "GET https://a.example/old -308-> https://a.example/new",
// with "(remembered)" after the status when the hop came from the memory.
func (h Hop) String() string {
	var b strings.Builder
	b.WriteString(h.Method)
	b.WriteByte(' ')
	b.WriteString(redactURL(h.URL))
	fmt.Fprintf(&b, " -%d", h.Status)
	if h.Remembered {
		b.WriteString(" (remembered)")
	}
	b.WriteString("-> ")
	if h.Location != nil {
		b.WriteString(redactURL(h.Location))
	} else {
		b.WriteString("?")
	}
	return b.String()
}

// RedirectError is returned (inside the *url.Error of [Client.Do]) when the
// Client stops following a chain of redirects because of its policy. Err is
// one of [ErrTooManyRedirects], [ErrRedirectLoop], [ErrInsecureRedirect],
// [ErrCrossOriginRedirect], [ErrBadLocation] or [ErrBodyNotReplayable], or the
// error returned by the CheckRedirect function of the caller's *http.Client,
// so
//
//	errors.Is(err, level3.ErrRedirectLoop)
//
// tells which. The last of Hops is the redirect that was not followed. The
// redirect responses have been read and closed.
type RedirectError struct {
	Hops []Hop
	Err  error
}

// Error reads "level3: redirect loop: GET http://a/x -308-> http://a/y, GET
// http://a/y -308-> http://a/x".
func (e *RedirectError) Error() string {
	var b strings.Builder
	b.WriteString(strings.TrimPrefix(e.Err.Error(), "level3: "))
	for i, h := range e.Hops {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(h.String())
	}
	return "level3: " + b.String()
}

// Unwrap returns Err.
func (e *RedirectError) Unwrap() error { return e.Err }
