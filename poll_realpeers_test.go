package level3

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/realpeers"
)

// Real servers know nothing of respond-async: they answer synchronously, and
// the Poller is done at once.
func TestRealPeersIgnoresRespondAsync(t *testing.T) {
	realpeers.Run(t, func(t *testing.T, srv realpeers.Peer) {
		c := newPeerClient(t, srv)
		ctx := context.Background()
		u := srv.URL + "/dav/async.txt"

		p, err := c.SendAsync(ctx, http.MethodPut, u, "text/plain", strings.NewReader("one"), nil)
		require.NoError(t, err, "HEAD 404 first (absent), then PUT creates")
		require.True(t, p.Done())
		assert.Nil(t, p.Accepted())
		assert.Empty(t, p.PreferenceApplied())
		resp, err := p.Result()
		require.NoError(t, err)
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
		require.NoError(t, resp.Body.Close())

		p, err = c.SendAsync(ctx, http.MethodPut, u, "text/plain", strings.NewReader("two!"), nil)
		require.NoError(t, err, "HEAD gives the validators, then PUT replaces")
		resp, err = p.Result()
		require.NoError(t, err)
		assert.Contains(t, []int{http.StatusCreated, http.StatusNoContent}, resp.StatusCode)
		require.NoError(t, resp.Body.Close())

		p, err = c.SendAsync(ctx, http.MethodDelete, u, "", nil, nil)
		require.NoError(t, err)
		resp, err = p.Result()
		require.NoError(t, err)
		assert.Equal(t, http.StatusNoContent, resp.StatusCode)
		require.NoError(t, resp.Body.Close())
	})
}

// The three strategies against real HEAD and GET answers: the change is
// made on disk while the Poller sleeps.
func TestRealPeersPollers(t *testing.T) {
	realpeers.Run(t, func(t *testing.T, srv realpeers.Peer) {
		c := newPeerClient(t, srv)
		ctx := context.Background()
		realpeers.WriteFile(t, srv.DocRoot, "a.txt", []byte("version 1\n"))
		realpeers.WriteFile(t, srv.DAVRoot, "doomed.txt", []byte("bye\n"))
		a, err := c.Discover(ctx, srv.URL+"/files/a.txt")
		require.NoError(t, err)
		require.NotEmpty(t, a.ETag)

		for _, tc := range []struct {
			name   string
			s      pollStrategy
			url    string
			method string
			change func()
			status int
		}{
			{"location appears", &locationStrategy{}, srv.URL + "/files/later.txt", http.MethodPost,
				func() { realpeers.WriteFile(t, srv.DocRoot, "later.txt", []byte("made later\n")) }, http.StatusOK},
			{"etag changes", &entityStrategy{Before: priorState{Validators: Validators{ETag: a.ETag, LastModified: a.LastModified}}}, srv.URL + "/files/a.txt", http.MethodPut,
				func() { realpeers.WriteFile(t, srv.DocRoot, "a.txt", []byte("version 2, longer\n")) }, http.StatusOK},
			{"deleted", &deletionStrategy{}, srv.URL + "/dav/doomed.txt", http.MethodDelete,
				func() { require.NoError(t, os.Remove(filepath.Join(srv.DAVRoot, "doomed.txt"))) }, http.StatusNotFound},
		} {
			clk := newFakeClock()
			clk.onSleep = func(n int) {
				if n == 2 {
					tc.change()
				}
			}
			cfg, err := newAsyncConfig(&AsyncOptions{clock: clk})
			require.NoError(t, err)
			p, err := newPoller(c, tc.s, pollState{URL: tc.url, Method: tc.method, PollMethod: tc.s.method()}, cfg)
			require.NoError(t, err)
			p.schedule("")
			resp, err := p.Wait(ctx)
			require.NoError(t, err, tc.name)
			assert.Equal(t, tc.status, resp.StatusCode, tc.name)
			assert.Equal(t, 2, p.Polls(), "%s: one poll before the change, one after", tc.name)
			if tc.s.kind() == kindLocation {
				body, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				assert.Equal(t, "made later\n", string(body))
			}
			require.NoError(t, resp.Body.Close())
		}
	})
}
