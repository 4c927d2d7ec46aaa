// This file holds the cache layer's decisions, each a small pure function
// that cache.go's layer loops around: which requests may use the cache
// (cacheUse), which responses may be stored (storable), which stored
// response a request selects (varyValues, varyMatches), how to revalidate
// and how a 304 refreshes a stored response (conditionalHeaders, freshen),
// and which URLs a change invalidates (invalidatedURLs).

package level3

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// cacheUse decides whether req may use the cache. It returns "" to look the
// URL up, or the RFC 9211 forward reason "bypass" with why not. Only GET is
// cached; requests the caller made conditional or ranged manage validation
// themselves.
func cacheUse(req *http.Request) (fwd string, why string) {
	h := req.Header
	switch {
	case req.Method != http.MethodGet:
		return "method", "not a GET"
	case req.Context().Value(cacheBypassKey{}) != nil:
		return "bypass", "NoCache"
	case h.Get("Range") != "":
		return "bypass", "ranged request"
	case h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != "" || h.Get("If-Match") != "" ||
		h.Get("If-Unmodified-Since") != "" || h.Get("If-Range") != "":
		return "bypass", "caller's own preconditions"
	case hasDirective(h.Values("Cache-Control"), "no-store"):
		return "bypass", "cache-control: no-store"
	case req.Body != nil && req.Body != http.NoBody:
		return "bypass", "request has a body"
	}
	return "", ""
}

// storable reports whether resp, the answer to a cacheable GET, may be
// stored by a cache that keeps at most maxBody body bytes: a 200 with a
// validator, not marked no-store, not varying on everything, and not known
// to be too long.
func storable(resp *http.Response, maxBody int64) bool {
	h := resp.Header
	v := ValidatorsOf(h)
	switch {
	case resp.StatusCode != http.StatusOK:
		return false
	case v.ETag == "" && v.LastModified.IsZero():
		return false
	case hasDirective(h.Values("Cache-Control"), "no-store"):
		return false
	case h.Get("Content-Range") != "":
		return false
	case resp.ContentLength > maxBody:
		return false
	}
	for _, name := range splitList(h.Values("Vary"), http.CanonicalHeaderKey) {
		if name == "*" {
			return false
		}
	}
	return true
}

// credentialsVary is the key of [CachedResponse.Vary] that holds the digest
// of the request's credentials. It is not a header name (a token has no
// parentheses), so no Vary field can collide with it.
const credentialsVary = "(credentials)"

// varyValues records, for a response with header h, the values of req's
// header fields that select it: those named by Vary, and every credential
// of creds always, as one digest, so one user's response is never
// revalidated for another. A credential named by Vary is covered by the
// digest and never kept in clear; a Vary naming the digest's own key
// cannot replace it.
func varyValues(req *http.Request, h http.Header, creds *credentialPolicy) map[string]string {
	out := map[string]string{credentialsVary: credentialDigest(req.Header, creds)}
	for _, name := range splitList(h.Values("Vary"), http.CanonicalHeaderKey) {
		if name != credentialsVary && !creds.sensitive(name) {
			out[name] = strings.Join(req.Header.Values(name), ", ")
		}
	}
	return out
}

// credentialDigest returns a digest of every credential field of h (the
// names creds lists, under any spelling of the key), or "" when h carries
// none, so that requests without credentials share stored responses.
func credentialDigest(h http.Header, creds *credentialPolicy) string {
	var b strings.Builder
	var keys []string
	for _, name := range creds.names {
		keys = keys[:0]
		for k := range h {
			if strings.EqualFold(k, name) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			for _, v := range h[k] {
				b.WriteString(name)
				b.WriteByte(0)
				b.WriteString(v)
				b.WriteByte('\n')
			}
		}
	}
	if b.Len() == 0 {
		return ""
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:16])
}

// varyMatches reports whether req selects the stored response r. A
// response stored without a credentials digest (by an older version, or by
// hand) selects nothing: it cannot say whose it was.
func varyMatches(r *CachedResponse, req *http.Request, creds *credentialPolicy) bool {
	if want, ok := r.Vary[credentialsVary]; !ok || want != credentialDigest(req.Header, creds) {
		return false
	}
	for name, want := range r.Vary {
		if name == credentialsVary {
			continue
		}
		if got := strings.Join(req.Header.Values(name), ", "); got != want {
			return false
		}
	}
	return true
}

// conditionalHeaders returns the validators to revalidate r with:
// If-None-Match with its entity tag (weak or strong: RFC 9110 §13.1.2 uses
// weak comparison), and If-Modified-Since with its date.
func conditionalHeaders(r *CachedResponse) (ifNoneMatch, ifModifiedSince string) {
	v := ValidatorsOf(r.Header)
	if !v.LastModified.IsZero() {
		ifModifiedSince = v.LastModified.UTC().Format(http.TimeFormat)
	}
	return v.ETag, ifModifiedSince
}

// notRefreshed lists the fields a 304 does not copy into the stored response:
// those about the message's framing (RFC 9111 §3.2) and hop-by-hop fields,
// and this cache's own report.
var notRefreshed = map[string]bool{
	"Content-Length": true, "Content-Encoding": true, "Content-Range": true, "Transfer-Encoding": true,
	"Connection": true, "Keep-Alive": true, "Te": true, "Trailer": true, "Upgrade": true,
	"Proxy-Connection": true, "Cache-Status": true,
}

// freshen applies a 304's header h to the stored response r (RFC 9111 §3.2,
// §4.3.4). It reports false when the 304 does not validate r: it names a
// different entity tag, or (with no tag on either side) a different
// modification date; a correct server never does that, so the caller asks
// again without conditions.
func freshen(r *CachedResponse, h http.Header, now time.Time) (*CachedResponse, bool) {
	old, got := ValidatorsOf(r.Header), ValidatorsOf(h)
	switch {
	case got.ETag != "" && old.ETag != "":
		if strings.TrimPrefix(got.ETag, "W/") != strings.TrimPrefix(old.ETag, "W/") {
			return nil, false
		}
	case got.ETag == "" && old.ETag == "" && !got.LastModified.IsZero() && !old.LastModified.IsZero():
		if !got.LastModified.Equal(old.LastModified) {
			return nil, false
		}
	}
	header := r.Header.Clone()
	for name, vals := range h {
		if !notRefreshed[http.CanonicalHeaderKey(name)] {
			header[http.CanonicalHeaderKey(name)] = append([]string(nil), vals...)
		}
	}
	return &CachedResponse{Header: header, Body: r.Body, Vary: r.Vary, Stored: now}, true
}

// invalidatedURLs returns the cache keys that a response to an unsafe
// request invalidates (RFC 9111 §4.4): after a 2xx or 3xx, the request URL,
// the location and content-location when they are on the same origin, and
// the URL a followed redirect (such as an Action's 303) ended at.
func invalidatedURLs(req *http.Request, resp *http.Response) []string {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return nil
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return nil
	}
	keys := []string{cacheKey(req.URL)}
	add := func(u *url.URL) {
		if u != nil && sameOrigin(u, req.URL) {
			keys = append(keys, cacheKey(u))
		}
	}
	add(resolveHeaderURL(req.URL, resp.Header.Get("Location")))
	add(resolveHeaderURL(req.URL, resp.Header.Get("Content-Location")))
	if resp.Request != nil && resp.Request.URL != nil && resp.Request.URL.String() != req.URL.String() {
		add(resp.Request.URL)
	}
	return keys
}

// cacheKey is the URL without its fragment.
func cacheKey(u *url.URL) string {
	if u.Fragment == "" && u.RawFragment == "" {
		return u.String()
	}
	c := *u
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

// hasDirective reports whether a Cache-Control field lists directive.
func hasDirective(values []string, directive string) bool {
	for _, v := range values {
		for _, d := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(d, "=")
			if strings.EqualFold(strings.TrimSpace(name), directive) {
				return true
			}
		}
	}
	return false
}
