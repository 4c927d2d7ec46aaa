package level3

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSharedSeekerRetiresTheOldBody(t *testing.T) {
	req, err := NewRequest(context.Background(), "PUT", "http://h/x", seekOnly{strings.NewReader("0123456789")})
	require.NoError(t, err)
	first := req.Body
	buf := make([]byte, 4)
	n, err := first.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "0123", string(buf[:n]))

	second, err := req.GetBody()
	require.NoError(t, err)
	_, err = first.Read(buf)
	assert.ErrorIs(t, err, errBodySuperseded, "a late read of the old attempt cannot steal bytes")
	all, err := io.ReadAll(second)
	require.NoError(t, err)
	assert.Equal(t, "0123456789", string(all), "the new attempt reads the whole body")

	require.NoError(t, second.Close())
	_, err = second.Read(buf)
	assert.ErrorIs(t, err, errBodySuperseded)
}

// TestSharedSeekerUnderConcurrentAttempts has an abandoned attempt keep
// reading while new attempts start, as a transport's write loop does after an
// early response; each new attempt must still read the exact body.
func TestSharedSeekerUnderConcurrentAttempts(t *testing.T) {
	body := strings.Repeat("abcdefgh", 4096)
	req, err := NewRequest(context.Background(), "PUT", "http://h/x", seekOnly{strings.NewReader(body)})
	require.NoError(t, err)
	old := req.Body
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(r io.Reader) {
			defer wg.Done()
			_, _ = io.Copy(io.Discard, r) // stops with errBodySuperseded
		}(old)
		next, err := req.GetBody()
		require.NoError(t, err)
		old = next
	}
	got, err := io.ReadAll(old)
	wg.Wait()
	require.NoError(t, err)
	assert.Equal(t, body, string(got))
}
