package redirects_test

// The contract every redirects.Store keeps (internal/storetest), run on the
// stores of this package; l3redis runs it on the store kept in Redis.

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/storetest"
	"github.com/l3go/level3/redirects"
)

func TestMemoryKeepsTheStoreContract(t *testing.T) {
	storetest.RedirectStore(t, func(_ *testing.T, size int) redirects.Store { return redirects.NewMemory(size) })
}

func TestFileKeepsTheStoreContract(t *testing.T) {
	storetest.RedirectStore(t, func(t *testing.T, size int) redirects.Store {
		f, err := redirects.OpenFile(filepath.Join(t.TempDir(), "redirects.json"), size)
		require.NoError(t, err)
		return f
	}, storetest.WriteForgetsReadOrder) // File.update re-reads the file: the order Get made is lost
}
