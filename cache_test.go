package level3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
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
		{"BypassCache", get(func(r *http.Request) { *r = *r.WithContext(BypassCache(r.Context())) }), "bypass"},
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

func TestCacheStatusParsing(t *testing.T) {
	cases := []struct {
		name   string
		values []string
		want   map[string]string
		found  bool
	}{
		{"ours", []string{"level3; fwd=stale; fwd-status=304"}, map[string]string{"fwd": "stale", "fwd-status": "304"}, true},
		{"last of ours wins, others skipped", []string{`cdn; hit, level3; fwd=uri-miss`, `level3; hit`},
			map[string]string{"hit": "?1"}, true},
		{"quoted name and a comma in a string", []string{`"level3"; detail="a, b"; fwd=bypass`},
			map[string]string{"detail": "a, b", "fwd": "bypass"}, true},
		{"escaped quote", []string{`level3; detail="say \"hi\""`}, map[string]string{"detail": `say "hi"`}, true},
		{"not ours", []string{"cdn; hit"}, nil, false},
		{"empty", nil, nil, false},
		{"garbage", []string{`;;,,"`, `level3;`}, map[string]string{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := lastCacheStatus(tc.values, CacheName)
			assert.Equal(t, tc.found, ok)
			assert.Equal(t, tc.want, got)
		})
	}
	assert.True(t, FromCache(&http.Response{Header: http.Header{"Cache-Status": {"level3; fwd=stale; fwd-status=304"}}}))
	assert.False(t, FromCache(&http.Response{Header: http.Header{"Cache-Status": {"level3; fwd=stale; fwd-status=200"}}}))
	assert.False(t, FromCache(&http.Response{Header: http.Header{"Cache-Status": {"cdn; hit"}}}))
	assert.False(t, FromCache(nil))
}

func TestMemoryCacheLRU(t *testing.T) {
	entry := func(n int) *CachedResponse { return &CachedResponse{Body: bytes.Repeat([]byte("x"), n)} }
	one := entry(100).Size()
	m := NewMemoryCache(3*one, one)
	m.Set("a", entry(100))
	m.Set("b", entry(100))
	m.Set("c", entry(100))
	assert.Equal(t, 3, m.Len())
	_, ok := m.Get("a") // a is now the most recently used
	require.True(t, ok)
	m.Set("d", entry(100))
	_, ok = m.Get("b")
	assert.False(t, ok, "the least recently used entry is evicted")
	for _, k := range []string{"a", "c", "d"} {
		_, ok := m.Get(k)
		assert.True(t, ok, k)
	}
	assert.Equal(t, 3*one, m.Size())

	m.Set("a", entry(101))
	_, ok = m.Get("a")
	assert.False(t, ok, "an entry over the per-entry bound is refused and removes the old one")
	assert.Equal(t, 2*one, m.Size())
	m.Set("c", entry(50))
	assert.Equal(t, one+entry(50).Size(), m.Size(), "replacing accounts the new size")
	m.Delete("c")
	m.Delete("missing")
	assert.Equal(t, one, m.Size())
	m.Set("nil", nil)
	assert.Equal(t, 1, m.Len())

	none := NewMemoryCache(0, 100)
	none.Set("a", entry(1))
	assert.Equal(t, 0, none.Len(), "a zero-sized cache stores nothing")
	assert.Equal(t, int64(0), none.MaxEntrySize())
	assert.Equal(t, int64(10), NewMemoryCache(10, 100).MaxEntrySize(), "per-entry bound capped at the total")
}

// chunkedReader returns its data in reads of at most n bytes, then err.
type chunkedReader struct {
	data   []byte
	n      int
	err    error
	closed bool
}

func (r *chunkedReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	k := min(len(p), r.n, len(r.data))
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

func (r *chunkedReader) Close() error { r.closed = true; return nil }

func TestStoringBody(t *testing.T) {
	data := []byte(strings.Repeat("0123456789", 100))
	cases := []struct {
		name     string
		want     int64 // content-length, -1 unknown
		limit    int64
		err      error // after the data
		readN    int   // bytes the caller reads before Close; -1 all
		stored   bool
		storedAs []byte
	}{
		{"known length, read whole", 1000, 2000, io.EOF, -1, true, data},
		{"unknown length, read to EOF", -1, 2000, io.EOF, -1, true, data},
		{"unknown length, over the limit", -1, 999, io.EOF, -1, false, nil},
		{"known length, over the limit", 1000, 999, io.EOF, -1, false, nil},
		{"truncated: EOF before the length", 1500, 2000, io.EOF, -1, false, nil},
		{"truncated: a read error", -1, 2000, io.ErrUnexpectedEOF, -1, false, nil},
		{"closed with a small remainder: probed and stored", 1000, 2000, io.EOF, 900, true, data},
		{"closed early with a large remainder: not read", 1000, 2000, io.EOF, 10, false, nil},
		{"unknown length closed early: not read", -1, 2000, io.EOF, 990, false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := &chunkedReader{data: append([]byte(nil), data...), n: 7, err: tc.err}
			var got []byte
			stores := 0
			b := &storingBody{rc: src, limit: tc.limit, want: tc.want, store: func(p []byte) { got = p; stores++ }}
			var read []byte
			var err error
			if tc.readN < 0 {
				read, err = io.ReadAll(b)
				if tc.err == io.EOF {
					require.NoError(t, err)
					assert.Equal(t, data, read, "the caller gets every byte whatever the cache does")
				}
			} else {
				read = make([]byte, tc.readN)
				_, err = io.ReadFull(b, read)
				require.NoError(t, err)
			}
			require.NoError(t, b.Close())
			assert.True(t, src.closed)
			assert.Equal(t, tc.stored, stores == 1)
			assert.LessOrEqual(t, stores, 1)
			if tc.stored {
				assert.Equal(t, tc.storedAs, got)
			}
		})
	}
}

// cacheClient returns a Client for srv caching in its own MemoryCache.
func cacheClient(t *testing.T, srv *mocks.Server, opts ...Option) (*Client, *MemoryCache) {
	store := NewMemoryCache(8<<20, 1<<20)
	return newTestClient(t, srv, append([]Option{WithCache(store)}, opts...)...), store
}

// getBody GETs url with c and returns the response (body read and closed)
// and the body.
func getBody(t *testing.T, c *Client, ctx context.Context, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	for i := 0; i < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return resp, body
}

// lastRequest returns the last request the server saw for path.
func lastRequest(t *testing.T, srv *mocks.Server, path string) mocks.Request {
	t.Helper()
	log := srv.Requests()
	for i := len(log) - 1; i >= 0; i-- {
		if log[i].Path == path {
			return log[i]
		}
	}
	t.Fatalf("no request for %s", path)
	return mocks.Request{}
}

func TestCacheRevalidatesWith304(t *testing.T) {
	forEachProto(t, func(t *testing.T, srv *mocks.Server) {
		c, store := cacheClient(t, srv)
		ctx := context.Background()
		url := srv.URL + mocks.PathReport
		stored, _ := srv.Resource(mocks.PathReport)

		first, body := getBody(t, c, ctx, url)
		assert.Equal(t, mocks.CatalogReport(), body)
		assert.False(t, FromCache(first))
		assert.Equal(t, "level3; fwd=uri-miss", first.Header.Get("Cache-Status"))
		assert.Empty(t, lastRequest(t, srv, mocks.PathReport).Header.Get("If-None-Match"))
		assert.Equal(t, 1, store.Len())

		second, body := getBody(t, c, ctx, url)
		sent := lastRequest(t, srv, mocks.PathReport).Header
		assert.Equal(t, stored.ETag, sent.Get("If-None-Match"), "revalidated with the etag")
		assert.Equal(t, stored.LastModified.UTC().Format(http.TimeFormat), sent.Get("If-Modified-Since"))
		assert.True(t, FromCache(second), "the 304 is answered from the cache")
		assert.Equal(t, http.StatusOK, second.StatusCode)
		assert.Equal(t, mocks.CatalogReport(), body)
		assert.Equal(t, int64(len(body)), second.ContentLength)
		assert.Equal(t, stored.ETag, second.Header.Get("ETag"))
		assert.Equal(t, "text/csv", second.Header.Get("Content-Type"))
		assert.Equal(t, url, second.Request.URL.String())
		assert.Equal(t, 2, srv.Count(mocks.PathReport), "every GET reaches the server")

		// Someone else changes it: the next GET gets the new bytes and keeps them.
		srv.SetBody(mocks.PathReport, []byte("date\n2026-11-26\n"))
		third, body := getBody(t, c, ctx, url)
		assert.Equal(t, "date\n2026-11-26\n", string(body))
		assert.Equal(t, "level3; fwd=stale; fwd-status=200", third.Header.Get("Cache-Status"))
		fourth, body := getBody(t, c, ctx, url)
		assert.True(t, FromCache(fourth))
		assert.Equal(t, "date\n2026-11-26\n", string(body))
	})
}

func TestCacheLastModifiedOnly(t *testing.T) {
	srv := mocks.NewServer(t)
	lm := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	info := mocks.Info(`{"orders":3}`)
	info.LastModified = lm
	srv.Handle("/stats", info)
	c, _ := cacheClient(t, srv)
	getBody(t, c, context.Background(), srv.URL+"/stats")
	resp, body := getBody(t, c, context.Background(), srv.URL+"/stats")
	sent := lastRequest(t, srv, "/stats").Header
	assert.Empty(t, sent.Get("If-None-Match"))
	assert.Equal(t, lm.Format(http.TimeFormat), sent.Get("If-Modified-Since"))
	assert.True(t, FromCache(resp))
	assert.JSONEq(t, `{"orders":3}`, string(body))
}

func TestCacheKeepsNothingWithoutValidators(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c, store := cacheClient(t, srv)
	getBody(t, c, context.Background(), srv.URL+mocks.PathStats)
	getBody(t, c, context.Background(), srv.URL+mocks.PathStats)
	assert.Empty(t, lastRequest(t, srv, mocks.PathStats).Header.Get("If-Modified-Since"))
	assert.Equal(t, 0, store.Len())
}

func TestCacheInvalidation(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c, store := cacheClient(t, srv)
	ctx := context.Background()
	key := srv.URL + mocks.PathOrder1
	has := func(k string) bool { _, ok := store.Get(k); return ok }

	getBody(t, c, ctx, key)
	require.True(t, has(key))
	_, err := c.PutJSON(ctx, key, map[string]any{"id": 1, "state": "packed"})
	require.NoError(t, err)
	assert.False(t, has(key), "a successful PUT invalidates the URL")

	getBody(t, c, ctx, key)
	require.True(t, has(key))
	_, err = c.Trigger(ctx, srv.URL+mocks.PathShip) // 303 to /orders/1, followed by the *http.Client
	require.NoError(t, err)
	assert.False(t, has(key), "the state an action's 303 points to is invalidated")

	getBody(t, c, ctx, key)
	_, err = c.Delete(ctx, key, IfMatch(`"stale"`))
	require.Error(t, err)
	assert.True(t, has(key), "a failed change invalidates nothing")

	_, err = c.Delete(ctx, key)
	require.NoError(t, err)
	assert.False(t, has(key))

	key2 := srv.URL + mocks.PathOrder2
	getBody(t, c, ctx, key2)
	require.True(t, has(key2))
	srv.Remove(mocks.PathOrder2) // removed by someone else
	_, err = c.Get(ctx, key2)
	var nf *NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.False(t, has(key2), "a 404 removes the entry")
}

func TestCacheBypass(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c, store := cacheClient(t, srv)
	url := srv.URL + mocks.PathReport

	resp, _ := getBody(t, c, BypassCache(context.Background()), url)
	assert.Equal(t, `level3; fwd=bypass; detail="BypassCache"`, resp.Header.Get("Cache-Status"))
	assert.Equal(t, 0, store.Len(), "a bypassed response is not stored")

	resp, body := getBody(t, c, context.Background(), url, "Range", "bytes=0-9")
	assert.Equal(t, http.StatusPartialContent, resp.StatusCode)
	assert.Equal(t, mocks.CatalogReport()[:10], body)
	assert.Equal(t, 0, store.Len(), "ranged requests bypass the cache")

	getBody(t, c, context.Background(), url, "Cache-Control", "no-store")
	assert.Equal(t, 0, store.Len())

	getBody(t, c, context.Background(), url)
	require.Equal(t, 1, store.Len())
	resp, err := c.Get(BypassCache(context.Background()), url)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Empty(t, lastRequest(t, srv, mocks.PathReport).Header.Get("If-None-Match"), "bypassing sends no validator")

	// The caller's own precondition passes through, and so does the 304.
	stored, _ := srv.Resource(mocks.PathReport)
	resp, _ = getBody(t, c, context.Background(), url, "If-None-Match", stored.ETag)
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)

	off := newTestClient(t, srv, WithoutCache())
	getBody(t, off, context.Background(), url)
	resp, _ = getBody(t, off, context.Background(), url)
	assert.Empty(t, resp.Header.Get("Cache-Status"))
	assert.Empty(t, lastRequest(t, srv, mocks.PathReport).Header.Get("If-None-Match"))

	_, err = New(WithCache(nil))
	assert.Error(t, err)
}

func TestCacheBounds(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	store := NewMemoryCache(1<<20, 16<<10) // the 64 KiB report does not fit
	c := newTestClient(t, srv, WithCache(store))
	_, body := getBody(t, c, context.Background(), srv.URL+mocks.PathReport)
	assert.Equal(t, mocks.CatalogReport(), body)
	assert.Equal(t, 0, store.Len())

	// Without a content-length (chunked), the copy is dropped at the bound.
	big := bytes.Repeat([]byte("z"), 40<<10)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"big"`)
		for i := 0; i < len(big); i += 4 << 10 {
			_, _ = w.Write(big[i : i+4<<10])
			w.(http.Flusher).Flush()
		}
	}))
	defer hs.Close()
	c2, err := New(WithCache(store), WithRetry(fastRetry))
	require.NoError(t, err)
	resp, err := c2.Get(context.Background(), hs.URL)
	require.NoError(t, err)
	assert.Equal(t, int64(-1), resp.ContentLength)
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, big, got)
	assert.Equal(t, 0, store.Len())
	c2.HTTPClient().CloseIdleConnections()
}

func TestCacheDoesNotStoreTruncatedBodies(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c, store := cacheClient(t, srv, WithRetry(RetryPolicy{Schedule: Schedule{Attempts: -1}}))
	srv.Fail(mocks.PathReport, mocks.DropAfter(1000))
	resp, err := c.Get(context.Background(), srv.URL+mocks.PathReport)
	require.NoError(t, err)
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Error(t, err)
	assert.Equal(t, 0, store.Len())

	// Read partly and closed: not stored either.
	resp, err = c.Get(context.Background(), srv.URL+mocks.PathReport)
	require.NoError(t, err)
	_, err = io.ReadFull(resp.Body, make([]byte, 100))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 0, store.Len())
}

func TestCacheVaryAndAuthorization(t *testing.T) {
	srv := mocks.NewServer(t)
	d := mocks.Data(`{"id":1}`)
	d.Header = http.Header{"Vary": {"Accept"}}
	srv.Handle("/v", d)
	c, store := cacheClient(t, srv)
	ctx := context.Background()
	getBody(t, c, ctx, srv.URL+"/v", "Accept", "application/json")
	resp, _ := getBody(t, c, ctx, srv.URL+"/v", "Accept", "application/json")
	assert.True(t, FromCache(resp))
	resp, _ = getBody(t, c, ctx, srv.URL+"/v", "Accept", "text/plain")
	assert.Equal(t, "level3; fwd=vary-miss", resp.Header.Get("Cache-Status"))
	assert.Empty(t, lastRequest(t, srv, "/v").Header.Get("If-None-Match"))

	resp, _ = getBody(t, c, ctx, srv.URL+"/v", "Accept", "text/plain", "Authorization", "Bearer other")
	assert.Equal(t, "level3; fwd=vary-miss", resp.Header.Get("Cache-Status"), "another user never revalidates my copy")
	assert.Equal(t, 1, store.Len())
}

func TestCacheRefetchesAfterA304ForAnotherVersion(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("If-None-Match"))
		n := len(seen)
		mu.Unlock()
		switch n {
		case 1:
			w.Header().Set("ETag", `"v1"`)
			_, _ = io.WriteString(w, "one")
		case 2: // a confused server: 304 naming a version we do not hold
			w.Header().Set("ETag", `"v2"`)
			w.WriteHeader(http.StatusNotModified)
		default:
			w.Header().Set("ETag", `"v2"`)
			_, _ = io.WriteString(w, "two")
		}
	}))
	defer hs.Close()
	c, err := New(WithRetry(fastRetry))
	require.NoError(t, err)
	defer c.HTTPClient().CloseIdleConnections()
	for _, want := range []string{"one", "two"} {
		resp, err := c.Get(context.Background(), hs.URL)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, want, string(body))
	}
	assert.Equal(t, []string{"", `"v1"`, ""}, seen, "asked again without conditions")
}

func TestCacheFollowsAliases(t *testing.T) {
	// GET through a 307 alias is cached under the alias and revalidated
	// through it: the *http.Client carries If-None-Match to the target.
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c, _ := cacheClient(t, srv)
	getBody(t, c, context.Background(), srv.URL+mocks.PathLatest)
	resp, body := getBody(t, c, context.Background(), srv.URL+mocks.PathLatest)
	assert.True(t, FromCache(resp))
	assert.Equal(t, mocks.CatalogReport(), body)
	assert.Equal(t, srv.URL+mocks.PathReport, resp.Request.URL.String())
}

func TestCacheConcurrentUse(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	store := NewMemoryCache(200<<10, 100<<10) // room for about three reports
	c := newTestClient(t, srv, WithCache(store))
	paths := []string{mocks.PathReport, mocks.PathOrder1, mocks.PathOrder2, mocks.PathOrder3, mocks.PathLatest}
	var wg sync.WaitGroup
	errs := make(chan error, 80)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				p := paths[(g+i)%len(paths)]
				resp, err := c.Get(context.Background(), srv.URL+p)
				if err != nil {
					errs <- err
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				want, _ := srv.Resource(strings.Replace(p, mocks.PathLatest, mocks.PathReport, 1))
				if err == nil && !bytes.Equal(body, want.Body) {
					err = fmt.Errorf("%s: wrong body (%d bytes)", p, len(body))
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.LessOrEqual(t, store.Size(), int64(200<<10))
}

func TestCacheLayerAlone(t *testing.T) {
	// The layer as a Middleware over a testify mock, without a network.
	next := new(mocks.Doer)
	etag := `"x1"`
	next.On("Do", mockReq(func(r *http.Request) bool { return r.Header.Get("If-None-Match") == "" })).Return(
		func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{"Etag": {etag}}, ContentLength: 2,
				Body: io.NopCloser(strings.NewReader("hi")), Request: r}, nil
		}, nil).Once()
	next.On("Do", mockReq(func(r *http.Request) bool { return r.Header.Get("If-None-Match") == etag })).Return(
		&http.Response{StatusCode: 304, Header: http.Header{"Etag": {etag}}, Body: http.NoBody}, nil).Once()
	store := NewMemoryCache(1<<20, 1<<20)
	d := cacheLayer(store, newCredentialPolicy(nil, nil), discardLogger())(next)
	u, _ := url.Parse("http://api.example/x")
	for i := 0; i < 2; i++ {
		resp, err := d.Do(&http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}})
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, "hi", string(b))
	}
	next.AssertExpectations(t)

	failing := new(mocks.Doer)
	boom := errors.New("boom")
	failing.On("Do", mockReq(func(*http.Request) bool { return true })).Return(nil, boom)
	_, err := cacheLayer(store, newCredentialPolicy(nil, nil), discardLogger())(failing).Do(&http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}})
	assert.ErrorIs(t, err, boom)
	assert.Same(t, failing, cacheLayer(nil, newCredentialPolicy(nil, nil), discardLogger())(failing), "no store, no layer")
}

// mockReq matches requests for which f is true.
func mockReq(f func(*http.Request) bool) any { return mock.MatchedBy(f) }

// discardLogger logs nothing.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestProfilesHaveEntity keeps the cache honest about what it is for: the
// catalog resources it stores are the ones with the Entity mixin.
func TestProfilesHaveEntity(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c, store := cacheClient(t, srv)
	for _, p := range []string{mocks.PathHome, mocks.PathStats, mocks.PathOrder1, mocks.PathReport} {
		getBody(t, c, context.Background(), srv.URL+p)
	}
	for _, p := range []string{mocks.PathHome, mocks.PathStats, mocks.PathOrder1, mocks.PathReport} {
		_, cached := store.Get(srv.URL + p)
		res, err := c.Discover(context.Background(), srv.URL+p)
		require.NoError(t, err)
		assert.Equal(t, res.Has(profiles.Entity), cached, p)
	}
}

func TestCacheLayerToleratesBareResponses(t *testing.T) {
	next := DoerFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})
	u, _ := url.Parse("http://api.example/x")
	d := cacheLayer(NewMemoryCache(1<<20, 1<<20), newCredentialPolicy(nil, nil), discardLogger())(next)
	for _, ctx := range []context.Context{context.Background(), BypassCache(context.Background())} {
		req := (&http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}}).WithContext(ctx)
		resp, err := d.Do(req)
		require.NoError(t, err)
		assert.NotEmpty(t, resp.Header.Get("Cache-Status"))
		resp.Body.Close()
	}
}

// perUserServer answers every GET with a body private to the user its
// credentials name, under one entity tag for all users (the resource's
// version), and 304 to any request that names that tag: a server that
// trusts the client's cache to be private.
func perUserServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		user := r.Header.Get("Cookie") + r.Header.Get("Cookie2") + r.Header.Get("Proxy-Authorization") + r.Header.Get("X-Api-Key")
		_, _ = io.WriteString(w, "private to "+user)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestCacheNeverCrossesUsers: two Clients sharing one store, for two users
// told apart by a cookie, a Cookie2, a proxy credential or a custom
// sensitive header, each get only their own body, however the server
// answers the revalidation.
func TestCacheNeverCrossesUsers(t *testing.T) {
	srv := perUserServer(t)
	for _, name := range []string{"Cookie", "Cookie2", "Proxy-Authorization", "X-Api-Key"} {
		t.Run(name, func(t *testing.T) {
			store := NewMemoryCache(1<<20, 1<<20)
			client := func(value string) *Client {
				c, err := New(WithHTTPClient(srv.Client()), WithCache(store), WithHeader(name, value),
					WithRedirectPolicy(RedirectPolicy{MaxRedirects: 1, SensitiveHeaders: []string{"X-Api-Key"}}))
				require.NoError(t, err)
				return c
			}
			ann, bob := client("ann"), client("bob")
			ctx := context.Background()
			_, body := getBody(t, ann, ctx, srv.URL+"/me")
			require.Equal(t, "private to ann", string(body))
			resp, body := getBody(t, ann, ctx, srv.URL+"/me")
			require.True(t, FromCache(resp), "the same user revalidates her copy")
			require.Equal(t, "private to ann", string(body))

			resp, body = getBody(t, bob, ctx, srv.URL+"/me")
			assert.Equal(t, "private to bob", string(body), "never the other user's body")
			assert.False(t, FromCache(resp))
			resp, body = getBody(t, bob, ctx, srv.URL+"/me")
			assert.Equal(t, "private to bob", string(body))
			assert.True(t, FromCache(resp), "but his own copy, once stored")
		})
	}
}
