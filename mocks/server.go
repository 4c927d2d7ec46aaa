// This file holds Server: routing of paths to resources, the request log,
// fault queues and the methods tests use to change state. behaviour.go holds
// what a resource answers.

package mocks

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/l3go/level3/profiles"
)

// Server is a fake Level 3 server listening on loopback. It is safe for
// concurrent use. The zero value is not usable: call [NewServer] or [Start].
type Server struct {
	// URL is the base URL, http://127.0.0.1:PORT (https:// with [WithTLS]),
	// with no trailing slash.
	URL string

	ts      *httptest.Server
	t       TB // non-nil with Strict: unknown paths fail the test
	mu      sync.Mutex
	entries map[string]*entry
	log     []Request
	created int // counter for names of created resources
	now     func() time.Time
	conns   atomic.Int64 // connections opened (served.go)
}

// entry is the server-side state of one path.
type entry struct {
	res       Resource
	faults    []Fault
	count     int
	bodyBytes atomic.Int64
	pending   *async // an accepted operation not finished yet (async.go)
	failed    *Fault // an accepted operation that failed: GET/HEAD answer this
	// submissions remembers Form submissions by idempotency key.
	submissions map[string]*submission
}

// Request is one request as the server saw it.
type Request struct {
	Method    string
	Path      string
	RawQuery  string
	Header    http.Header
	Proto     string
	Time      time.Time
	BodyBytes int64 // body bytes read by the server when the log was read
	// BytesSent is the response body bytes written when the log was read.
	BytesSent int64
	body      *atomic.Int64
	sent      *atomic.Int64
}

// Option configures a Server.
type Option func(*config)

type config struct {
	tls, http2 bool
	addr       string
	strict     TB
	now        func() time.Time
}

// WithTLS serves HTTPS with httptest's self-signed certificate; use
// [Server.Client] for a client that trusts it.
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithHTTP2 serves HTTPS with HTTP/2 enabled.
func WithHTTP2() Option { return func(c *config) { c.tls, c.http2 = true, true } }

// WithAddr listens on addr (such as 127.0.0.1:8080) instead of a free
// loopback port.
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// Strict makes any request for a path with no resource fail t (with
// t.Errorf), like go-github's trap handler: a test notices when the client
// goes astray. So does [Server.Fail] for a path with no resource.
func Strict(t TB) Option { return func(c *config) { c.strict = t } }

// WithClock makes the server read the time from now instead of
// [time.Now]: for [Request.Time], new last-modified dates and
// [Resource.AsyncAfter]. Tests that drive a fake clock share it with the
// server this way, so server-side timestamps follow the fake time.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// TB is the part of [testing.TB] the server uses. *testing.T, *testing.B
// and *testing.F satisfy it, as do the test types of other frameworks. The
// package takes this interface rather than testing.TB so that programs that
// run the server (such as `l3 serve`) do not link package testing.
type TB interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// NewServer starts a Server for a test and closes it when the test ends,
// as [httptest.NewServer] does with a deferred Close: t is usually a
// *testing.T. A server that cannot start (only with [WithAddr]) fails the
// test with t.Fatalf. Programs outside tests use [Start] and Close.
//
//	func TestOrders(t *testing.T) {
//		srv := mocks.NewServer(t, mocks.Strict(t))
//		srv.AddCatalog()
//		// ... requests to srv.URL + mocks.PathOrders ...
//	}
func NewServer(t TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("mocks: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a Server outside a test (a demo, a command such as
// `l3 serve`); the caller must Close it. It fails only when the address
// given by [WithAddr] cannot be listened on.
func Start(opts ...Option) (*Server, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{entries: make(map[string]*entry), t: cfg.strict, now: time.Now}
	if cfg.now != nil {
		s.now = cfg.now
	}
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if cfg.addr != "" {
		l, err := net.Listen("tcp", cfg.addr)
		if err != nil {
			return nil, err
		}
		s.ts.Listener.Close()
		s.ts.Listener = l
	}
	// Level 3 clients keep connections; tests must not hang on idle ones.
	s.ts.Config.ReadHeaderTimeout = 10 * time.Second
	s.ts.EnableHTTP2 = cfg.http2
	s.ts.Config.ConnState = s.countConn
	if cfg.tls {
		s.ts.StartTLS()
	} else {
		s.ts.Start()
	}
	s.URL = s.ts.URL
	return s, nil
}

// Close shuts the server down, closing open connections.
func (s *Server) Close() {
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Client returns an *http.Client that trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// TLSConfig returns the server's TLS configuration (nil without TLS).
func (s *Server) TLSConfig() *tls.Config { return s.ts.TLS }

// Handle serves a copy of r at path (such as "/orders/1"), replacing any
// resource there, and returns the absolute URL.
func (s *Server) Handle(path string, r *Resource) string {
	return s.handle(path, r, nil)
}

// handle is Handle, with setup run on the new entry before anyone can see
// it.
func (s *Server) handle(path string, r *Resource, setup func(e *entry)) string {
	res := *r
	res.Header = r.Header.Clone()
	res.Body = append([]byte(nil), r.Body...)
	if res.has(profiles.Entity) {
		if res.ETag == "" {
			res.ETag = etagOf(res.Body, res.WeakETag)
		}
		if res.LastModified.IsZero() {
			res.LastModified = s.now().UTC().Truncate(time.Second)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := &entry{res: res}
	if setup != nil {
		setup(e)
	}
	s.entries[path] = e
	return s.URL + path
}

// Remove deletes the resource at path; it answers 404 from then on.
func (s *Server) Remove(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.entries, path)
}

// Fail queues faults for the resource at path. They are used up in order,
// each by the next request(s) it applies to.
func (s *Server) Fail(path string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.entries[path]; e != nil {
		e.faults = append(e.faults, faults...)
	} else if s.t != nil {
		s.t.Errorf("mocks: Fail(%q): no resource at that path", path)
	}
}

// SetBody changes the bytes of the resource at path, with new validators, as
// if another client had replaced them.
func (s *Server) SetBody(path string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.entries[path]; e != nil {
		e.res.Body = append([]byte(nil), body...)
		e.res.refreshValidators(s.now())
	}
}

// Resource returns a copy of the resource now at path, and whether there is
// one: tests read its Body and ETag after the client changed it.
func (s *Server) Resource(path string) (Resource, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[path]
	if e == nil {
		return Resource{}, false
	}
	r := e.res
	r.Body = append([]byte(nil), e.res.Body...)
	return r, true
}

// Paths lists the paths that have a resource, sorted.
func (s *Server) Paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	paths := make([]string, 0, len(s.entries))
	for p := range s.entries {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// Count returns how many requests reached path (any method), including ones
// answered by faults.
func (s *Server) Count(path string) int {
	return int(s.sumLog(path, func(*Request) int64 { return 1 }))
}

// BodyBytes returns how many request body bytes the server has read for
// path, over all requests: 0 means no upload byte reached it.
func (s *Server) BodyBytes(path string) int64 {
	return s.sumLog(path, func(r *Request) int64 { return r.body.Load() })
}

// sumLog returns the sum of f over the logged requests for path.
func (s *Server) sumLog(path string, f func(*Request) int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for i := range s.log {
		if s.log[i].Path == path {
			n += f(&s.log[i])
		}
	}
	return n
}

// Requests returns the log of every request so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	for i, r := range s.log {
		r.BodyBytes, r.BytesSent = r.body.Load(), r.sent.Load()
		out[i] = r
	}
	return out
}

// ResetLog forgets the requests seen so far.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// serve routes one request: log it, pick a fault or the normal behaviour.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	counter, sent := new(atomic.Int64), new(atomic.Int64)
	w = &sentCounter{ResponseWriter: w, n: sent}
	// The handlers read a copy of r with a counting body. The server's own
	// r keeps its body, so net/http handles expect: 100-continue as it does
	// for any handler: 100 at the first read, and a closed connection after
	// an answer that left the body unread.
	orig := r
	r = r.WithContext(r.Context())
	r.Body = &countingBody{ReadCloser: r.Body, n: counter}

	s.mu.Lock()
	s.log = append(s.log, Request{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Proto: r.Proto, Time: s.now(), body: counter, sent: sent,
	})
	e := s.entries[r.URL.Path]
	if e == nil {
		s.mu.Unlock()
		if s.t != nil {
			s.t.Errorf("mocks: unexpected request %s %s", r.Method, r.URL)
		}
		f := Problem(http.StatusNotFound, "Not Found", "no resource at "+r.URL.Path)
		f.writeError(w)
		return
	}
	e.count++
	fault, ok := takeFault(e, r)
	s.mu.Unlock()

	if ok {
		if fault.delay > 0 && !sleep(r.Context(), fault.delay) {
			return
		}
		if fault.noContinue && s.withoutContinue(w, r, fault) {
			return
		}
		if fault.keepOpen {
			s.keepingOpen(w, orig, r, fault)
			return
		}
		if fault.hangup {
			panic(http.ErrAbortHandler) // net/http closes the connection
		}
		if fault.lose {
			s.behave(&discardWriter{h: http.Header{}}, r, r.URL.Path)
			panic(http.ErrAbortHandler)
		}
		if fault.status != 0 {
			fault.writeError(w)
			return
		}
		if fault.dropAfter >= 0 {
			w = &droppingWriter{ResponseWriter: w, left: fault.dropAfter}
		}
		w = s.contentFault(fault, w, r)
	}
	s.behave(w, r, r.URL.Path)
}

// takeFault removes and returns the first queued fault that applies to r.
func takeFault(e *entry, r *http.Request) (Fault, bool) {
	for i := range e.faults {
		f := &e.faults[i]
		if !f.matches(r) {
			continue
		}
		out := *f
		if f.times--; f.times <= 0 {
			e.faults = append(e.faults[:i], e.faults[i+1:]...)
		}
		return out, true
	}
	return Fault{}, false
}

// sleep waits d, or returns false early when ctx ends.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// countingBody counts the request body bytes the handler reads.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

// Read counts what it passes on.
func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// droppingWriter writes at most left body bytes, then aborts the handler so
// the server closes the connection mid-body.
type droppingWriter struct {
	http.ResponseWriter
	left  int64
	stall context.Context // non-nil: wait for it to end before aborting
}

// Write passes bytes on until the budget is spent, then aborts.
func (d *droppingWriter) Write(p []byte) (int, error) {
	if int64(len(p)) <= d.left {
		d.left -= int64(len(p))
		return d.ResponseWriter.Write(p)
	}
	_, _ = d.ResponseWriter.Write(p[:d.left])
	d.left = 0
	if f, ok := d.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	if d.stall != nil {
		<-d.stall.Done()
	}
	panic(http.ErrAbortHandler)
}
