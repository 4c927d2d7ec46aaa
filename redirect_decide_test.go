package level3

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/redirects"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

// hopsTo builds a chain of live GET hops through the given URLs.
func hopsTo(t *testing.T, method string, urls ...string) []Hop {
	var out []Hop
	for _, s := range urls {
		out = append(out, Hop{Method: method, URL: mustURL(t, s), Status: 307})
	}
	return out
}

func TestRedirectBehavior(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	def := RedirectPolicy{}
	trust := def
	trust.CrossOrigin = TrustCrossOrigin
	refuse := def
	refuse.CrossOrigin = RefuseCrossOrigin
	downgrade := def
	downgrade.AllowDowngrade = true
	tiny := def
	tiny.MaxRedirects = 2
	off := RedirectPolicy{MaxRedirects: -1}
	nine := make([]string, 9)
	for i := range nine {
		nine[i] = fmt.Sprintf("http://a/%d", i)
	}

	cases := []struct {
		name     string
		policy   RedirectPolicy
		method   string
		from     string
		body     bodyState
		status   int
		location string
		cc       string // Cache-Control of the response
		chain    []Hop

		kind     hopKind
		toMethod string
		to       string
		cross    bool
		remember bool
		expires  time.Duration // after now; 0: never
		err      error
	}{
		{name: "200 is an answer", method: "GET", from: "http://a/x", status: 200, location: "/y", kind: hopNone},
		{name: "304 is an answer", method: "GET", from: "http://a/x", status: 304, location: "/y", kind: hopNone},
		{name: "300 is an answer", method: "GET", from: "http://a/x", status: 300, location: "/y", kind: hopNone},
		{name: "307 without location", method: "GET", from: "http://a/x", status: 307, kind: hopNone},
		{name: "following disabled", policy: off, method: "GET", from: "http://a/x", status: 308, location: "/y", kind: hopNone},

		{name: "307 PUT replays", method: "PUT", from: "http://a/x", body: replayableBody, status: 307, location: "/y",
			kind: hopSame, toMethod: "PUT", to: "http://a/y"},
		{name: "307 relative to directory", method: "GET", from: "http://a/dir/x", status: 307, location: "y?q=1",
			kind: hopSame, toMethod: "GET", to: "http://a/dir/y?q=1"},
		{name: "307 fragment dropped", method: "GET", from: "http://a/x", status: 307, location: "/y#frag",
			kind: hopSame, toMethod: "GET", to: "http://a/y"},
		{name: "307 body read once", method: "POST", from: "http://a/x", body: onceBody, status: 307, location: "/y",
			kind: hopSame, toMethod: "POST", to: "http://a/y", err: ErrBodyNotReplayable},
		{name: "308 POST remembered", method: "POST", from: "http://a/x", body: replayableBody, status: 308, location: "/y",
			kind: hopSame, toMethod: "POST", to: "http://a/y", remember: true},
		{name: "308 no-store", method: "GET", from: "http://a/x", status: 308, location: "/y", cc: "no-store",
			kind: hopSame, toMethod: "GET", to: "http://a/y"},
		{name: "308 max-age", method: "GET", from: "http://a/x", status: 308, location: "/y", cc: "public, max-age=60",
			kind: hopSame, toMethod: "GET", to: "http://a/y", remember: true, expires: time.Minute},
		{name: "308 to https upgrade", method: "GET", from: "http://a/x", status: 308, location: "https://a/x",
			kind: hopSame, toMethod: "GET", to: "https://a/x", cross: true},

		{name: "303 POST becomes GET", method: "POST", from: "http://a/orders/1/ship", body: onceBody, status: 303, location: "/orders/1",
			kind: hopGet, toMethod: "GET", to: "http://a/orders/1"},
		{name: "303 PUT becomes GET", method: "PUT", from: "http://a/x", body: replayableBody, status: 303, location: "/y",
			kind: hopGet, toMethod: "GET", to: "http://a/y"},
		{name: "303 HEAD stays HEAD", method: "HEAD", from: "http://a/x", status: 303, location: "/y",
			kind: hopSame, toMethod: "HEAD", to: "http://a/y"},
		{name: "303 POST to same URL is no loop", method: "POST", from: "http://a/x", status: 303, location: "/x",
			kind: hopGet, toMethod: "GET", to: "http://a/x"},
		{name: "302 POST becomes GET", method: "POST", from: "http://a/x", body: onceBody, status: 302, location: "/y",
			kind: hopGet, toMethod: "GET", to: "http://a/y"},
		{name: "301 PUT is repeated", method: "PUT", from: "http://a/x", body: replayableBody, status: 301, location: "/y",
			kind: hopSame, toMethod: "PUT", to: "http://a/y"},
		{name: "301 is not remembered", method: "GET", from: "http://a/x", status: 301, location: "/y",
			kind: hopSame, toMethod: "GET", to: "http://a/y"},

		{name: "https to http refused", method: "GET", from: "https://a/x", status: 307, location: "http://a/x",
			kind: hopSame, toMethod: "GET", to: "http://a/x", cross: true, err: ErrInsecureRedirect},
		{name: "https to http allowed", policy: downgrade, method: "GET", from: "https://a/x", status: 307, location: "http://a/x",
			kind: hopSame, toMethod: "GET", to: "http://a/x", cross: true},
		{name: "other port followed", method: "GET", from: "http://a:8080/x", status: 307, location: "http://a:8081/x",
			kind: hopSame, toMethod: "GET", to: "http://a:8081/x", cross: true},
		{name: "default port is the same origin", method: "GET", from: "http://A/x", status: 308, location: "http://a:80/y",
			kind: hopSame, toMethod: "GET", to: "http://a:80/y", remember: true},
		{name: "cross-origin 308 not remembered", method: "GET", from: "http://a/x", status: 308, location: "http://b/x",
			kind: hopSame, toMethod: "GET", to: "http://b/x", cross: true},
		{name: "cross-origin 308 trusted", policy: trust, method: "GET", from: "http://a/x", status: 308, location: "http://b/x",
			kind: hopSame, toMethod: "GET", to: "http://b/x", cross: true, remember: true},
		{name: "cross-origin refused", policy: refuse, method: "GET", from: "http://a/x", status: 307, location: "//b/x",
			kind: hopSame, toMethod: "GET", to: "http://b/x", cross: true, err: ErrCrossOriginRedirect},

		{name: "redirect to itself", method: "GET", from: "http://a/x", status: 307, location: "/x",
			kind: hopSame, toMethod: "GET", to: "http://a/x", err: ErrRedirectLoop},
		{name: "redirect to itself, other spelling", method: "GET", from: "http://a/x", status: 308, location: "HTTP://A:80/x#f",
			kind: hopSame, toMethod: "GET", to: "http://A:80/x", err: ErrRedirectLoop},
		{name: "loop through the chain", method: "GET", from: "http://a/c", status: 307, location: "/b",
			chain: hopsTo(t, "GET", "http://a/a", "http://a/b"),
			kind:  hopSame, toMethod: "GET", to: "http://a/b", err: ErrRedirectLoop},
		{name: "same URL, other method, is no loop", method: "GET", from: "http://a/c", status: 307, location: "/a",
			chain: hopsTo(t, "POST", "http://a/a"), kind: hopSame, toMethod: "GET", to: "http://a/a"},
		{name: "too many", policy: tiny, method: "GET", from: "http://a/c", status: 307, location: "/d",
			chain: hopsTo(t, "GET", "http://a/a", "http://a/b"),
			kind:  hopSame, toMethod: "GET", to: "http://a/d", err: ErrTooManyRedirects},
		{name: "just enough", policy: tiny, method: "GET", from: "http://a/b", status: 307, location: "/c",
			chain: hopsTo(t, "GET", "http://a/a"), kind: hopSame, toMethod: "GET", to: "http://a/c"},
		{name: "the zero policy follows a 10th", method: "GET", from: "http://a/x", status: 307, location: "/y",
			chain: hopsTo(t, "GET", nine...), kind: hopSame, toMethod: "GET", to: "http://a/y"},
		{name: "but not an 11th", method: "GET", from: "http://a/x", status: 307, location: "/y",
			chain: hopsTo(t, "GET", append(nine, "http://a/9")...), kind: hopSame, toMethod: "GET", to: "http://a/y", err: ErrTooManyRedirects},

		{name: "unparsable location", method: "GET", from: "http://a/x", status: 307, location: "http://[::1",
			kind: hopSame, toMethod: "GET", err: ErrBadLocation},
		{name: "ftp location", method: "GET", from: "http://a/x", status: 307, location: "ftp://a/x",
			kind: hopSame, toMethod: "GET", err: ErrBadLocation},
		{name: "opaque location", method: "GET", from: "http://a/x", status: 303, location: "mailto:x@a",
			kind: hopSame, toMethod: "GET", err: ErrBadLocation},
		{name: "location without host", method: "GET", from: "http://a/x", status: 307, location: "http:///x",
			kind: hopSame, toMethod: "GET", err: ErrBadLocation},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy // the zero policy is the default
			h := http.Header{}
			if tc.location != "" {
				h.Set("Location", tc.location)
			}
			if tc.cc != "" {
				h.Set("Cache-Control", tc.cc)
			}
			d := redirectBehavior(&p, tc.method, mustURL(t, tc.from), tc.body, tc.status, h, tc.chain, now)
			assert.Equal(t, tc.kind, d.kind, "kind")
			if tc.kind == hopNone {
				assert.NoError(t, d.err)
				return
			}
			assert.ErrorIs(t, d.err, tc.err)
			if tc.err == nil {
				assert.NoError(t, d.err)
			}
			assert.Equal(t, tc.toMethod, d.method, "method")
			if tc.to == "" {
				assert.Nil(t, d.to)
				return
			}
			require.NotNil(t, d.to)
			assert.Equal(t, tc.to, d.to.String(), "to")
			assert.Equal(t, tc.cross, d.crossOrigin, "cross-origin")
			if tc.err != nil {
				return
			}
			assert.Equal(t, tc.remember, d.remember, "remember")
			if tc.expires == 0 {
				assert.True(t, d.expires.IsZero(), "no expiry")
			} else {
				assert.Equal(t, now.Add(tc.expires), d.expires)
			}
		})
	}
}

func TestRememberedBehavior(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	def := RedirectPolicy{}
	trust := def
	trust.CrossOrigin = TrustCrossOrigin
	tiny := def
	tiny.MaxRedirects = 1
	entry := func(to string, expires time.Time) redirects.Entry {
		return redirects.Entry{From: "http://a:80/x", To: to, Created: now.Add(-time.Hour), Expires: expires}
	}
	cases := []struct {
		name   string
		policy RedirectPolicy
		from   string
		e      redirects.Entry
		chain  []Hop
		use    bool
		drop   bool
		to     string
		cross  bool
		err    error
	}{
		{name: "same origin", from: "http://a/x", e: entry("http://a/y", time.Time{}), use: true, to: "http://a/y"},
		{name: "not yet expired", from: "http://a/x", e: entry("http://a/y", now.Add(time.Second)), use: true, to: "http://a/y"},
		{name: "expired", from: "http://a/x", e: entry("http://a/y", now), drop: true},
		{name: "malformed target", from: "http://a/x", e: entry("::not a url", time.Time{}), drop: true},
		{name: "relative target", from: "http://a/x", e: entry("/y", time.Time{}), drop: true},
		{name: "userinfo is never taken from the memory", from: "http://a/x", e: entry("http://u:p@a/y", time.Time{}), use: true, to: "http://a/y"},
		{name: "cross-origin, not trusted: kept, not used", from: "http://a/x", e: entry("http://b/y", time.Time{})},
		{name: "cross-origin, trusted", policy: trust, from: "http://a/x", e: entry("http://b/y", time.Time{}), use: true, to: "http://b/y", cross: true},
		{name: "downgrade: kept, not used", policy: trust, from: "https://a/x", e: entry("http://a/y", time.Time{})},
		{name: "loop", from: "http://a/y", e: entry("http://a/x", time.Time{}), chain: hopsTo(t, "GET", "http://a/x"),
			to: "http://a/x", err: ErrRedirectLoop},
		{name: "too many", policy: tiny, from: "http://a/y", e: entry("http://a/z", time.Time{}), chain: hopsTo(t, "GET", "http://a/x"),
			to: "http://a/z", err: ErrTooManyRedirects},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy // the zero policy is the default
			d := rememberedBehavior(&p, "GET", mustURL(t, tc.from), tc.e, tc.chain, now)
			assert.Equal(t, tc.use, d.use, "use")
			assert.Equal(t, tc.drop, d.drop, "drop")
			assert.ErrorIs(t, d.err, tc.err)
			if tc.err == nil {
				assert.NoError(t, d.err)
			}
			if tc.to != "" {
				require.NotNil(t, d.to)
				assert.Equal(t, tc.to, d.to.String())
				assert.Equal(t, tc.cross, d.crossOrigin)
			}
		})
	}
}

func TestCacheLifetime(t *testing.T) {
	cases := []struct {
		values []string
		ok     bool
		ttl    time.Duration
	}{
		{nil, true, 0},
		{[]string{""}, true, 0},
		{[]string{"public"}, true, 0},
		{[]string{"no-store"}, false, 0},
		{[]string{"No-Store"}, false, 0},
		{[]string{"no-cache"}, false, 0},
		{[]string{`no-cache="Set-Cookie", max-age=5`}, true, 5 * time.Second},
		{[]string{"max-age=60"}, true, time.Minute},
		{[]string{`max-age="60"`}, true, time.Minute},
		{[]string{"private, max-age=10, must-revalidate"}, true, 10 * time.Second},
		{[]string{"max-age=0"}, false, 0},
		{[]string{"max-age=abc"}, false, 0},
		{[]string{"max-age=-1"}, false, 0},
		{[]string{"max-age="}, false, 0},
		{[]string{"max-age=60, max-age=60"}, true, time.Minute},
		{[]string{"max-age=60, max-age=30"}, false, 0},
		{[]string{"max-age=60", "max-age=30"}, false, 0},
		{[]string{"public", "max-age=7"}, true, 7 * time.Second},
		{[]string{`foo="a, no-store", max-age=5`}, true, 5 * time.Second},
		{[]string{`foo="a \" no-store", max-age=5`}, true, 5 * time.Second},
		{[]string{`foo="unterminated, no-store`}, true, 0},
		{[]string{"max-age=99999999999999999999999"}, true, maxDeltaSeconds * time.Second},
		{[]string{",,, ,max-age=3,,"}, true, 3 * time.Second},
	}
	for _, tc := range cases {
		h := http.Header{"Cache-Control": tc.values}
		ok, ttl := cacheLifetime(h)
		assert.Equal(t, tc.ok, ok, "%q", tc.values)
		assert.Equal(t, tc.ttl, ttl, "%q", tc.values)
	}
}

func TestHopHeader(t *testing.T) {
	h := http.Header{
		"Authorization":       {"Bearer secret"},
		"cookie":              {"session=1"}, // set without canonicalizing
		"Proxy-Authorization": {"Basic eA=="},
		"X-Api-Key":           {"k"},
		"Accept":              {"application/json"},
		"Content-Type":        {"application/json"},
		"If-Match":            {`"v1"`},
		"Idempotency-Key":     {`"abc"`},
		"Prefer":              {"return=representation"},
	}
	same := hopHeader(h, false)
	assert.Equal(t, h, same, "a 307 repeats every header (credentials are the credential layer's)")
	same["Accept"][0] = "changed"
	assert.Equal(t, "application/json", h.Get("Accept"), "a copy, not shared")

	get := hopHeader(h, true)
	for _, name := range []string{"Content-Type", "If-Match", "Idempotency-Key"} {
		assert.NotContains(t, get, name)
	}
	for _, name := range []string{"Authorization", "Accept", "Prefer"} {
		assert.Contains(t, get, name)
	}
}

func TestOrigin(t *testing.T) {
	same := [][2]string{
		{"http://a/x", "http://a:80/y"},
		{"HTTP://A/x", "http://a/"},
		{"https://a/x", "https://a:443/y"},
		{"http://[::1]:8080/x", "http://[::1]:8080/y"},
	}
	for _, p := range same {
		assert.Equal(t, origin(mustURL(t, p[0])), origin(mustURL(t, p[1])), "%s vs %s", p[0], p[1])
	}
	other := [][2]string{
		{"http://a/x", "https://a/x"},
		{"http://a/x", "http://a:8080/x"},
		{"http://a/x", "http://b/x"},
		{"http://a/x", "http://sub.a/x"},
		{"https://a:80/x", "http://a:80/x"},
	}
	for _, p := range other {
		assert.NotEqual(t, origin(mustURL(t, p[0])), origin(mustURL(t, p[1])), "%s vs %s", p[0], p[1])
	}
}

func TestRedirectPolicyValidation(t *testing.T) {
	for name, p := range map[string]RedirectPolicy{
		"unknown origin": {MaxRedirects: 1, CrossOrigin: 7},
		"bad header":     {MaxRedirects: 1, SensitiveHeaders: []string{"X Key"}},
	} {
		_, err := New(WithRedirectPolicy(p))
		assert.Error(t, err, name)
	}
	names := []string{"x-api-key"}
	c, err := New(WithRedirectPolicy(RedirectPolicy{MaxRedirects: 3, SensitiveHeaders: names}))
	require.NoError(t, err)
	assert.Equal(t, []string{"X-Api-Key"}, c.redirect.SensitiveHeaders)
	assert.Equal(t, "x-api-key", names[0], "the caller's slice is not modified")
	for max, want := range map[int]int{0: 10, -1: 0, -5: 0, 1: 1, 25: 25} {
		_, err := New(WithRedirectPolicy(RedirectPolicy{MaxRedirects: max}))
		assert.NoError(t, err, "MaxRedirects %d", max)
		p := RedirectPolicy{MaxRedirects: max}
		assert.Equal(t, want, p.limit(), "MaxRedirects %d: zero is the default, negative follows none", max)
	}
	assert.Equal(t, "TrustCrossOrigin", TrustCrossOrigin.String())
	assert.Equal(t, "CrossOriginPolicy(9)", CrossOriginPolicy(9).String())
}

func TestRedirectCacheControl(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	noStore := mocks.Alias(http.StatusPermanentRedirect, mocks.PathOrders)
	noStore.Header = http.Header{"Cache-Control": {"no-store"}}
	srv.Handle("/no-store", noStore)
	short := mocks.Alias(http.StatusPermanentRedirect, mocks.PathOrders)
	short.Header = http.Header{"Cache-Control": {"max-age=3600"}}
	srv.Handle("/hour", short)

	fetchBody(t, c, srv.URL+"/no-store")
	fetchBody(t, c, srv.URL+"/no-store")
	assert.Equal(t, 2, srv.Count("/no-store"), "no-store: never remembered")

	before := time.Now()
	fetchBody(t, c, srv.URL+"/hour")
	entries, _ := c.RedirectStore().Entries()
	require.Len(t, entries, 1)
	assert.WithinDuration(t, before.Add(time.Hour), entries[0].Expires, time.Minute)

	// An expired entry is dropped and the alias asked again.
	store := redirects.NewMemory(0)
	require.NoError(t, store.Put(redirects.Entry{From: redirects.Key(mustURL(t, srv.URL+"/hour")),
		To: srv.URL + mocks.PathStats, Expires: time.Now().Add(-time.Second)}))
	c2 := newTestClient(t, srv, WithRedirectStore(store))
	assert.JSONEq(t, `{"orders":3}`, fetchBody(t, c2, srv.URL+"/hour"))
	entries, _ = store.Entries()
	require.Len(t, entries, 1)
	assert.Equal(t, srv.URL+mocks.PathOrders, entries[0].To)
}
