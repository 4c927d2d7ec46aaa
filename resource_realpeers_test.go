package level3

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/realpeers"
	"github.com/l3go/level3/profiles"
)

func TestRealPeersDiscovery(t *testing.T) {
	realpeers.Run(t, func(t *testing.T, srv realpeers.Peer) {
		realpeers.WriteFile(t, srv.DocRoot, "a.txt", []byte("hello, world\n"))
		c := newPeerClient(t, srv)
		ctx := context.Background()

		home, err := c.Discover(ctx, srv.URL+"/l3/home")
		require.NoError(t, err)
		assert.True(t, home.Has(profiles.Home))
		require.Len(t, home.Links, 2, "two link header lines")
		entry, ok := home.Link(profiles.RelListEntry)
		require.True(t, ok)
		assert.Equal(t, srv.URL+"/l3/a.txt", entry.Href.String())
		assert.Equal(t, "A", entry.Title)
		_, ok = home.Link("next")
		assert.True(t, ok)

		file, err := c.Discover(ctx, srv.URL+"/l3/a.txt")
		require.NoError(t, err)
		assert.True(t, file.Has(profiles.Content))
		assert.True(t, file.Has(profiles.Entity))
		assert.Equal(t, []string{"GET", "HEAD"}, file.Allow)
		assert.Equal(t, int64(13), file.ContentLength)
		assert.Equal(t, "bytes", file.AcceptRanges)
		assert.NotEmpty(t, file.ETag)
		assert.False(t, file.LastModified.IsZero())
		list, ok := file.Link(profiles.RelList)
		require.True(t, ok)
		assert.Equal(t, srv.URL+"/files/", list.Href.String())
		assert.Equal(t, "All files", list.Title)

		_, err = c.Discover(ctx, srv.URL+"/files/missing.txt")
		var nf *NotFoundError
		require.ErrorAs(t, err, &nf)
		assert.Equal(t, http.MethodHead, nf.Method)
	})
}
