package realpeers

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRedisStartsStopsAndRestarts: the server answers PING on its port,
// stops answering after Stop, and answers again after Restart.
func TestRedisStartsStopsAndRestarts(t *testing.T) {
	r := Redis(t)
	require.NoError(t, ping(r.Addr))
	require.Contains(t, r.URL, r.Addr)
	r.Stop()
	require.Error(t, ping(r.Addr), "stopped")
	r.Restart(t)
	require.NoError(t, ping(r.Addr))
}
