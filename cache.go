// This file holds the cache layer of the Client's pipeline (Entity mixin,
// cache-aware fetch): which requests may use the cache (cacheUse), which
// responses may be stored (storable), how a 304 refreshes a stored response
// (freshen), which URLs a change invalidates (invalidatedURLs), the layer
// that loops around those decisions, and the RFC 9211 Cache-Status field it
// reports with. Stores are in cache_store.go.

package level3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
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
// most [DefaultCacheEntrySize] per response; see [WithoutCache].
func WithCache(store CacheStore) Option {
	return func(c *Client) error {
		if store == nil {
			return errors.New("level3: WithCache: nil CacheStore (use WithoutCache to disable caching)")
		}
		c.cache = store
		return nil
	}
}

// WithoutCache turns the Client's cache off: every GET is sent as given.
func WithoutCache() Option {
	return func(c *Client) error {
		c.cache = nil
		return nil
	}
}

// cacheBypassKey marks a context whose GETs skip the cache.
type cacheBypassKey struct{}

// BypassCache returns a context whose requests skip the Client's cache: sent
// as given, their responses neither served from nor stored in it. A request
// header Cache-Control: no-store has the same effect (RFC 9111 §5.2.1.5).
func BypassCache(ctx context.Context) context.Context {
	if ctx == nil {
		return nil // the call it is passed to reports ErrInvalidUse
	}
	return context.WithValue(ctx, cacheBypassKey{}, true)
}

// CacheName is the cache's name in the Cache-Status response field.
const CacheName = "level3"

// FromCache reports whether the body of resp came from the Client's cache:
// the server answered 304 Not Modified to the revalidation, and the stored
// body stands in for it. The Client says so in an RFC 9211 Cache-Status
// field, "level3; fwd=stale; fwd-status=304", which FromCache reads.
func FromCache(resp *http.Response) bool {
	if resp == nil {
		return false
	}
	m, ok := lastCacheStatus(resp.Header.Values("Cache-Status"), CacheName)
	return ok && (m["hit"] == "?1" || m["fwd-status"] == "304")
}

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
		return "bypass", "BypassCache"
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

// Do answers req through the cache; see WithCache.
func (c *cacheDoer) Do(req *http.Request) (*http.Response, error) {
	fwd, why := cacheUse(req)
	if fwd == "method" {
		resp, err := c.next.Do(req)
		if err == nil {
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

// addCacheStatus appends this cache's member to the Cache-Status field (RFC
// 9211 §2: each cache adds its member after those of the caches nearer the
// origin).
func addCacheStatus(h http.Header, params string) {
	h.Add("Cache-Status", CacheName+"; "+params)
}

// storingBody passes a response body through to the caller and keeps a copy
// of it, up to limit bytes. When the body turns out complete (its
// Content-Length reached, or EOF) it hands the copy to store, once; a body
// that grows past limit, fails or is closed early is not stored, and the copy
// is dropped at once, so memory stays bounded by limit.
type storingBody struct {
	rc    io.ReadCloser
	limit int64
	want  int64 // Content-Length, or -1
	store func([]byte)

	mu      sync.Mutex // held by Read; Close only probes when it is free
	buf     []byte
	done    bool // stored or abandoned
	started bool
}

// closeProbe is the largest remainder of a body of announced length that
// Close reads to complete the copy: a JSON decoder often stops just before
// the last bytes (a trailing newline). Larger remainders, and bodies of
// unknown length, are not read at Close, which must not block.
const closeProbe = 4 << 10

// Read reads from the body and keeps what it read.
func (b *storingBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.rc.Read(p)
	b.keep(p[:n], err)
	return n, err
}

// keep records n bytes read with err; b.mu is held.
func (b *storingBody) keep(p []byte, err error) {
	if b.done {
		return
	}
	if !b.started {
		b.started = true
		if b.want >= 0 && b.want <= b.limit {
			b.buf = make([]byte, 0, b.want)
		}
	}
	if int64(len(b.buf)+len(p)) > b.limit || b.want >= 0 && int64(len(b.buf)+len(p)) > b.want {
		b.abandon()
		return
	}
	b.buf = append(b.buf, p...)
	complete := b.want >= 0 && int64(len(b.buf)) == b.want
	switch {
	case complete || err == io.EOF && b.want < 0:
		b.done = true
		body := b.buf
		if cap(body) > len(body)+len(body)/4 {
			body = bytes.Clone(body)
		}
		b.buf = nil
		b.store(body)
	case err != nil:
		b.abandon()
	}
}

// abandon drops the copy; b.mu is held.
func (b *storingBody) abandon() {
	b.done, b.buf = true, nil
}

// Close closes the body. When no Read is in progress and the copy lacks at
// most closeProbe bytes of the announced length, it first reads them, so that
// a body read all but its last bytes is still stored.
func (b *storingBody) Close() error {
	if b.mu.TryLock() {
		if !b.done && b.want >= 0 && b.want-int64(len(b.buf)) <= closeProbe {
			var chunk [512]byte
			for i := 0; !b.done && i < 2*closeProbe/len(chunk); i++ {
				n, err := b.rc.Read(chunk[:])
				b.keep(chunk[:n], err)
				if err != nil {
					break
				}
			}
		}
		b.abandon()
		b.mu.Unlock()
	}
	return b.rc.Close()
}

// lastCacheStatus finds the last member of a Cache-Status field (RFC 9211,
// an RFC 8941 list) whose cache is named name, and returns its parameters,
// a boolean parameter given without a value as "?1". Quoted strings are
// unescaped; malformed members are skipped.
func lastCacheStatus(values []string, name string) (map[string]string, bool) {
	var found map[string]string
	ok := false
	for _, v := range values {
		for _, member := range splitOutsideQuotes(v, ',') {
			parts := splitOutsideQuotes(member, ';')
			if len(parts) == 0 || unquoteSF(strings.TrimSpace(parts[0])) != name {
				continue
			}
			params := make(map[string]string, len(parts)-1)
			for _, p := range parts[1:] {
				k, val, hasVal := strings.Cut(strings.TrimSpace(p), "=")
				if k == "" {
					continue
				}
				if !hasVal {
					val = "?1"
				}
				params[strings.ToLower(k)] = unquoteSF(strings.TrimSpace(val))
			}
			found, ok = params, true
		}
	}
	return found, ok
}

// splitOutsideQuotes splits s at each sep that is not inside a quoted string
// (with backslash escapes), dropping empty elements.
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			if part := strings.TrimSpace(s[start:i]); part != "" {
				out = append(out, part)
			}
			start = i + 1
		}
	}
	if part := strings.TrimSpace(s[min(start, len(s)):]); part != "" {
		out = append(out, part)
	}
	return out
}

// unquoteSF returns the content of an RFC 8941 string ("..." with \" and \\
// escapes), or s itself when it is not quoted.
func unquoteSF(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		if s[i] == '\\' && i+1 < len(s)-1 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
