package realpeers

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/localfile"
)

func TestReservedPortsAreNeverShared(t *testing.T) {
	var a, b Server
	seen := map[int]bool{}
	for range 30 {
		for _, s := range []*Server{&a, &b} {
			port, err := s.reservePort()
			require.NoError(t, err)
			assert.False(t, seen[port], "port %d reserved twice while held", port)
			seen[port] = true
		}
	}
	// Another process's hold looks like this: a lock on its own open file.
	port := 0
	for p := range seen {
		port = p
		break
	}
	other, err := os.OpenFile(filepath.Join(portLocks(), strconv.Itoa(port)+".lock"), os.O_RDWR, 0)
	require.NoError(t, err)
	defer other.Close()
	assert.Error(t, localfile.Lock(other), "held until the server stops")

	a.mu.Lock()
	a.release()
	a.mu.Unlock()
	b.mu.Lock()
	b.release()
	b.mu.Unlock()
	assert.NoError(t, localfile.Lock(other), "free once it stopped")
}
