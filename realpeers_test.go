package level3

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/realpeers"
	"github.com/l3go/level3/profiles"
)

// peers starts each real server the machine has; a missing one skips its
// subtest with a message saying how to install it.
func peers(t *testing.T, test func(t *testing.T, srv *realpeers.Server)) {
	for _, s := range realpeers.Starters() {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			test(t, s.Start(t))
		})
	}
}

func TestRealServerDiscovery(t *testing.T) {
	peers(t, func(t *testing.T, srv *realpeers.Server) {
		realpeers.WriteFile(t, srv.DocRoot, "a.txt", []byte("hello, world\n"))
		c, err := New(WithRetry(fastRetry))
		require.NoError(t, err)
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

func TestRealServerErrors(t *testing.T) {
	peers(t, func(t *testing.T, srv *realpeers.Server) {
		c, err := New(WithRetry(RetryPolicy{Schedule: Schedule{Attempts: 2, Initial: time.Millisecond, Max: 10 * time.Millisecond}}))
		require.NoError(t, err)
		ctx := context.Background()

		_, err = c.Get(ctx, srv.URL+"/problem/409", nil)
		var conflict *ConflictError
		require.ErrorAs(t, err, &conflict)
		require.NotNil(t, conflict.Problem, "problem+json body from %s", srv.Name)
		assert.Equal(t, "Out of stock", conflict.Problem.Title)
		assert.Equal(t, "Item 12 is out of stock", conflict.Problem.Detail)
		var balance int
		assert.True(t, conflict.Problem.Extension("balance", &balance))
		assert.Equal(t, 30, balance)

		_, err = c.Get(ctx, srv.URL+"/problem/503", nil)
		var se *ServerError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, 503, se.StatusCode)
		assert.Equal(t, 3, se.Attempts, "retried twice, Retry-After: 1 capped at 10ms")
		assert.Equal(t, time.Second, se.RetryAfter)
		require.NotNil(t, se.Problem)

		big := make([]byte, 2<<20)
		_, err = c.Send(ctx, http.MethodPut, srv.URL+"/small/big.bin", "application/octet-stream", bytes.NewReader(big), nil)
		var tooLarge *PayloadTooLargeError
		require.ErrorAs(t, err, &tooLarge, "%s with a 1 MiB limit", srv.Name)
	})
}
