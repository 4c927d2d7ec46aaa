package level3

// Tests of the rule that a redirect memory file holds no credential while the
// Client still saves the round trip in this process (redirects/file.go).

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/redirects"
)

func TestRedirectWithCredentialsIsRememberedInMemoryOnly(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	path := filepath.Join(t.TempDir(), "redirects.json")
	store, err := redirects.OpenFile(path, 0)
	require.NoError(t, err)
	c := newTestClient(t, srv, WithRedirectStore(store))
	ctx := context.Background()
	signed := srv.URL + mocks.PathOldOrders + "?X-Amz-Signature=SIGVALUE"
	for range 2 {
		resp, err := c.Get(ctx, signed, nil)
		require.NoError(t, err)
		drainAndClose(resp.Body)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	assert.Equal(t, 1, srv.Count(mocks.PathOldOrders), "the second call went straight to the target")
	data, err := os.ReadFile(path)
	if err == nil {
		assert.NotContains(t, string(data), "SIGVALUE")
	} else {
		assert.ErrorIs(t, err, os.ErrNotExist, "nothing written")
	}
}
