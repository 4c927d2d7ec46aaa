package level3

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/realpeers"
)

func TestRealPeersRevalidation(t *testing.T) {
	realpeers.Run(t, func(t *testing.T, srv realpeers.Peer) {
		body := bytes.Repeat([]byte("level3 "), 10_000)
		realpeers.WriteFile(t, srv.DocRoot, "cached.txt", body)
		store := NewMemoryCache(1<<20, 1<<20)
		c := newPeerClient(t, srv, WithCache(store))
		ctx := context.Background()

		for i, wantCached := range []bool{false, true, true} {
			resp, err := c.Get(ctx, srv.URL+"/l3/cached.txt", nil)
			require.NoError(t, err)
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			assert.Equal(t, body, got, "GET %d", i+1)
			assert.Equal(t, wantCached, FromCache(resp), "GET %d: %s answered 304", i+1, srv.Name)
			assert.Equal(t, realpeers.ContentProfile, resp.Header.Get("Profile"), "Level 3 headers survive revalidation")
		}

		realpeers.WriteFile(t, srv.DocRoot, "cached.txt", []byte("changed\n"))
		resp, err := c.Get(ctx, srv.URL+"/l3/cached.txt", nil)
		require.NoError(t, err)
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, "changed\n", string(got))
		assert.False(t, FromCache(resp))
	})
}
