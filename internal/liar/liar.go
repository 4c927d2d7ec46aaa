// Package liar is a loopback HTTP/1.1 server for tests that need a server
// to lie at the byte level, as net/http's own server never would: a body cut
// short of its content-length, a close-delimited body, a length that
// contradicts another, one byte and then silence. Each request is handed to
// a script that writes the raw answer on the connection. The package is
// internal: tests of level3 and of cmd/l3 share it; mocks holds the
// well-behaved fake server. [Raw] hands over the connection itself, for a
// server that never answers at all, and [Wire] records the bytes any
// server receives.
package liar

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// Script answers request n (counted from 0 over every connection) by
// writing raw bytes to conn. It returns true to keep the connection for
// the next request, false to close it. It runs on the connection's
// goroutine; a script that waits must end when conn is closed.
type Script func(n int, req *http.Request, conn net.Conn) (keep bool)

// Server is a listening liar. Its URL is http://127.0.0.1:PORT.
type Server struct {
	URL string

	ln       net.Listener
	serve    func(*Server, net.Conn) // runs on the connection's goroutine, which then closes it
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	accepted int
	reqs     []*http.Request
	closed   bool
}

// New starts a liar on 127.0.0.1 that answers with script; the test's
// cleanup closes it, every connection, and waits for their goroutines.
func New(t testing.TB, script Script) *Server {
	t.Helper()
	return start(t, func(s *Server, c net.Conn) { s.answer(c, script) })
}

// Raw starts a server on 127.0.0.1 that hands each connection it accepts to
// serve, on a goroutine of its own, and closes it once serve returns; no
// request is read for it (Requests stays empty). A serve that waits must
// end when the connection is closed, as [Hold] does. The test's cleanup
// closes the server, every connection, and waits for serve to return.
func Raw(t testing.TB, serve func(net.Conn)) *Server {
	t.Helper()
	return start(t, func(_ *Server, c net.Conn) { serve(c) })
}

// start listens on 127.0.0.1 and serves each connection with serve.
func start(t testing.TB, serve func(*Server, net.Conn)) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("liar: %v", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), ln: ln, serve: serve, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

// Accepted returns how many connections the server has accepted.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Close stops the server and closes every connection.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

// Requests returns the requests received so far, without their bodies.
func (s *Server) Requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.reqs...)
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.accepted++
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				c.Close()
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
			s.serve(s, c)
		}()
	}
}

// answer reads the requests of c and answers each with script.
func (s *Server) answer(c net.Conn, script Script) {
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		s.mu.Lock()
		n := len(s.reqs)
		s.reqs = append(s.reqs, req)
		s.mu.Unlock()
		if !script(n, req, &conn{Conn: c, r: br}) {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
	}
}

// conn reads what the request reader buffered before the socket.
type conn struct {
	net.Conn
	r *bufio.Reader
}

func (c *conn) Read(p []byte) (int, error) { return c.r.Read(p) }

// Head writes a status line and header fields given as "Name: value"
// strings, then the blank line.
func Head(w io.Writer, status int, fields ...string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	for _, f := range fields {
		b.WriteString(f + "\r\n")
	}
	b.WriteString("\r\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Hold waits until the client closes conn (or the server is closed), as a
// server does that has stopped sending.
func Hold(conn net.Conn) { _, _ = io.Copy(io.Discard, conn) }

// Wire is a listener that keeps every byte its connections read: what a
// server received, headers included, before any parsing. Put it in place
// of an httptest.Server's Listener before starting it.
type Wire struct {
	net.Listener
	mu  sync.Mutex
	raw bytes.Buffer
}

// Record returns a Wire that records what ln's connections read.
func Record(ln net.Listener) *Wire { return &Wire{Listener: ln} }

// Accept accepts a connection whose reads are recorded.
func (w *Wire) Accept() (net.Conn, error) {
	c, err := w.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordedConn{Conn: c, w: w}, nil
}

// Received returns every byte received so far.
func (w *Wire) Received() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.raw.String()
}

// Count returns how many times s was received.
func (w *Wire) Count(s string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Count(w.raw.Bytes(), []byte(s))
}

// recordedConn records what it reads in its Wire.
type recordedConn struct {
	net.Conn
	w *Wire
}

func (c *recordedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.w.mu.Lock()
	c.w.raw.Write(p[:n])
	c.w.mu.Unlock()
	return n, err
}
