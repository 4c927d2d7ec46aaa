package cachestore

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The Client's cache layer drives the mock: a miss, then the stored
// response, then a revalidation that is answered from what Get returns.
func TestClientUsesTheStore(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	store := new(CacheStore)
	store.On("MaxEntrySize").Return(int64(1 << 20))
	var stored *level3.CachedResponse
	store.On("Get", mock.Anything).Return((*level3.CachedResponse)(nil), false).Once()
	store.On("Set", mock.Anything, mock.Anything).Run(func(args mock.Arguments) {
		stored = args.Get(1).(*level3.CachedResponse)
	}).Return()

	c, err := level3.New(level3.WithCache(store), level3.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	resp, err := c.Get(context.Background(), srv.URL+mocks.PathReport)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NotNil(t, stored, "a complete 200 with a validator is stored")
	assert.Equal(t, body, stored.Body)

	store.On("Get", mock.Anything).Return(stored, true).Once()
	resp, err = c.Get(context.Background(), srv.URL+mocks.PathReport)
	require.NoError(t, err)
	again, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.True(t, level3.FromCache(resp), "the server answered 304 and the store's body was served")
	assert.Equal(t, body, again)
	log := srv.Requests()
	assert.NotEmpty(t, log[len(log)-1].Header.Get("If-None-Match"))
	store.AssertCalled(t, "Get", mock.Anything)
}
