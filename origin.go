// This file holds the credential scope, the one rule that keeps credentials
// on their origin: a request carries Authorization, Proxy-Authorization,
// Cookie, Cookie2 and [RedirectPolicy.SensitiveHeaders] only to the origin of
// the call the caller made, or to an origin the caller allowed with
// [WithCredentialOrigins]. The origin of the call travels in the request
// context (withCallOrigin); the layer that applies the rule sits at the
// bottom of the pipeline (credentialLayer), so every request that reaches the
// wire passes it: redirect hops, retries, preflight probes, polls and every
// request the SDK derives from a server's answer. The redirect layer
// (redirect.go) only marks the hops that follow a chain's exit from the
// scope, and the cache (cache.go) keys stored responses by the same headers.

package level3

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// credentialHeaders are the credentials every request is scoped by, before
// the caller's RedirectPolicy.SensitiveHeaders.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Cookie2"}

// WithCredentialOrigins allows the Client to send its credentials
// (Authorization, Proxy-Authorization, Cookie, Cookie2 and
// [RedirectPolicy.SensitiveHeaders], however they were set: [WithHeader], a
// middleware or the request itself) to the origins given, besides the origin
// of each call. Each origin is an absolute http or https URL with a host and
// nothing after it but an optional "/", such as "https://files.example.com"
// or "http://127.0.0.1:8080"; the port defaults to the scheme's. Wildcards
// are not supported. The option may be given several times.
//
// Without it, credentials go only to the origin (scheme, host and port, RFC
// 6454) of the URL the caller passed to the call: a request the Client makes
// by itself to a URL a server chose (a redirect hop, a poll of a 202's
// location, [Resource.Follow], [Client.Pages], the HEAD of
// [UploadOptions.FetchValidators], the GET after a 303...) is sent without
// them when that URL is on another origin, and once a redirect chain has
// passed through such an origin, none of its later hops carries them, even
// back on the caller's origin. An origin allowed here gets them on any
// request, whatever chose its URL.
func WithCredentialOrigins(origins ...string) Option {
	return func(c *Client) error {
		for _, o := range origins {
			canon, err := parseOrigin(o)
			if err != nil {
				return fmt.Errorf("level3: WithCredentialOrigins: %w", err)
			}
			if c.credentialOrigins == nil {
				c.credentialOrigins = make(map[string]bool)
			}
			c.credentialOrigins[canon] = true
		}
		return nil
	}
}

// errNotOrigin is parseOrigin's error, wrapped with the value.
var errNotOrigin = errors.New("not an origin (want scheme://host[:port], http or https)")

// parseOrigin checks that s names an origin and returns it in the form
// origin gives.
func parseOrigin(s string) (string, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", fmt.Errorf("%q: %w", s, err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.Hostname() == "",
		u.User != nil, u.Path != "" && u.Path != "/", u.RawQuery != "", u.ForceQuery, u.Fragment != "",
		strings.Contains(u.Host, "*"):
		return "", fmt.Errorf("%q: %w", s, errNotOrigin)
	}
	canon := origin(u)
	if again, err := url.Parse(canon); err != nil || origin(again) != canon {
		return "", fmt.Errorf("%q: %w", s, errNotOrigin) // a host url.Parse lets through but cannot read back
	}
	return canon, nil
}

// scopeKey carries a callScope through the request context.
type scopeKey struct{}

// callScope is where the credentials of a request may go besides the
// origins allowed with WithCredentialOrigins: the origin of the URL the
// caller gave to the call (only its scheme and host are read). A nil URL
// means no origin of its own: a redirect chain that has left the scope, or
// a Poller resumed from a token that recorded none.
type callScope struct{ origin *url.URL }

// scopeOf returns the scope ctx carries, if any.
func scopeOf(ctx context.Context) (callScope, bool) {
	s, ok := ctx.Value(scopeKey{}).(callScope)
	return s, ok
}

// withScope returns ctx scoped to s, unless ctx is scoped already: every
// request made with it, however its URL was chosen, then carries
// credentials only where s permits.
func withScope(ctx context.Context, s callScope) context.Context {
	if _, ok := scopeOf(ctx); ok {
		return ctx
	}
	return context.WithValue(ctx, scopeKey{}, s)
}

// withCallOrigin returns ctx scoped to the origin of u, unless ctx is
// scoped already. Each SDK operation calls it with the URL the caller gave,
// before the requests it derives from the answers.
func withCallOrigin(ctx context.Context, u *url.URL) context.Context {
	return withScope(ctx, callScope{origin: u})
}

// withCallOriginOf is withCallOrigin for a URL not parsed yet; a URL that
// does not parse leaves ctx as it is (the request will fail on it).
func withCallOriginOf(ctx context.Context, rawURL string) context.Context {
	if _, ok := scopeOf(ctx); ok {
		return ctx
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return ctx
	}
	return withCallOrigin(ctx, u)
}

// withoutCallOrigin returns ctx with a scope that has no origin of its own:
// only the origins allowed with WithCredentialOrigins get credentials.
func withoutCallOrigin(ctx context.Context) context.Context {
	if s, ok := scopeOf(ctx); ok && s.origin == nil {
		return ctx
	}
	return context.WithValue(ctx, scopeKey{}, callScope{})
}

// recordScope returns the scope of ctx for a value that outlives the call
// (a Resource, a Poller), keeping only the scheme and host of its origin.
// An unscoped ctx gives a scope without an origin.
func recordScope(ctx context.Context) callScope {
	s, _ := scopeOf(ctx)
	if s.origin == nil {
		return callScope{}
	}
	return callScope{origin: &url.URL{Scheme: s.origin.Scheme, Host: s.origin.Host}}
}

// credentialPolicy is the rule: which headers are credentials, and which
// origins get them besides the origin of the call.
type credentialPolicy struct {
	names   []string        // canonical header names
	allowed map[string]bool // canonical origins (see origin)
}

// newCredentialPolicy returns the policy for the sensitive header names
// (canonical) and allowed origins of a Client.
func newCredentialPolicy(sensitive []string, allowed map[string]bool) *credentialPolicy {
	names := append([]string(nil), credentialHeaders...)
	for _, n := range sensitive {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return &credentialPolicy{names: names, allowed: allowed}
}

// sensitive reports whether the header field name (in any case) is a
// credential.
func (p *credentialPolicy) sensitive(name string) bool {
	for _, n := range p.names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// permits reports whether a request in scope s may carry credentials to u.
func (p *credentialPolicy) permits(s callScope, u *url.URL) bool {
	if s.origin != nil && sameOrigin(s.origin, u) {
		return true
	}
	return len(p.allowed) > 0 && p.allowed[origin(u)]
}

// credentialLayer returns the pipeline layer that applies p: a request whose
// URL p does not permit for its scope goes on without its credentials. A
// request without a scope is scoped to its own URL, as [Client.Do] scopes
// every call.
func credentialLayer(p *credentialPolicy, logger *slog.Logger) Middleware {
	return func(next Doer) Doer {
		return DoerFunc(func(req *http.Request) (*http.Response, error) {
			var drop []string
			for name := range req.Header {
				if p.sensitive(name) {
					drop = append(drop, name)
				}
			}
			if len(drop) == 0 {
				return next.Do(req)
			}
			s, ok := scopeOf(req.Context())
			if !ok {
				s = callScope{origin: req.URL}
			}
			if p.permits(s, req.URL) {
				return next.Do(req)
			}
			out := req.WithContext(req.Context()) // a shallow copy
			out.Header = make(http.Header, len(req.Header))
			for name, vals := range req.Header {
				if !slices.Contains(drop, name) {
					out.Header[name] = vals
				}
			}
			if logger.Enabled(req.Context(), slog.LevelDebug) {
				names := make([]string, len(drop))
				for i, n := range drop {
					names[i] = http.CanonicalHeaderKey(n)
				}
				slices.Sort(names)
				logger.LogAttrs(req.Context(), slog.LevelDebug, "level3: credentials withheld from another origin",
					slog.String("method", req.Method), slog.String("url", redactURL(req.URL)),
					slog.Any("headers", names))
			}
			return next.Do(out)
		})
	}
}

// sameOrigin reports whether a and b have the same origin, as comparing
// origin(a) and origin(b) would, without building either string.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) &&
		effectivePort(a) == effectivePort(b)
}

// origin returns u's origin (RFC 6454 §4) as scheme://host:port, in lower
// case with the port always explicit, so that http://a and http://A:80 are
// the same origin and http://a:8080 is another.
func origin(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), effectivePort(u))
}

// effectivePort returns u's port, or its scheme's default (80, or 443 for
// https) when the URL gives none.
func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}
