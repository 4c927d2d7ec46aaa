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
	"github.com/l3go/level3/mocks/mocktest"
	"github.com/l3go/level3/profiles"
)

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
	_, err := c.PutJSON(ctx, key, map[string]any{"id": 1, "state": "packed"}, nil)
	require.NoError(t, err)
	assert.False(t, has(key), "a successful PUT invalidates the URL")

	getBody(t, c, ctx, key)
	require.True(t, has(key))
	_, err = c.Trigger(ctx, srv.URL+mocks.PathShip, nil) // 303 to /orders/1, followed by the *http.Client
	require.NoError(t, err)
	assert.False(t, has(key), "the state an action's 303 points to is invalidated")

	getBody(t, c, ctx, key)
	_, err = c.Delete(ctx, key, &RequestOptions{IfVersion: Validators{ETag: `"stale"`}})
	require.Error(t, err)
	assert.True(t, has(key), "a failed change invalidates nothing")

	_, err = c.Delete(ctx, key, nil)
	require.NoError(t, err)
	assert.False(t, has(key))

	key2 := srv.URL + mocks.PathOrder2
	getBody(t, c, ctx, key2)
	require.True(t, has(key2))
	srv.Remove(mocks.PathOrder2) // removed by someone else
	_, err = c.Get(ctx, key2, nil)
	var nf *NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.False(t, has(key2), "a 404 removes the entry")
}

func TestCacheBypass(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c, store := cacheClient(t, srv)
	url := srv.URL + mocks.PathReport

	resp, err := c.Get(context.Background(), url, &RequestOptions{NoCache: true})
	require.NoError(t, err)
	drainAndClose(resp.Body)
	assert.Equal(t, `level3; fwd=bypass; detail="NoCache"`, resp.Header.Get("Cache-Status"))
	assert.Equal(t, 0, store.Len(), "a bypassed response is not stored")

	resp, body := getBody(t, c, context.Background(), url, "Range", "bytes=0-9")
	assert.Equal(t, http.StatusPartialContent, resp.StatusCode)
	assert.Equal(t, mocks.CatalogReport()[:10], body)
	assert.Equal(t, 0, store.Len(), "ranged requests bypass the cache")

	getBody(t, c, context.Background(), url, "Cache-Control", "no-store")
	assert.Equal(t, 0, store.Len())

	getBody(t, c, context.Background(), url)
	require.Equal(t, 1, store.Len())
	resp, err = c.Get(context.Background(), url, &RequestOptions{NoCache: true})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Empty(t, lastRequest(t, srv, mocks.PathReport).Header.Get("If-None-Match"), "bypassing sends no validator")

	// The caller's own precondition passes through, and so does the 304.
	stored, _ := srv.Resource(mocks.PathReport)
	resp, _ = getBody(t, c, context.Background(), url, "If-None-Match", stored.ETag)
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)

	off := newTestClient(t, srv, WithCache(nil))
	getBody(t, off, context.Background(), url)
	resp, _ = getBody(t, off, context.Background(), url)
	assert.Empty(t, resp.Header.Get("Cache-Status"))
	assert.Empty(t, lastRequest(t, srv, mocks.PathReport).Header.Get("If-None-Match"))

	_, err = New(WithCache(nil))
	assert.NoError(t, err, "WithCache(nil) turns the cache off")
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
	resp, err := c2.Get(context.Background(), hs.URL, nil)
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
	resp, err := c.Get(context.Background(), srv.URL+mocks.PathReport, nil)
	require.NoError(t, err)
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Error(t, err)
	assert.Equal(t, 0, store.Len())

	// Read partly and closed: not stored either.
	resp, err = c.Get(context.Background(), srv.URL+mocks.PathReport, nil)
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
		resp, err := c.Get(context.Background(), hs.URL, nil)
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
				resp, err := c.Get(context.Background(), srv.URL+p, nil)
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
	next := new(mocktest.Doer)
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

	failing := new(mocktest.Doer)
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
	for _, ctx := range []context.Context{context.Background(), bypassCache(context.Background())} {
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

func TestStoreEmptyOnlyForAnEmptyMemoryCache(t *testing.T) {
	m := NewMemoryCache(1<<20, 1<<20)
	assert.True(t, storeEmpty(m), "nothing stored: a change has nothing to invalidate")
	m.Set("http://x/a", &CachedResponse{Header: http.Header{}, Body: []byte("a")})
	assert.False(t, storeEmpty(m))
	var other CacheStore = otherStore{m} // any other store is always asked
	m.Delete("http://x/a")
	assert.False(t, storeEmpty(other))
}

// otherStore is a CacheStore that is not itself a *MemoryCache.
type otherStore struct{ *MemoryCache }
