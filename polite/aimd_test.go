package polite

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNextLimit(t *testing.T) {
	c := aimdConfig{min: 1, max: 16, decrease: 0.5}
	for _, tc := range []struct {
		name     string
		limit    float64
		inFlight int
		o        outcome
		stale    bool
		want     float64
	}{
		{"fast at the limit grows by 1/limit", 4, 4, fast, false, 4.25},
		{"fast one below the limit grows too", 4, 3, fast, false, 4.25},
		{"fast well below the limit: the caller sends less, no growth", 8, 2, fast, false, 8},
		{"growth stops at max", 16, 16, fast, false, 16},
		{"slow holds", 4, 4, slow, false, 4},
		{"neutral holds", 4, 4, neutral, false, 4},
		{"throttled halves", 8, 8, throttled, false, 4},
		{"timed out halves", 8, 8, timedOut, false, 4},
		{"a stale throttle does not halve again", 8, 8, throttled, true, 8},
		{"what is in flight is halved, not an unused limit", 8, 4, throttled, false, 2},
		{"never below min", 1.5, 1, throttled, false, 1},
		{"a limit above max comes down", 40, 1, neutral, false, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.InDelta(t, tc.want, nextLimit(tc.limit, tc.inFlight, tc.o, tc.stale, c), 1e-9)
		})
	}
}

func TestGateGrowsAndHalves(t *testing.T) {
	g := newGate(2, aimdConfig{min: 1, max: 8, decrease: 0.5})
	ctx := context.Background()
	// Two at a time, fast: the limit grows, but no further than about one
	// above what the caller uses.
	for range 10 {
		a, err := g.acquire(ctx)
		require.NoError(t, err)
		b, err := g.acquire(ctx)
		require.NoError(t, err)
		g.release(a, fast, time.Millisecond)
		g.release(b, fast, time.Millisecond)
	}
	limit, inFlight := g.current()
	assert.Greater(t, limit, 2.9)
	assert.Less(t, limit, 3.5)
	assert.Zero(t, inFlight)
	// A burst of 429s from one flight halves once.
	var sent []time.Time
	for range 3 {
		s, err := g.acquire(ctx)
		require.NoError(t, err)
		sent = append(sent, s)
	}
	for _, s := range sent {
		g.release(s, throttled, time.Millisecond)
	}
	after, _ := g.current()
	assert.InDelta(t, 1.5, after, 1e-9, "the 3 in flight, halved once")
}

func TestGateHoldsBeyondTheLimitAndLetsThroughInOrder(t *testing.T) {
	g := newGate(1, aimdConfig{min: 1, max: 1, decrease: 0.5})
	ctx := context.Background()
	first, err := g.acquire(ctx)
	require.NoError(t, err)
	got := make(chan int, 2)
	for i := range 2 {
		go func() {
			s, err := g.acquire(ctx)
			if err == nil {
				got <- i
				g.release(s, fast, time.Millisecond)
			}
		}()
		require.Eventually(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.waiters) == i+1 }, 5*time.Second, time.Millisecond)
	}
	g.release(first, fast, time.Millisecond)
	assert.Equal(t, 0, <-got)
	assert.Equal(t, 1, <-got)
}

func TestGateWaitEndsWithTheContext(t *testing.T) {
	g := newGate(1, aimdConfig{min: 1, max: 1, decrease: 0.5})
	s, err := g.acquire(context.Background())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = g.acquire(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	g.release(s, neutral, 0)
	_, inFlight := g.current()
	assert.Zero(t, inFlight)
}
