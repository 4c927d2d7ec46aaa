package level3

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/realpeers"
)

func TestRealPeersUploadAllPut(t *testing.T) {
	realpeers.Run(t, func(t *testing.T, srv realpeers.Peer) {
		c, _ := realClient(t, srv)
		ctx := context.Background()
		files := map[string]string{
			"a.txt":              "a",
			"sub dir/b c.txt":    "bc",
			"sub dir/deep/d.bin": strings.Repeat("d", 3<<20), // preflighted
			"café/100%#?.txt":    "odd",
		}
		dir := tree(t, files)
		journal := filepath.Join(t.TempDir(), "journal")
		opts, results := collect(&BulkOptions{Put: true, Journal: journal})
		// The target collection does not exist yet: nginx makes it on PUT,
		// Apache and Caddy answer 409 and the collections are made with
		// MKCOL.
		sum, err := c.UploadAll(ctx, srv.URL+"/dav/run", []string{dir}, opts)
		require.NoError(t, err)
		assert.Equal(t, 4, sum.Uploaded)
		for _, r := range results() {
			assert.NoError(t, r.Err, "%s: %+v", r.Name, r)
			assert.Equal(t, http.StatusCreated, r.Status, r.Name)
			assert.True(t, strings.HasPrefix(r.URL.String(), srv.URL+"/dav/run/"), r.URL)
		}
		for name, want := range files {
			got, err := os.ReadFile(filepath.Join(srv.DAVRoot, "run", filepath.FromSlash(name)))
			require.NoError(t, err, name)
			assert.Equal(t, want, string(got), name)
		}
		if srv.Name != "nginx" {
			assert.Positive(t, loggedAtLeast(t, c.HTTPClient(), srv, "MKCOL", "/dav/run/", http.StatusCreated, 1))
		}

		sum, err = c.UploadAll(ctx, srv.URL+"/dav/run/", []string{dir}, &BulkOptions{Put: true, Journal: journal})
		require.NoError(t, err)
		assert.Equal(t, 4, sum.Skipped, "the journal says they are there")
	})
}
