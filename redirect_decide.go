// This file holds the redirect decisions as small pure functions, apart from
// the loop that sends requests (redirect.go), so each can be table-tested:
// what to do with a 3xx response (redirectBehavior), whether a remembered
// 308 applies (rememberedBehavior), how long a 308 may be remembered
// (cacheLifetime), and which headers a hop drops (hopHeader). The policy
// types are in redirect_policy.go; which hops carry credentials is decided
// by the credential scope (origin.go).

package level3

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/l3go/level3/redirects"
)

// bodyState says whether a request has a body and whether it can be sent
// again.
type bodyState int

const (
	noBody         bodyState = iota // nil or http.NoBody
	replayableBody                  // GetBody gives a fresh copy
	onceBody                        // can be read only once
)

// bodyStateOf classifies the body of req.
func bodyStateOf(req *http.Request) bodyState {
	switch {
	case req.Body == nil || req.Body == http.NoBody:
		return noBody
	case req.GetBody != nil:
		return replayableBody
	}
	return onceBody
}

// hopKind says how the next request of a chain is made.
type hopKind int

const (
	hopNone hopKind = iota // not a redirect to follow: the response is the answer
	hopSame                // same method, headers and body (307, 308; 301 and 302 except for POST)
	hopGet                 // GET (HEAD stays HEAD) without body (303; 301 and 302 for POST)
)

// hopDecision is what redirectBehavior decides for one response.
type hopDecision struct {
	kind        hopKind
	method      string    // method of the next request
	to          *url.URL  // next URL, without fragment; nil when Location is absent or bad
	crossOrigin bool      // to is on another origin than the URL that redirected
	remember    bool      // a 308 the memory may keep
	expires     time.Time // when the remembered entry expires; zero: never
	err         error     // a sentinel of errors.go: stop the chain with it
}

// redirectBehavior decides what to do with a response of status and header
// to a request with method for from, whose body is in state body, after the
// hops already taken in chain (memory hops included), at time now. It is the
// counterpart of net/http's redirectBehavior, with the policy checks added.
//
// A status other than 301, 302, 303, 307 and 308, or one without Location,
// is the answer (hopNone). Otherwise the result either says how to follow,
// or carries the sentinel that stops the chain, with to set when known so
// that the error can name it.
func redirectBehavior(p *RedirectPolicy, method string, from *url.URL, body bodyState, status int, header http.Header, chain []Hop, now time.Time) hopDecision {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return hopDecision{}
	}
	loc := header.Get("Location")
	if loc == "" || p.limit() == 0 {
		// RFC 9110 §15.4: Location is optional on 301, 302, 303, 307
		// and 308 alike; without it there is nowhere to go.
		return hopDecision{}
	}
	d := hopDecision{kind: hopSame, method: method}
	to, err := from.Parse(loc)
	if err != nil || redirects.Key(to) == "" {
		d.err = ErrBadLocation
		return d
	}
	to.Fragment, to.RawFragment = "", ""
	d.to = to
	if status == http.StatusSeeOther && method != http.MethodHead ||
		(status == http.StatusMovedPermanently || status == http.StatusFound) && method == http.MethodPost {
		d.kind, d.method = hopGet, http.MethodGet
	}
	d.crossOrigin = origin(from) != origin(to)
	if d.err = checkHop(p, method, from, d.method, to, d.crossOrigin, chain); d.err != nil {
		return d
	}
	if d.kind == hopSame && body == onceBody {
		d.err = ErrBodyNotReplayable
		return d
	}
	if status == http.StatusPermanentRedirect && (!d.crossOrigin || p.CrossOrigin == TrustCrossOrigin) {
		var ttl time.Duration
		if d.remember, ttl = cacheLifetime(header); d.remember && ttl > 0 {
			d.expires = now.Add(ttl)
		}
	}
	return d
}

// checkHop applies the policy checks every hop shares, live or remembered:
// no https → http, no refused cross-origin hop, no more redirects than
// MaxRedirects allows, no request made twice in one chain. It returns nil or
// a sentinel.
func checkHop(p *RedirectPolicy, method string, from *url.URL, nextMethod string, to *url.URL, crossOrigin bool, chain []Hop) error {
	switch {
	case strings.EqualFold(from.Scheme, "https") && strings.EqualFold(to.Scheme, "http") && !p.AllowDowngrade:
		return ErrInsecureRedirect
	case crossOrigin && p.CrossOrigin == RefuseCrossOrigin:
		return ErrCrossOriginRedirect
	case len(chain) >= p.limit():
		return ErrTooManyRedirects
	case revisits(method, from, nextMethod, to, chain):
		return ErrRedirectLoop
	}
	return nil
}

// revisits reports whether the request (nextMethod, to) was already made in
// this chain: by one of its hops, or as the current request (method, from).
// The method counts, so POST /a answered by 303 to GET /a (Post/Redirect/Get
// to the same URL) is not a loop.
func revisits(method string, from *url.URL, nextMethod string, to *url.URL, chain []Hop) bool {
	key := redirects.Key(to)
	if nextMethod == method && key == redirects.Key(from) {
		return true
	}
	for _, h := range chain {
		if h.Method == nextMethod && redirects.Key(h.URL) == key {
			return true
		}
	}
	return false
}

// memoryDecision is what rememberedBehavior decides for one memory entry.
type memoryDecision struct {
	use         bool     // go to `to` without asking from
	drop        bool     // the entry is expired or malformed: delete it
	to          *url.URL // the remembered target
	crossOrigin bool
	err         error // the entry leads into a loop or past MaxRedirects
}

// rememberedBehavior decides whether the memory entry e for from applies to
// a request with method after the hops in chain, at time now. An entry that
// the current policy would not have written (to another origin without
// TrustCrossOrigin, or https → http without AllowDowngrade; a store shared
// with a differently configured Client can hold one) is not used but kept.
func rememberedBehavior(p *RedirectPolicy, method string, from *url.URL, e redirects.Entry, chain []Hop, now time.Time) memoryDecision {
	if e.Expired(now) {
		return memoryDecision{drop: true}
	}
	to, err := url.Parse(e.To)
	if err != nil || redirects.Key(to) == "" {
		return memoryDecision{drop: true}
	}
	to.User = nil
	to.Fragment, to.RawFragment = "", ""
	d := memoryDecision{to: to, crossOrigin: origin(from) != origin(to)}
	if d.crossOrigin && p.CrossOrigin != TrustCrossOrigin {
		return memoryDecision{}
	}
	if err := checkHop(p, method, from, method, to, d.crossOrigin, chain); err != nil {
		if err == ErrInsecureRedirect || err == ErrCrossOriginRedirect {
			return memoryDecision{}
		}
		d.err = err
		return d
	}
	d.use = true
	return d
}

// cacheLifetime reads the Cache-Control of a 308 response (RFC 9111 §5.2.2)
// and says whether the redirect may be remembered and for how long (0: no
// limit). no-store, an unqualified no-cache and max-age=0 forbid it; an
// invalid max-age, or two different ones, make the response stale at once
// (RFC 9111 §4.2.1), which forbids it too. Other directives do not matter to
// a private client memory.
func cacheLifetime(h http.Header) (ok bool, ttl time.Duration) {
	maxAge := int64(-1)
	for _, v := range h.Values("Cache-Control") {
		for rest := v; rest != ""; {
			var name, value string
			var hasValue bool
			name, value, hasValue, rest = nextDirective(rest)
			switch strings.ToLower(name) {
			case "no-store":
				return false, 0
			case "no-cache":
				if !hasValue { // no-cache="field" restricts only that field
					return false, 0
				}
			case "max-age":
				n, valid := parseDeltaSeconds(value)
				if !valid || maxAge >= 0 && n != maxAge {
					return false, 0
				}
				maxAge = n
			}
		}
	}
	switch {
	case maxAge < 0:
		return true, 0
	case maxAge == 0:
		return false, 0
	}
	return true, time.Duration(maxAge) * time.Second
}

// nextDirective splits the first directive off a Cache-Control value:
// name[=token] or name="quoted string" (RFC 9111 §5.2), up to the next comma
// outside quotes. It always consumes at least one byte of a non-empty s.
func nextDirective(s string) (name, value string, hasValue bool, rest string) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
		i++
	}
	start := i
	for i < len(s) && s[i] != '=' && s[i] != ',' {
		i++
	}
	name = strings.TrimSpace(s[start:i])
	if i < len(s) && s[i] == '=' {
		hasValue = true
		i++
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i < len(s) && s[i] == '"' {
			var b strings.Builder
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			value = b.String()
			if i < len(s) {
				i++ // closing quote
			}
		} else {
			start = i
			for i < len(s) && s[i] != ',' {
				i++
			}
			value = strings.TrimSpace(s[start:i])
		}
	}
	for i < len(s) && s[i] != ',' { // anything after a quoted value
		i++
	}
	return name, value, hasValue, s[i:]
}

// maxDeltaSeconds is the largest delta-seconds a cache must handle; larger
// values mean this one (RFC 9111 §1.2.2).
const maxDeltaSeconds = 1 << 31

// parseDeltaSeconds parses 1*DIGIT, capping at maxDeltaSeconds.
func parseDeltaSeconds(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < maxDeltaSeconds {
			n = n*10 + int64(c-'0')
		}
	}
	return min(n, maxDeltaSeconds), true
}

// Header sets a hop may drop.
var (
	// bodyHeaders describe a body, and go when a 303 drops it
	// (Fetch's request-body-header names, plus framing and digests).
	bodyHeaders = []string{"Content-Type", "Content-Length", "Content-Encoding", "Content-Language",
		"Content-Location", "Content-Range", "Content-Digest", "Repr-Digest", "Digest", "Transfer-Encoding", "Trailer"}
	// originalOnlyHeaders are about the request a 303 answered, not about
	// the resource it points to: a POST's If-Match would make the GET of
	// the changed state fail with 412.
	originalOnlyHeaders = []string{"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since",
		"If-Range", "Range", "Expect", "Idempotency-Key", "Slug"}
)

// hopHeader returns a copy of h for the next hop: without the body and
// original-request headers when the hop drops the body. Names are compared
// in canonical form, so a header set under a non-canonical key
// (h["content-type"]) goes too. Credentials are left to the credential
// layer (origin.go), which every hop passes.
func hopHeader(h http.Header, dropBody bool) http.Header {
	out := make(http.Header, len(h))
	for name, vals := range h {
		canon := http.CanonicalHeaderKey(name)
		if dropBody && (slices.Contains(bodyHeaders, canon) || slices.Contains(originalOnlyHeaders, canon)) {
			continue
		}
		out[name] = append([]string(nil), vals...)
	}
	return out
}
