package level3

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/realpeers"
)

// realClient returns a Client whose connections count the bytes it writes.
func realClient(t *testing.T, opts ...Option) (*Client, *atomic.Int64) {
	t.Helper()
	written := new(atomic.Int64)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ExpectContinueTimeout = time.Second
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: c, n: written}, nil
	}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := New(append([]Option{WithHTTPClient(&http.Client{Transport: tr}), WithRetry(fastRetry)}, opts...)...)
	require.NoError(t, err)
	return c, written
}

// accessLog returns the requests srv logged, one line each.
func accessLog(t *testing.T, srv *realpeers.Server) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(filepath.Dir(srv.ErrorLog), "access.log"))
	require.NoError(t, err)
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// countLines counts the lines of log containing all of parts.
func countLines(log []string, parts ...string) int {
	n := 0
	for _, l := range log {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			n++
		}
	}
	return n
}

func TestRealPeersPut(t *testing.T) {
	peers(t, func(t *testing.T, srv *realpeers.Server) {
		c, _ := realClient(t)
		ctx := context.Background()
		file := writeTemp(t, "new file.txt", "first\n")
		target := srv.URL + "/dav/new%20file.txt"

		res, err := c.PutFile(ctx, target, file, &UploadOptions{FetchValidators: true})
		require.NoError(t, err)
		assert.Equal(t, http.StatusCreated, res.Status)
		assert.Equal(t, target, res.Location.String(), "relative (nginx) or absolute (Apache), resolved")
		assert.NotEmpty(t, res.Validators.ETag, "fetched with HEAD: WebDAV sends none after PUT")
		assert.False(t, res.Validators.LastModified.IsZero())
		assert.EqualValues(t, 6, res.Sent)

		res, err = c.Put(ctx, target, strings.NewReader("second\n"), nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusNoContent, res.Status)
		data, err := os.ReadFile(filepath.Join(srv.DAVRoot, "new file.txt"))
		require.NoError(t, err)
		assert.Equal(t, "second\n", string(data))
	})
}

func TestRealPeersPreflightedRejectionSendsNoBody(t *testing.T) {
	peers(t, func(t *testing.T, srv *realpeers.Server) {
		c, written := realClient(t)
		_, err := c.Put(context.Background(), srv.URL+"/small/big.bin", zeroBody(big), nil)
		var tooLarge *PayloadTooLargeError
		require.ErrorAs(t, err, &tooLarge, "client_max_body_size / LimitRequestBody")
		assert.Less(t, written.Load(), int64(headersOnly), "bytes the client wrote for a %d-byte upload", big)
		assert.NoFileExists(t, filepath.Join(srv.DAVRoot, "big.bin"))
		// nginx logs a request once its lingering close is over.
		assert.Eventually(t, func() bool { return countLines(accessLog(t, srv), "PUT /small/big.bin", " 413 ") == 1 },
			5*time.Second, 10*time.Millisecond, "sent once, not retried")
		assert.Equal(t, 1, countLines(accessLog(t, srv), "PUT /small/big.bin"))
	})
}

func TestRealPeersEntityConditions(t *testing.T) {
	peers(t, func(t *testing.T, srv *realpeers.Server) {
		c, written := realClient(t)
		ctx := context.Background()
		realpeers.WriteFile(t, srv.DAVRoot, "doc.txt", []byte("v1"))
		r, err := c.Discover(ctx, srv.URL+"/dav/doc.txt")
		require.NoError(t, err)
		require.NotEmpty(t, r.ETag)

		// A stale tag, checked before 100 by Apache: no body byte. nginx's
		// dav module ignores preconditions (realpeers/doc.go).
		before := written.Load()
		size := int64(big)
		if srv.Name == "nginx" {
			size = 1 << 10 // it would store it all
		}
		_, err = c.Put(ctx, r.URL.String(), zeroBody(size), &UploadOptions{RequestOptions: RequestOptions{IfVersion: Validators{ETag: `"stale"`}}})
		if srv.Name == "apache" {
			var stale *PreconditionFailedError
			require.ErrorAs(t, err, &stale)
			assert.Less(t, written.Load()-before, int64(headersOnly))
		} else {
			require.NoError(t, err)
			realpeers.WriteFile(t, srv.DAVRoot, "doc.txt", []byte("v1"))
			r, err = c.Discover(ctx, srv.URL+"/dav/doc.txt")
			require.NoError(t, err)
		}

		// Through the Resource: conditional on the tag seen at discovery.
		res, err := r.Put(ctx, strings.NewReader("v2"), nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusNoContent, res.Status)

		// Forced change of a missing resource: Apache refuses (412), nginx
		// creates it.
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
	peers(t, func(t *testing.T, srv *realpeers.Server) {
		// An expectation the server does not know: Apache answers 417 and
		// drops the connection without saying so; nginx ignores it. Either
		// way the file arrives once, and the origin is remembered.
		c, _ := realClient(t, WithPreflight(PreflightPolicy{Threshold: 1, Wait: 200 * time.Millisecond}))
		ctx := context.Background()
		res, err := c.Put(ctx, srv.URL+"/dav/expect.txt", strings.NewReader("expected"), &UploadOptions{
			RequestOptions: RequestOptions{Header: http.Header{"Expect": {"x-level3-test"}}},
		})
		require.NoError(t, err)
		assert.Equal(t, http.StatusCreated, res.Status)
		data, err := os.ReadFile(filepath.Join(srv.DAVRoot, "expect.txt"))
		require.NoError(t, err)
		assert.Equal(t, "expected", string(data))
		assert.True(t, c.origins.has(originOf(res.Location)))
		if srv.Name == "apache" {
			// Apache reads the body (sent after the wait) before its 417,
			// then drops the connection; when the drop wins the race with
			// the 417, net/http reports a write error and the retry layer
			// sends the request again: one 417 or two.
			assert.Positive(t, countLines(accessLog(t, srv), "PUT /dav/expect.txt", " 417 "))
		}

		// Later uploads to the origin go without expect and without the wait.
		_, err = c.Put(ctx, srv.URL+"/dav/later.bin", zeroBody(2<<20), nil)
		require.NoError(t, err)
	})
}
