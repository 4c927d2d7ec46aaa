package level3

// Tests of the rule that the memory of origins that ignore expect (preflight.go)
// never switches preflight off for a resource that advertises the Preflight
// mixin or a call that asks for it, measured at a raw socket.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/profiles"
)

// preflightOrigin is a raw HTTP/1.1 server on loopback with two resources on
// one origin: /silent ignores expect (it never answers 100 and reads the body
// whenever it comes), and /up advertises the Preflight mixin and refuses
// every POST with 413 as soon as it has the headers, keeping the connection
// open and counting every byte that reaches the socket after them until the
// client closes it (or stays quiet for idle).
type preflightOrigin struct {
	ln     net.Listener
	idle   time.Duration
	upBody atomic.Int64 // bytes received after the headers of each POST /up
	posts  atomic.Int64 // POSTs to /up
	wg     sync.WaitGroup
}

func newPreflightOrigin(t *testing.T) *preflightOrigin {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &preflightOrigin{ln: ln, idle: 5 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer conn.Close()
				s.serve(conn)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *preflightOrigin) url(path string) string { return "http://" + s.ln.Addr().String() + path }

func (s *preflightOrigin) serve(conn net.Conn) {
	br := bufio.NewReader(conn)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(s.idle))
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		switch {
		case req.URL.Path == "/silent" && req.Method == http.MethodPost:
			if _, err := io.Copy(io.Discard, req.Body); err != nil {
				return
			}
			fmt.Fprint(conn, "HTTP/1.1 201 Created\r\nLocation: /silent/1\r\nContent-Length: 0\r\n\r\n")
		case req.URL.Path == "/up" && req.Method == http.MethodPost:
			s.posts.Add(1)
			fmt.Fprint(conn, "HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\ntoo large")
			// Whatever arrives from now on is body: count it until the
			// client lets go of the connection.
			for {
				_ = conn.SetReadDeadline(time.Now().Add(s.idle))
				n, err := io.Copy(io.Discard, br)
				s.upBody.Add(n)
				if err == nil || n == 0 {
					return
				}
			}
		case req.URL.Path == "/up":
			fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nProfile: <%s>, <%s>\r\nAllow: GET, HEAD, POST\r\nContent-Length: 0\r\n\r\n",
				profiles.Upload, profiles.Preflight)
		default:
			fmt.Fprint(conn, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
		}
	}
}

// quiesce waits until every connection of the server is over, so the counts
// are final; the client's idle connections are closed first.
func (s *preflightOrigin) quiesce(t *testing.T, tr *http.Transport) {
	tr.CloseIdleConnections()
	done := make(chan struct{})
	go func() {
		s.ln.Close()
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the server's connections did not end")
	}
}

func TestPreflightOriginMemoryNeverOverrulesTheResource(t *testing.T) {
	const size = 8 << 20
	file := filepath.Join(t.TempDir(), "big.bin")
	require.NoError(t, os.WriteFile(file, make([]byte, size), 0o600))
	for _, c := range []struct {
		name string
		send func(ctx context.Context, c *Client, url string) error
		// bodyMay: the memory does apply (PreflightAuto, nothing
		// advertised), so the body goes at once.
		bodyMay bool
	}{
		{"resource advertises Preflight", func(ctx context.Context, c *Client, url string) error {
			r, err := c.Discover(ctx, url)
			if err != nil {
				return err
			}
			_, err = r.Upload(ctx, zeroBody(size), &UploadOptions{ContentType: "application/octet-stream"})
			return err
		}, false},
		{"call asks for preflight", func(ctx context.Context, c *Client, url string) error {
			_, err := c.Upload(ctx, url, zeroBody(size), &UploadOptions{ContentType: "application/octet-stream", Preflight: PreflightAlways})
			return err
		}, false},
		{"UploadAll to a target advertising Preflight", func(ctx context.Context, c *Client, url string) error {
			var fileErr error
			_, err := c.UploadAll(ctx, url, []string{file}, &BulkOptions{Retry: Schedule{Attempts: -1}, OnResult: func(r FileResult) { fileErr = r.Err }})
			if !errors.Is(err, ErrBulkFailed) {
				return err
			}
			return fileErr
		}, false},
		{"PreflightAuto, nothing advertised: the memory applies", func(ctx context.Context, c *Client, url string) error {
			_, err := c.Upload(ctx, url, zeroBody(size), &UploadOptions{ContentType: "application/octet-stream"})
			return err
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := newPreflightOrigin(t)
			tr := &http.Transport{DisableCompression: true}
			cl, err := New(WithHTTPClient(&http.Client{Transport: tr}), WithRetry(RetryPolicy{Schedule: Schedule{Attempts: -1}}),
				WithPreflight(PreflightPolicy{Mode: PreflightAuto, Threshold: 1 << 20, Wait: 100 * time.Millisecond}))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			// Teach the memory: /silent never answers 100.
			_, err = cl.Upload(ctx, srv.url("/silent"), zeroBody(2<<20), nil)
			require.NoError(t, err)
			require.True(t, cl.origins.has(origin(mustURL(t, srv.url("/")))), "the origin is remembered as ignoring expect")

			err = c.send(ctx, cl, srv.url("/up"))
			var tooLarge *PayloadTooLargeError
			require.ErrorAs(t, err, &tooLarge)
			srv.quiesce(t, tr)
			assert.EqualValues(t, 1, srv.posts.Load())
			if c.bodyMay {
				assert.Positive(t, srv.upBody.Load(), "body bytes at the socket: without a preflight the body goes at once")
				return
			}
			assert.Zero(t, srv.upBody.Load(), "body bytes at the socket")
		})
	}
}
