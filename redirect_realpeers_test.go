package level3

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/realpeers"
)

// TestRealPeersRedirectMemory counts, in the servers' own access logs, what
// the 308 memory saves: after the first call, one request per call, where
// Go's plain client makes two every time.
func TestRealPeersRedirectMemory(t *testing.T) {
	realpeers.Run(t, func(t *testing.T, srv realpeers.Peer) {
		data := []byte("hello, world\n")
		realpeers.WriteFile(t, srv.DocRoot, "a.txt", data)
		c := newPeerClient(t, srv)
		for range 3 {
			assert.Equal(t, string(data), fetchBody(t, c, srv.URL+"/redirect308/a.txt"))
			assert.Equal(t, string(data), fetchBody(t, c, srv.URL+"/redirect307/a.txt"))
		}
		wantLogged(t, c.HTTPClient(), srv, "GET", "/redirect308/a.txt", 0, 1, "308: asked once")
		wantLogged(t, c.HTTPClient(), srv, "GET", "/redirect307/a.txt", 0, 3, "307: asked every time")
		wantLogged(t, c.HTTPClient(), srv, "GET", "/files/a.txt", 0, 6)

		plain := srv.HTTPClient(t)
		for range 3 {
			resp, err := plain.Get(srv.URL + "/redirect308/a.txt")
			require.NoError(t, err)
			resp.Body.Close()
		}
		wantLogged(t, plain, srv, "GET", "/redirect308/a.txt", 0, 4, "net/http asks the alias on every call")
	})
}

func TestRealPeersRedirectBodies(t *testing.T) {
	realpeers.Run(t, func(t *testing.T, srv realpeers.Peer) {
		payload := bytes.Repeat([]byte("level3 "), 150_000) // about 1 MiB
		file := filepath.Join(t.TempDir(), "payload.bin")
		require.NoError(t, os.WriteFile(file, payload, 0o600))
		c := newPeerClient(t, srv)
		ctx := context.Background()
		put := func(url string, header ...string) {
			t.Helper()
			f, err := os.Open(file)
			require.NoError(t, err)
			defer f.Close()
			req, err := NewRequest(ctx, http.MethodPut, url, f)
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/octet-stream")
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			resp, err := c.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
		}
		stored := func(name string) []byte {
			got, err := os.ReadFile(filepath.Join(srv.DAVRoot, name))
			require.NoError(t, err)
			return got
		}

		put(srv.URL + "/dav307/p7.bin")
		assert.True(t, bytes.Equal(payload, stored("p7.bin")), "PUT through a 307: the whole file at the target")
		put(srv.URL + "/dav308/p8.bin")
		put(srv.URL + "/dav308/p8.bin")
		assert.True(t, bytes.Equal(payload, stored("p8.bin")))
		wantLogged(t, c.HTTPClient(), srv, "PUT", "/dav308/p8.bin", 0, 1, "the second PUT went straight to the target")
		wantLogged(t, c.HTTPClient(), srv, "PUT", "/dav/p8.bin", 0, 2)

		// Preflighted: nginx answers 100 Continue before its 307 (the body is
		// sent to the alias and again to the target), Apache redirects first.
		put(srv.URL+"/dav307/expect.bin", "Expect", "100-continue")
		assert.True(t, bytes.Equal(payload, stored("expect.bin")))
		wantLogged(t, c.HTTPClient(), srv, "PUT", "/dav/expect.bin", 0, 1)

		// POST is repeated as POST: nginx refuses POST on a static file,
		// Apache serves it; either way the POST, body and all, reached the
		// target.
		for _, alias := range []string{"/redirect307/a.txt", "/redirect308/a.txt"} {
			realpeers.WriteFile(t, srv.DocRoot, "a.txt", []byte("x"))
			resp, err := c.Send(ctx, http.MethodPost, srv.URL+alias, "text/plain", strings.NewReader("posted"), nil)
			var re *ResponseError
			switch {
			case err == nil:
				resp.Body.Close()
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				assert.Equal(t, srv.URL+"/files/a.txt", resp.Request.URL.String())
			case errors.As(err, &re):
				assert.Equal(t, http.StatusMethodNotAllowed, re.StatusCode, srv.Name)
				assert.Equal(t, http.MethodPost, re.Method)
				assert.Equal(t, srv.URL+"/files/a.txt", re.URL)
			default:
				t.Fatalf("POST %s: %v", alias, err)
			}
		}
		wantLogged(t, c.HTTPClient(), srv, "POST", "/files/a.txt", 0, 2)
	})
}

func TestRealPeersDiscoverAlias(t *testing.T) {
	realpeers.Run(t, func(t *testing.T, srv realpeers.Peer) {
		realpeers.WriteFile(t, srv.DocRoot, "a.txt", []byte("hello"))
		c := newPeerClient(t, srv)
		r, err := c.Discover(context.Background(), srv.URL+"/redirect308/a.txt")
		require.NoError(t, err)
		assert.Equal(t, srv.URL+"/files/a.txt", r.URL.String())
		a, ok := r.Alias()
		require.True(t, ok)
		assert.Equal(t, http.StatusPermanentRedirect, a.Status)
		assert.Equal(t, srv.URL+"/files/a.txt", a.Location.String(), "nginx's relative and Apache's absolute Location alike")
		assert.Equal(t, int64(5), r.ContentLength)

		_, err = c.Get(context.Background(), srv.URL+"/redirect307/missing.txt", nil)
		var nf *NotFoundError
		require.ErrorAs(t, err, &nf)
		assert.Equal(t, srv.URL+"/files/missing.txt", nf.URL)
	})
}
