package level3

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCacheUse(t *testing.T) {
	get := func(mod func(r *http.Request)) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "http://h/x", nil)
		if mod != nil {
			mod(r)
		}
		return r
	}
	cases := []struct {
		name    string
		req     *http.Request
		wantFwd string
	}{
		{"plain GET", get(nil), ""},
		{"HEAD", httptest.NewRequest(http.MethodHead, "http://h/x", nil), "method"},
		{"POST", httptest.NewRequest(http.MethodPost, "http://h/x", strings.NewReader("{}")), "method"},
		{"range", get(func(r *http.Request) { r.Header.Set("Range", "bytes=0-9") }), "bypass"},
		{"caller's if-none-match", get(func(r *http.Request) { r.Header.Set("If-None-Match", `"a"`) }), "bypass"},
		{"caller's if-modified-since", get(func(r *http.Request) { r.Header.Set("If-Modified-Since", http.TimeFormat) }), "bypass"},
		{"caller's if-range", get(func(r *http.Request) { r.Header.Set("If-Range", `"a"`) }), "bypass"},
		{"no-store", get(func(r *http.Request) { r.Header.Set("Cache-Control", "max-age=0, No-Store") }), "bypass"},
		{"no-cache is fine: we always revalidate", get(func(r *http.Request) { r.Header.Set("Cache-Control", "no-cache") }), ""},
		{"NoCache", get(func(r *http.Request) {
			out, err := (&RequestOptions{NoCache: true}).Apply(r)
			require.NoError(t, err)
			*r = *out
		}), "bypass"},
		{"GET with a body", httptest.NewRequest(http.MethodGet, "http://h/x", strings.NewReader("q")), "bypass"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fwd, why := cacheUse(tc.req)
			assert.Equal(t, tc.wantFwd, fwd)
			if fwd == "bypass" {
				assert.NotEmpty(t, why)
			}
		})
	}
}

func TestStorable(t *testing.T) {
	resp := func(status int, cl int64, kv ...string) *http.Response {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return &http.Response{StatusCode: status, Header: h, ContentLength: cl}
	}
	lm := "Tue, 24 Nov 2026 10:00:00 GMT"
	cases := []struct {
		name string
		resp *http.Response
		want bool
	}{
		{"200 with etag", resp(200, 10, "ETag", `"a"`), true},
		{"200 with weak etag", resp(200, 10, "ETag", `W/"a"`), true},
		{"200 with last-modified", resp(200, -1, "Last-Modified", lm), true},
		{"200 with a malformed date only", resp(200, 10, "Last-Modified", "yesterday"), false},
		{"200 without validators", resp(200, 10), false},
		{"206", resp(206, 10, "ETag", `"a"`, "Content-Range", "bytes 0-9/20"), false},
		{"304", resp(304, 0, "ETag", `"a"`), false},
		{"no-store", resp(200, 10, "ETag", `"a"`, "Cache-Control", "private, no-store"), false},
		{"vary *", resp(200, 10, "ETag", `"a"`, "Vary", "Accept, *"), false},
		{"vary accept", resp(200, 10, "ETag", `"a"`, "Vary", "accept"), true},
		{"too long", resp(200, 101, "ETag", `"a"`), false},
		{"exactly the limit", resp(200, 100, "ETag", `"a"`), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, storable(tc.resp, 100))
		})
	}
}

func TestFreshen(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	stored := &CachedResponse{
		Header: http.Header{"Etag": {`"v1"`}, "Content-Type": {"application/json"}, "Content-Length": {"7"},
			"Link": {`</a>; rel="next"`}, "Profile": {"<https://level3.rest/profiles/data>"}},
		Body: []byte(`{"a":1}`),
	}
	t.Run("same tag: headers refreshed, framing kept", func(t *testing.T) {
		got, ok := freshen(stored, http.Header{"Etag": {`"v1"`}, "Link": {`</b>; rel="next"`},
			"Content-Length": {"0"}, "Cache-Status": {"cdn; hit"}, "Date": {"now"}}, now)
		require.True(t, ok)
		assert.Equal(t, []string{`</b>; rel="next"`}, got.Header["Link"], "a field in the 304 replaces the stored one")
		assert.Equal(t, "7", got.Header.Get("Content-Length"), "framing fields are not refreshed")
		assert.Empty(t, got.Header.Get("Cache-Status"))
		assert.Equal(t, "now", got.Header.Get("Date"))
		assert.Equal(t, "<https://level3.rest/profiles/data>", got.Header.Get("Profile"), "fields the 304 omits are kept")
		assert.Equal(t, stored.Body, got.Body)
		assert.Equal(t, now, got.Stored)
		assert.Equal(t, `</a>; rel="next"`, stored.Header.Get("Link"), "the stored response is not modified")
	})
	t.Run("weak and strong forms of one tag", func(t *testing.T) {
		_, ok := freshen(stored, http.Header{"Etag": {`W/"v1"`}}, now)
		assert.True(t, ok)
	})
	t.Run("no validator in the 304", func(t *testing.T) {
		_, ok := freshen(stored, http.Header{}, now)
		assert.True(t, ok)
	})
	t.Run("another tag", func(t *testing.T) {
		_, ok := freshen(stored, http.Header{"Etag": {`"v2"`}}, now)
		assert.False(t, ok)
	})
	t.Run("dates only, different", func(t *testing.T) {
		byDate := &CachedResponse{Header: http.Header{"Last-Modified": {"Tue, 24 Nov 2026 10:00:00 GMT"}}}
		_, ok := freshen(byDate, http.Header{"Last-Modified": {"Tue, 24 Nov 2026 10:00:01 GMT"}}, now)
		assert.False(t, ok)
		_, ok = freshen(byDate, http.Header{"Last-Modified": {"Tue, 24 Nov 2026 10:00:00 GMT"}}, now)
		assert.True(t, ok)
	})
}

func TestInvalidatedURLs(t *testing.T) {
	req := func(method, u string) *http.Request {
		r, err := http.NewRequest(method, u, nil)
		require.NoError(t, err)
		return r
	}
	resp := func(status int, final *http.Request, kv ...string) *http.Response {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return &http.Response{StatusCode: status, Header: h, Request: final}
	}
	post := req(http.MethodPost, "http://api/forms/new#top")
	cases := []struct {
		name string
		req  *http.Request
		resp *http.Response
		want []string
	}{
		{"GET changes nothing", req(http.MethodGet, "http://api/a"), resp(200, nil), nil},
		{"HEAD changes nothing", req(http.MethodHead, "http://api/a"), resp(200, nil), nil},
		{"PUT 204", req(http.MethodPut, "http://api/a"), resp(204, nil), []string{"http://api/a"}},
		{"DELETE 412 changes nothing", req(http.MethodDelete, "http://api/a"), resp(412, nil), nil},
		{"POST 201 with a relative location", post, resp(201, nil, "Location", "/orders/9"),
			[]string{"http://api/forms/new", "http://api/orders/9"}},
		{"content-location too", post, resp(200, nil, "Content-Location", "9", "Location", "/x"),
			[]string{"http://api/forms/new", "http://api/x", "http://api/forms/9"}},
		{"another origin is left alone", post, resp(201, nil, "Location", "http://evil/orders/9"),
			[]string{"http://api/forms/new"}},
		{"another scheme is another origin", post, resp(201, nil, "Location", "https://api/orders/9"),
			[]string{"http://api/forms/new"}},
		{"a followed 303 invalidates the changed state", req(http.MethodPost, "http://api/orders/1/ship"),
			resp(200, req(http.MethodGet, "http://api/orders/1")), []string{"http://api/orders/1/ship", "http://api/orders/1"}},
		{"a 303 not followed", req(http.MethodPost, "http://api/orders/1/ship"), resp(303, nil, "Location", "/orders/1"),
			[]string{"http://api/orders/1/ship", "http://api/orders/1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, invalidatedURLs(tc.req, tc.resp))
		})
	}
}

func TestVaryMatches(t *testing.T) {
	req := func(kv ...string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "http://h/x", nil)
		for i := 0; i < len(kv); i += 2 {
			r.Header.Add(kv[i], kv[i+1])
		}
		return r
	}
	creds := newCredentialPolicy([]string{"X-Api-Key"}, nil)
	entry := &CachedResponse{Vary: varyValues(req("Accept", "application/json", "Authorization", "Bearer a"),
		http.Header{"Vary": {"accept, Accept-Language"}}, creds)}
	assert.True(t, varyMatches(entry, req("Accept", "application/json", "Authorization", "Bearer a"), creds))
	assert.False(t, varyMatches(entry, req("Accept", "text/html", "Authorization", "Bearer a"), creds), "vary field differs")
	assert.False(t, varyMatches(entry, req("Accept", "application/json", "Authorization", "Bearer b"), creds), "another user")
	assert.False(t, varyMatches(entry, req("Accept", "application/json"), creds), "anonymous")
	assert.False(t, varyMatches(entry, req("Accept", "application/json", "Authorization", "Bearer a", "Accept-Language", "fr"), creds))
	for _, v := range entry.Vary {
		assert.NotContains(t, v, "Bearer", "credentials are not kept")
	}

	// Every credential is part of the key, however it is spelled, and one
	// named by Vary is kept only in the digest.
	vary := http.Header{"Vary": {"Cookie, X-Api-Key"}}
	for _, user := range [][]string{
		{"Cookie", "sid=1"}, {"cookie", "sid=1"}, {"Cookie2", "$Version=1"}, {"Proxy-Authorization", "Basic eA=="}, {"X-Api-Key", "k1"},
	} {
		mine := &CachedResponse{Vary: varyValues(req(user...), vary, creds)}
		assert.True(t, varyMatches(mine, req(user...), creds), "%s: the same user", user[0])
		assert.False(t, varyMatches(mine, req(), creds), "%s: anonymous", user[0])
		assert.False(t, varyMatches(mine, req(user[0], user[1]+"x"), creds), "%s: another user", user[0])
		for name, v := range mine.Vary {
			assert.NotContains(t, v, user[1], "%s kept in clear under %s", user[0], name)
		}
	}
	anon := &CachedResponse{Vary: varyValues(req(), vary, creds)}
	assert.True(t, varyMatches(anon, req(), creds), "anonymous requests share responses")
	assert.False(t, varyMatches(anon, req("Cookie", "sid=1"), creds))

	// An entry without the digest (an older version's, or made by hand)
	// says nothing about whose it was.
	assert.False(t, varyMatches(&CachedResponse{Vary: map[string]string{"Authorization": ""}}, req(), creds))
	assert.False(t, varyMatches(&CachedResponse{}, req(), creds))
}
