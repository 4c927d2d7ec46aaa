package level3

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/realpeers"
)

// realClient returns a Client for p whose connections a Wire records: the
// bytes it writes at the socket, and the body bytes among them.
func realClient(t *testing.T, p realpeers.Peer, opts ...Option) (*Client, *realpeers.Wire) {
	t.Helper()
	w := realpeers.NewWire()
	tr := p.Transport.HTTPTransport()
	tr.ExpectContinueTimeout = time.Second
	w.Instrument(tr)
	t.Cleanup(tr.CloseIdleConnections)
	c, err := New(append([]Option{protocolCheck(t, p), WithHTTPClient(&http.Client{Transport: tr}), WithRetry(fastRetry)}, opts...)...)
	require.NoError(t, err)
	return c, w
}

// logged counts the requests srv logged with method, uri (path and query as
// sent) and status (0: any).
func logged(t *testing.T, srv realpeers.Peer, method, uri string, status int) int {
	t.Helper()
	return countLogged(srv.AccessLog(t), method, uri, status)
}

// countLogged counts the entries of log with method, uri and status (0:
// any).
func countLogged(log []realpeers.LogEntry, method, uri string, status int) int {
	n := 0
	for _, e := range log {
		if e.Method == method && e.URI == uri && (status == 0 || e.Status == status) {
			n++
		}
	}
	return n
}

// wantLogged asserts that srv logged want requests with method, uri and
// status (0: any), sent through hc, waiting for lines written late
// (realpeers.Server.AccessLogWhen).
func wantLogged(t *testing.T, hc *http.Client, srv realpeers.Peer, method, uri string, status, want int, msgAndArgs ...any) {
	t.Helper()
	assert.Equal(t, want, loggedAtLeast(t, hc, srv, method, uri, status, want), msgAndArgs...)
}

// loggedAtLeast counts the requests srv logged with method, uri and status
// (0: any), sent through hc, once there are atLeast of them or 5 s have
// passed (realpeers.Server.AccessLogWhen: lines written late).
func loggedAtLeast(t *testing.T, hc *http.Client, srv realpeers.Peer, method, uri string, status, atLeast int) int {
	t.Helper()
	log := srv.AccessLogWhen(t, hc, func(log []realpeers.LogEntry) bool { return countLogged(log, method, uri, status) >= atLeast })
	return countLogged(log, method, uri, status)
}

// replaced is the status of a PUT that replaces a file on srv: 204, but
// 201 from Caddy's WebDAV backend (golang.org/x/net/webdav), which answers
// 201 to every PUT (realpeers/differences_test.go).
func replaced(srv realpeers.Peer) int {
	if srv.Name == "caddy" {
		return http.StatusCreated
	}
	return http.StatusNoContent
}

func TestRealPeersPut(t *testing.T) {
	realpeers.Run(t, func(t *testing.T, srv realpeers.Peer) {
		c, _ := realClient(t, srv)
		ctx := context.Background()
		file := writeTemp(t, "new file.txt", "first\n")
		target := srv.URL + "/dav/new%20file.txt"

		res, err := c.PutFile(ctx, target, file, &UploadOptions{FetchValidators: true})
		require.NoError(t, err)
		assert.Equal(t, http.StatusCreated, res.Status)
		assert.Equal(t, target, res.Location.String(), "relative (nginx), absolute (Apache) or none (Caddy), resolved")
		assert.NotEmpty(t, res.Validators.ETag, "fetched with HEAD where WebDAV sends none after PUT (nginx, Apache)")
		if srv.Name != "caddy" { // Caddy's backend sends an etag with its 201, so no HEAD is needed
			assert.False(t, res.Validators.LastModified.IsZero())
		}
		assert.EqualValues(t, 6, res.Sent)

		res, err = c.Put(ctx, target, strings.NewReader("second\n"), nil)
		require.NoError(t, err)
		assert.Equal(t, replaced(srv), res.Status)
		data, err := os.ReadFile(filepath.Join(srv.DAVRoot, "new file.txt"))
		require.NoError(t, err)
		assert.Equal(t, "second\n", string(data))
	})
}

// TestRealPeersPreflightedRejectionSendsNoBody refuses a 50 MiB upload
// (/small/ takes 1 MiB) and counts, at the client's sockets, what the
// Client wrote: not one body byte, before the 413 or after it, on every
// server and transport. Over TLS the body bytes are counted in the
// decrypted records, over HTTP/2 in the DATA frames (realpeers.Wire).
func TestRealPeersPreflightedRejectionSendsNoBody(t *testing.T) {
	realpeers.Run(t, func(t *testing.T, srv realpeers.Peer) {
		c, w := realClient(t, srv)
		_, err := c.Put(w.MarkOnAnswer(context.Background()), srv.URL+"/small/big.bin", zeroBody(big), nil)
		var tooLarge *PayloadTooLargeError
		require.ErrorAs(t, err, &tooLarge, "client_max_body_size / LimitRequestBody / Caddy's Content-Length matcher")
		// Count once the connections are closed, so that whatever the
		// Client writes on its way out (close_notify, RST_STREAM, GOAWAY)
		// is counted too.
		c.HTTPClient().CloseIdleConnections()
		require.Eventually(t, func() bool { return w.Open() == 0 }, 5*time.Second, 5*time.Millisecond, "connections closed")
		n, err := w.Count()
		require.NoError(t, err)
		t.Logf("refused %d MiB upload, %s: %s", big>>20, srv, n)
		assert.Zero(t, n.BodyAfter, "body bytes after the rejection")
		assert.Zero(t, n.Body, "body bytes at all: the body waits for 100 Continue")
		assert.Less(t, n.Written, int64(headersOnly), "bytes written at the socket")
		assert.NoFileExists(t, filepath.Join(srv.DAVRoot, "big.bin"))
		// nginx logs a request once its lingering close is over.
		wantLogged(t, c.HTTPClient(), srv, "PUT", "/small/big.bin", 413, 1, "sent once, not retried")
		assert.Equal(t, 1, logged(t, srv, "PUT", "/small/big.bin", 0))
	})
}

func TestRealPeersEntityConditions(t *testing.T) {
	realpeers.Run(t, func(t *testing.T, srv realpeers.Peer) {
		c, w := realClient(t, srv)
		ctx := context.Background()
		realpeers.WriteFile(t, srv.DAVRoot, "doc.txt", []byte("v1"))
		r, err := c.Discover(ctx, srv.URL+"/dav/doc.txt")
		require.NoError(t, err)
		require.NotEmpty(t, r.ETag)

		// A stale tag, checked before 100 by Apache: no body byte. nginx's
		// dav module and Caddy's backend ignore preconditions
		// (realpeers/doc.go).
		size := int64(big)
		if srv.Name != "apache" {
			size = 1 << 10 // it would store it all
		}
		_, err = c.Put(ctx, r.URL.String(), zeroBody(size), &UploadOptions{RequestOptions: RequestOptions{IfVersion: Validators{ETag: `"stale"`}}})
		if srv.Name == "apache" {
			var stale *PreconditionFailedError
			require.ErrorAs(t, err, &stale)
			n, err := w.Count()
			require.NoError(t, err)
			assert.Zero(t, n.Body, "body bytes sent for a refused precondition: %s", n)
		} else {
			require.NoError(t, err)
			realpeers.WriteFile(t, srv.DAVRoot, "doc.txt", []byte("v1"))
			r, err = c.Discover(ctx, srv.URL+"/dav/doc.txt")
			require.NoError(t, err)
		}

		// Through the Resource: conditional on the tag seen at discovery.
		res, err := r.Put(ctx, strings.NewReader("v2"), nil)
		require.NoError(t, err)
		assert.Equal(t, replaced(srv), res.Status)

		// Forced change of a missing resource: Apache refuses (412), nginx
		// and Caddy create it.
		_, err = c.Put(ctx, srv.URL+"/dav/missing.txt", strings.NewReader("x"), &UploadOptions{RequestOptions: RequestOptions{Force: true}})
		if srv.Name == "apache" {
			var stale *PreconditionFailedError
			assert.ErrorAs(t, err, &stale)
		} else {
			assert.NoError(t, err)
		}
	})
}

func TestRealPeersUnknownExpectation(t *testing.T) {
	realpeers.Run(t, func(t *testing.T, srv realpeers.Peer) {
		// An expectation the server does not know: over HTTP/1.1 Apache
		// answers 417 and drops the connection without saying so, Caddy
		// (Go's server) answers 417 and closes; nginx ignores it. Over
		// HTTP/2 only Apache answers 417. Either way the file arrives once,
		// and the origin is remembered.
		c, _ := realClient(t, srv, WithPreflight(PreflightPolicy{Threshold: 1, Wait: 200 * time.Millisecond}))
		ctx := context.Background()
		res, err := c.Put(ctx, srv.URL+"/dav/expect.txt", strings.NewReader("expected"), &UploadOptions{
			RequestOptions: RequestOptions{Header: http.Header{"Expect": {"x-level3-test"}}},
		})
		require.NoError(t, err)
		assert.Equal(t, http.StatusCreated, res.Status)
		data, err := os.ReadFile(filepath.Join(srv.DAVRoot, "expect.txt"))
		require.NoError(t, err)
		assert.Equal(t, "expected", string(data))
		assert.True(t, c.origins.has(origin(res.Location)))
		if srv.Name == "apache" {
			// Apache reads the body (sent after the wait) before its 417,
			// then drops the connection; when the drop wins the race with
			// the 417, net/http reports a write error and the retry layer
			// sends the request again: one 417 or two. (Caddy's 417 comes
			// from Go's server before any handler, so its access log does
			// not show it.)
			assert.Positive(t, loggedAtLeast(t, c.HTTPClient(), srv, "PUT", "/dav/expect.txt", 417, 1))
		}

		// Later uploads to the origin go without expect and without the wait.
		_, err = c.Put(ctx, srv.URL+"/dav/later.bin", zeroBody(2<<20), nil)
		require.NoError(t, err)
	})
}
