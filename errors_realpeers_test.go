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
)

func TestRealPeersErrors(t *testing.T) {
	// Nothing is written: the three transports share a server.
	realpeers.RunShared(t, func(t *testing.T, srv realpeers.Peer) {
		c := newPeerClient(t, srv, WithRetry(RetryPolicy{Schedule: Schedule{Attempts: 2, Initial: time.Millisecond, Max: 10 * time.Millisecond}}))
		ctx := context.Background()

		_, err := c.Get(ctx, srv.URL+"/problem/409", nil)
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
