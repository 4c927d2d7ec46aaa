// This file holds the cache layer of the Client's pipeline (Entity mixin,
// cache-aware fetch): WithCache, the layer that loops around the cache's
// decisions, and FromCache. The decisions themselves (which requests may use
// the cache, which responses may be stored, how a 304 refreshes one, what a
// change invalidates) are in cache_policy.go; the body that stores itself
// once read is in cache_body.go; the RFC 9211 Cache-Status field in
// cache_status.go; stores in cache_store.go.

package level3

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// WithCache makes the Client keep GET responses that carry validators (etag
// or last-modified) in store, and revalidate them: the next GET of the URL
// sends If-None-Match / If-Modified-Since, and a 304 Not Modified is answered
// from the store with the headers the 304 refreshed (RFC 9111 §4.3). Every
// GET goes to the server: the cache saves bytes, never a round trip, so it
// never serves anything the server has not just confirmed.
//
// By default a Client has a [MemoryCache] of [DefaultCacheSize] bytes, at
// most [DefaultCacheEntrySize] per response. WithCache(nil) turns the cache
// off: every GET is sent as given. One request passes the cache by with
// [RequestOptions.NoCache], or with a request header Cache-Control: no-store
// (RFC 9111 §5.2.1.5).
func WithCache(store CacheStore) Option {
	return func(c *Client) error {
		c.cache = store
		return nil
	}
}

// cacheBypassKey marks a context whose requests skip the cache
// (RequestOptions.NoCache).
type cacheBypassKey struct{}

// bypassCache returns ctx marked so that its requests skip the cache, as
// RequestOptions.NoCache does.
func bypassCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, cacheBypassKey{}, true)
}

// cacheLayer returns the pipeline layer that caches in store, keeping
// apart the responses to requests with different credentials (creds); with
// a nil store it adds nothing.
func cacheLayer(store CacheStore, creds *credentialPolicy, logger *slog.Logger) Middleware {
	return func(next Doer) Doer {
		if store == nil {
			return next
		}
		return &cacheDoer{store: store, creds: creds, next: next, logger: logger, now: time.Now}
	}
}

// cacheDoer is the cache layer.
type cacheDoer struct {
	store  CacheStore
	creds  *credentialPolicy
	next   Doer
	logger *slog.Logger
	now    func() time.Time
}

// storeEmpty reports whether store is a MemoryCache holding nothing, so
// that a change need not work out which URLs it invalidates (which a bulk
// upload of small files would otherwise do, parsing Location, for every
// file). Any other store is asked to delete them.
func storeEmpty(store CacheStore) bool {
	m, ok := store.(*MemoryCache)
	return ok && m.Len() == 0
}

// Do answers req through the cache; see WithCache.
func (c *cacheDoer) Do(req *http.Request) (*http.Response, error) {
	fwd, why := cacheUse(req)
	if fwd == "method" {
		resp, err := c.next.Do(req)
		if err == nil && !storeEmpty(c.store) {
			for _, key := range invalidatedURLs(req, resp) {
				c.store.Delete(key)
			}
		}
		return resp, err
	}
	if fwd != "" {
		resp, err := c.next.Do(req)
		if err == nil {
			addCacheStatus(headerOf(resp), "fwd="+fwd+`; detail="`+why+`"`)
		}
		return resp, err
	}

	key := cacheKey(req.URL)
	stored, ok := c.store.Get(key)
	fwd = "uri-miss"
	if ok && !varyMatches(stored, req, c.creds) {
		ok, fwd = false, "vary-miss"
	}
	out := req
	if ok {
		fwd = "stale"
		out = req.Clone(req.Context())
		inm, ims := conditionalHeaders(stored)
		if inm != "" {
			out.Header.Set("If-None-Match", inm)
		}
		if ims != "" {
			out.Header.Set("If-Modified-Since", ims)
		}
	}
	resp, err := c.next.Do(out)
	if err != nil {
		return nil, err
	}
	headerOf(resp)
	if ok && resp.StatusCode == http.StatusNotModified {
		if fresh, valid := freshen(stored, resp.Header, c.now()); valid {
			drainAndClose(resp.Body)
			c.store.Set(key, fresh)
			c.logger.LogAttrs(req.Context(), slog.LevelDebug, "level3: cache revalidated",
				slog.String("url", redactURL(req.URL)), slog.Int("bytes", len(fresh.Body)))
			return served(fresh, resp), nil
		}
		// A 304 for a version we do not hold: ask again, unconditionally.
		drainAndClose(resp.Body)
		c.store.Delete(key)
		if resp, err = c.next.Do(req); err != nil {
			return nil, err
		}
		headerOf(resp)
		fwd = "miss"
	}
	return c.keep(key, req, resp, fwd), nil
}

// keep arranges for resp to be stored once its body has been read whole,
// when it may be, and reports what the cache did.
func (c *cacheDoer) keep(key string, req *http.Request, resp *http.Response, fwd string) *http.Response {
	limit := c.store.MaxEntrySize()
	switch {
	case storable(resp, limit):
		entry := &CachedResponse{Header: resp.Header.Clone(), Vary: varyValues(req, resp.Header, c.creds)}
		entry.Header.Del("Cache-Status")
		resp.Body = &storingBody{rc: resp.Body, limit: limit, want: resp.ContentLength,
			store: func(body []byte) {
				entry.Body, entry.Stored = body, c.now()
				c.store.Set(key, entry)
			}}
	case resp.StatusCode == http.StatusOK, resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusGone:
		// Replaced by something we do not keep, or gone.
		c.store.Delete(key)
	}
	status := "fwd=" + fwd
	if fwd == "stale" {
		status += "; fwd-status=" + strconv.Itoa(resp.StatusCode)
	}
	addCacheStatus(resp.Header, status)
	return resp
}

// headerOf returns resp.Header, first giving a response built by hand
// without one an empty header, so the layer can annotate it.
func headerOf(resp *http.Response) http.Header {
	if resp.Header == nil {
		resp.Header = make(http.Header)
	}
	return resp.Header
}

// served builds the 200 response the cache answers a 304 with: the stored
// body, the refreshed header, and the 304's request and connection details.
func served(r *CachedResponse, notModified *http.Response) *http.Response {
	h := r.Header.Clone()
	h.Set("Content-Length", strconv.Itoa(len(r.Body)))
	addCacheStatus(h, "fwd=stale; fwd-status=304")
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         notModified.Proto,
		ProtoMajor:    notModified.ProtoMajor,
		ProtoMinor:    notModified.ProtoMinor,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(r.Body)),
		ContentLength: int64(len(r.Body)),
		Request:       notModified.Request,
		TLS:           notModified.TLS,
	}
}
