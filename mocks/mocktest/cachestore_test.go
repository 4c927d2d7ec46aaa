package mocktest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/mocks/mocktest"
)

// The mock satisfies the interface it mocks.
var _ level3.CacheStore = (*mocktest.CacheStore[level3.CachedResponse])(nil)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The Client's cache layer drives the mock: a miss, then the stored
// response, then a revalidation that is answered from what Get returns.
func TestClientUsesTheStore(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	store := new(mocktest.CacheStore[level3.CachedResponse])
	store.On("MaxEntrySize").Return(int64(1 << 20))
	var stored *level3.CachedResponse
	store.On("Get", mock.Anything).Return((*level3.CachedResponse)(nil), false).Once()
	store.On("Set", mock.Anything, mock.Anything).Run(func(args mock.Arguments) {
		stored = args.Get(1).(*level3.CachedResponse)
	}).Return()

	c, err := level3.New(level3.WithCache(store), level3.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	resp, err := c.Get(context.Background(), srv.URL+mocks.PathReport, nil)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NotNil(t, stored, "a complete 200 with a validator is stored")
	assert.Equal(t, body, stored.Body)

	store.On("Get", mock.Anything).Return(stored, true).Once()
	resp, err = c.Get(context.Background(), srv.URL+mocks.PathReport, nil)
	require.NoError(t, err)
	again, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.True(t, level3.FromCache(resp), "the server answered 304 and the store's body was served")
	assert.Equal(t, body, again)
	log := srv.Requests()
	assert.NotEmpty(t, log[len(log)-1].Header.Get("If-None-Match"))
	store.AssertCalled(t, "Get", mock.Anything)
}

// Two users sharing one store (the mock, backed by a map as a shared
// persistent store would be) never get each other's body, and the store
// never sees their credentials in clear.
func TestSharedStoreNeverCrossesUsers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`) // one version for every user
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = io.WriteString(w, "private to "+r.Header.Get("Cookie")+r.Header.Get("X-Api-Key"))
	}))
	defer srv.Close()

	var mu sync.Mutex
	entries := map[string]*level3.CachedResponse{}
	store := new(mocktest.CacheStore[level3.CachedResponse])
	store.On("MaxEntrySize").Return(int64(1 << 20))
	get := store.On("Get", mock.Anything)
	get.Run(func(args mock.Arguments) {
		mu.Lock()
		defer mu.Unlock()
		r, ok := entries[args.String(0)]
		get.ReturnArguments = mock.Arguments{r, ok}
	})
	store.On("Set", mock.Anything, mock.Anything).Run(func(args mock.Arguments) {
		mu.Lock()
		defer mu.Unlock()
		entries[args.String(0)] = args.Get(1).(*level3.CachedResponse)
	}).Return()
	store.On("Delete", mock.Anything).Return()

	fetch := func(c *level3.Client) string {
		resp, err := c.Get(context.Background(), srv.URL+"/me", nil)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(body)
	}
	for _, header := range []string{"Cookie", "X-Api-Key"} {
		client := func(value string) *level3.Client {
			c, err := level3.New(level3.WithCache(store), level3.WithHTTPClient(srv.Client()), level3.WithHeader(header, value),
				level3.WithRedirectPolicy(level3.RedirectPolicy{MaxRedirects: 1, SensitiveHeaders: []string{"X-Api-Key"}}))
			require.NoError(t, err)
			return c
		}
		ann, bob := client("ann-secret"), client("bob-secret")
		assert.Equal(t, "private to ann-secret", fetch(ann), header)
		assert.Equal(t, "private to bob-secret", fetch(bob), header)
		assert.Equal(t, "private to ann-secret", fetch(ann), header)
		assert.Equal(t, "private to bob-secret", fetch(bob), header)
		mu.Lock()
		for _, e := range entries {
			for k, v := range e.Vary {
				assert.NotContains(t, k+v, "secret", "credentials are never stored in clear")
			}
		}
		mu.Unlock()
	}
}
