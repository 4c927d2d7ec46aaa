// Package liar is a loopback HTTP/1.1 server for tests that need a server
// to lie at the byte level, as net/http's own server never would: a body cut
// short of its content-length, a close-delimited body, a length that
// contradicts another, one byte and then silence. Each request is handed to
// a script that writes the raw answer on the connection. The package is
// internal: tests of level3 and of cmd/l3 share it; mocks holds the
// well-behaved fake server.
package liar

import (
	"bufio"
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

	ln     net.Listener
	script Script
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	reqs   []*http.Request
	closed bool
}

// New starts a liar on 127.0.0.1 that answers with script; the test's
// cleanup closes it, every connection, and waits for their goroutines.
func New(t testing.TB, script Script) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("liar: %v", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), ln: ln, script: script, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
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
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
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
		if !s.script(n, req, &conn{Conn: c, r: br}) {
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
