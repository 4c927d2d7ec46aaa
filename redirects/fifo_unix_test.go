//go:build unix

package redirects

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestOpenFileRefusesAFIFO: a named pipe where the file should be is
// ErrBadFile at once; opening it would wait for a writer.
func TestOpenFileRefusesAFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redirects.json")
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	done := make(chan error, 1)
	go func() {
		_, err := OpenFile(path, 0)
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, ErrBadFile)
	case <-time.After(10 * time.Second):
		if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close() // lets the blocked open return
		}
		<-done
		t.Fatal("OpenFile blocked on a FIFO")
	}
}
