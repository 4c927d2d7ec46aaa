package level3

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGateKeepsUnsentBody(t *testing.T) {
	body := &closeCounter{ReadCloser: io.NopCloser(strings.NewReader("data"))}
	g := newGate(context.Background(), body, time.Hour, false)
	require.NoError(t, g.Close())
	assert.Zero(t, body.closed, "a body never let through is kept for a resend")
	_, err := g.Read(make([]byte, 4))
	assert.ErrorIs(t, err, errWithheld)

	g = newGate(context.Background(), body, time.Hour, false)
	g.continued()
	b, err := io.ReadAll(g)
	require.NoError(t, err)
	assert.Equal(t, "data", string(b))
	require.NoError(t, g.Close())
	require.NoError(t, g.Close())
	assert.Equal(t, 1, body.closed, "an opened gate closes its body, once")

	g = newGate(context.Background(), body, time.Hour, true)
	g.continued()
	_, err = g.Read(make([]byte, 4))
	assert.ErrorIs(t, err, errProbeDone, "a probe gate never opens")
	got100, timedOut, opened := g.outcome()
	assert.True(t, got100)
	assert.False(t, timedOut)
	assert.False(t, opened)

	ctx, cancel := context.WithCancelCause(context.Background())
	g = newGate(ctx, body, time.Hour, false)
	cause := errors.New("stop")
	cancel(cause)
	_, err = g.Read(make([]byte, 4))
	assert.ErrorIs(t, err, cause)

	g = newGate(context.Background(), body, time.Millisecond, false)
	g.responseStarted() // an answer is coming: the wait no longer opens the gate
	go func() {
		time.Sleep(20 * time.Millisecond)
		g.deliver()
		hold(http.NoBody, g)
	}()
	_, err = g.Read(make([]byte, 4))
	assert.ErrorIs(t, err, errWithheld)
}

// closeCounter counts Close calls.
type closeCounter struct {
	io.ReadCloser
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return c.ReadCloser.Close() }
