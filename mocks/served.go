// This file holds what the server counts of its answers, beside the request
// log of server.go: the response body bytes handlers wrote for each request
// ([Server.BytesSent]) and the connections clients opened
// ([Server.Connections]), so that tests can assert how much went over the
// wire and over how many connections.

package mocks

import (
	"net"
	"net/http"
	"sync/atomic"
)

// BytesSent returns how many response body bytes the server wrote for
// path, over all requests: what it served, counted as handlers wrote it (a
// connection cut or reset may have lost the last of them on the way).
func (s *Server) BytesSent(path string) int64 {
	return s.sumLog(path, func(r *Request) int64 { return r.sent.Load() })
}

// Connections returns how many connections (TCP, with or without TLS)
// clients have opened to the server so far: over HTTP/2 one connection
// carries many requests, over HTTP/1.1 one at a time.
func (s *Server) Connections() int { return int(s.conns.Load()) }

// countConn is the server's ConnState hook: it counts new connections.
func (s *Server) countConn(_ net.Conn, state http.ConnState) {
	if state == http.StateNew {
		s.conns.Add(1)
	}
}

// sentCounter counts the response body bytes written through it. It
// passes flushes on and unwraps for [http.ResponseController].
type sentCounter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *sentCounter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// Flush passes flushes on.
func (c *sentCounter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap returns the ResponseWriter it wraps.
func (c *sentCounter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
