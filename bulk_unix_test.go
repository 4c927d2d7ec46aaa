//go:build unix

package level3

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/journal"
	"github.com/l3go/level3/mocks"
)

// TestUploadAllRefusesABusyJournal holds, through UploadAll, what
// internal/journal's TestJournalRefusesASecondRun holds of Open: a run
// given a journal another run holds is refused before anything is sent.
func TestUploadAllRefusesABusyJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "upload.journal")
	first, err := journal.Open(path)
	require.NoError(t, err)
	defer first.Close()

	// Through UploadAll: refused before anything is sent.
	srv := mocks.NewServer(t)
	c := newTestClient(t, srv)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.txt"), []byte("b"), 0o600))
	_, err = c.UploadAll(context.Background(), srv.URL+mocks.PathUploads, []string{dir}, &BulkOptions{Journal: path})
	require.ErrorIs(t, err, ErrJournalBusy)
	assert.Empty(t, srv.Requests(), "nothing sent")
}
