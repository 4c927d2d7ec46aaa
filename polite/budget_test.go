package polite

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The rules on a clock of milliseconds; internal/politetest checks them on
// the stores' real clocks.

func TestBudgetRefillsAtTheServersReset(t *testing.T) {
	s := &state{budgets: map[string]*budget{}}
	// At 0, the server says: 2 left for 10 s, of 100 per 10 s.
	s.observe(0, Observation{Limits: []Limit{{Policy: "d", Quota: 100, Window: 10 * time.Second, Remaining: 2, Reset: 10 * time.Second}}})
	assert.Zero(t, s.take(1))
	assert.Zero(t, s.take(2))
	assert.Equal(t, int64(9998), s.take(3), "10 s from 0, and a millisecond for the clock's rounding")
	// At the reset, the next window holds the quota (less what was granted
	// within Guard of the reset: none here).
	for i := range 100 {
		require.Zero(t, s.take(10_001+int64(i)), i)
	}
	assert.Equal(t, int64(9900), s.take(10_101))
}

func TestBudgetCarriesRequestsGrantedAtTheEndOfAWindow(t *testing.T) {
	s := &state{budgets: map[string]*budget{}}
	s.observe(0, Observation{Limits: []Limit{{Policy: "d", Quota: 10, Window: 10 * time.Second, Remaining: 10, Reset: 10 * time.Second}}})
	for i := range 3 {
		require.Zero(t, s.take(9_500+int64(i))) // within Guard of the reset: they may arrive after it
	}
	for i := range 7 {
		require.Zero(t, s.take(10_001+int64(i)), i)
	}
	assert.Positive(t, s.take(10_010), "10 - 3 carried")
}

func TestBudgetReadsTheEarliestResetOfAWindow(t *testing.T) {
	s := &state{budgets: map[string]*budget{}}
	// t is rounded up: the answers at 300 and 900 say 10 s and 9 s; the
	// window ends at 9.9 s at the latest.
	s.observe(300, Observation{Limits: []Limit{{Policy: "d", Quota: 1, Window: 10 * time.Second, Remaining: 0, Reset: 10 * time.Second}}})
	s.observe(900, Observation{Limits: []Limit{{Policy: "d", Quota: 1, Window: 10 * time.Second, Remaining: 0, Reset: 9 * time.Second}}})
	assert.Equal(t, int64(9901-1000), s.take(1000))
}

func TestMemoryStoreForgetsTheLeastRecentOriginWhenFull(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore(2)
	clock := time.UnixMilli(1_000_000)
	s.now = func() time.Time { clock = clock.Add(time.Millisecond); return clock }
	for _, o := range []string{"http://a.test:80", "http://b.test:80", "http://c.test:80"} {
		g, err := s.Take(ctx, o)
		require.NoError(t, err)
		assert.True(t, g.Probe, o)
	}
	g, _ := s.Take(ctx, "http://a.test:80")
	assert.True(t, g.Probe, "a was forgotten")
	g, _ = s.Take(ctx, "http://c.test:80")
	assert.False(t, g.Probe, "c is still probing")
}

func TestMemoryStoreForgetsAnIdleOrigin(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore(0)
	clock := time.UnixMilli(1_000_000)
	s.now = func() time.Time { return clock }
	require.NoError(t, s.Observe(ctx, "http://a.test:80", Observation{Pause: time.Second}))
	g, _ := s.Take(ctx, "http://a.test:80")
	assert.Equal(t, time.Second, g.Wait)
	clock = clock.Add(time.Second + IdleTTL)
	g, _ = s.Take(ctx, "http://a.test:80")
	assert.True(t, g.Probe)
}
