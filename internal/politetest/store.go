// This file holds StoreRules, the rules of polite.Store as tests that the
// MemoryStore (polite) and the Redis store (l3redis) both run.

package politetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/polite"
)

// limit returns the Limit of policy "default" with r left for t.
func limit(r int64, t time.Duration) polite.Limit {
	return polite.Limit{Policy: "default", Quota: -1, Remaining: r, Reset: t}
}

// StoreRules runs the rules every polite.Store keeps against the store
// newStore makes (each rule on its own origin).
func StoreRules(t *testing.T, newStore func(t *testing.T) polite.Store) {
	ctx := context.Background()
	n := 0
	origin := func() string { n++; return fmt.Sprintf("http://rule%d.test:80", n) }
	take := func(t *testing.T, s polite.Store, o string) polite.Grant {
		t.Helper()
		g, err := s.Take(ctx, o)
		require.NoError(t, err)
		return g
	}
	observe := func(t *testing.T, s polite.Store, o string, obs polite.Observation) {
		t.Helper()
		require.NoError(t, s.Observe(ctx, o, obs))
	}
	// grants takes until one must wait (at most 100), and returns how many
	// went and the last wait.
	grants := func(t *testing.T, s polite.Store, o string) (int, time.Duration) {
		t.Helper()
		for i := range 100 {
			if g := take(t, s, o); g.Wait > 0 {
				return i, g.Wait
			}
		}
		return 100, 0
	}

	t.Run("the first request probes alone until it is answered", func(t *testing.T) {
		s, o := newStore(t), origin()
		g := take(t, s, o)
		assert.True(t, g.Probe)
		assert.Zero(t, g.Wait)
		g = take(t, s, o)
		assert.False(t, g.Probe)
		assert.Positive(t, g.Wait)
		assert.LessOrEqual(t, g.Wait, polite.ProbeTTL)
		observe(t, s, o, polite.Observation{})
		went, _ := grants(t, s, o)
		assert.Equal(t, 100, went, "an origin without limits is not held")
	})
	t.Run("a budget lets its requests go, then waits for the window", func(t *testing.T) {
		s, o := newStore(t), origin()
		observe(t, s, o, polite.Observation{Limits: []polite.Limit{limit(3, 10*time.Second)}})
		went, wait := grants(t, s, o)
		assert.Equal(t, 3, went)
		assert.Greater(t, wait, 8*time.Second)
		assert.LessOrEqual(t, wait, 10*time.Second+time.Millisecond)
	})
	t.Run("a pause holds every request, and only lengthens", func(t *testing.T) {
		s, o := newStore(t), origin()
		observe(t, s, o, polite.Observation{Pause: 5 * time.Second})
		observe(t, s, o, polite.Observation{Pause: time.Second})
		g := take(t, s, o)
		assert.Greater(t, g.Wait, 3*time.Second)
		assert.LessOrEqual(t, g.Wait, 5*time.Second)
	})
	t.Run("in the same window the lower count wins", func(t *testing.T) {
		s, o := newStore(t), origin()
		observe(t, s, o, polite.Observation{Limits: []polite.Limit{limit(5, 10*time.Second)}})
		require.Zero(t, take(t, s, o).Wait)
		// An answer to a request sent before that one: it says 5 are left,
		// but the store has already granted one of them.
		observe(t, s, o, polite.Observation{Limits: []polite.Limit{limit(5, 10*time.Second)}})
		went, _ := grants(t, s, o)
		assert.Equal(t, 4, went)
		observe(t, s, o, polite.Observation{Limits: []polite.Limit{limit(1, 10*time.Second)}})
		// Nothing left: 4 were granted, and the server says 1 is.
		went, _ = grants(t, s, o)
		assert.Equal(t, 0, went)
	})
	t.Run("a later window takes the server's word; an earlier one is ignored", func(t *testing.T) {
		s, o := newStore(t), origin()
		observe(t, s, o, polite.Observation{Limits: []polite.Limit{limit(0, 10*time.Second)}})
		observe(t, s, o, polite.Observation{Limits: []polite.Limit{limit(2, 30*time.Second)}})
		went, wait := grants(t, s, o)
		assert.Equal(t, 2, went)
		assert.Greater(t, wait, 25*time.Second)
		observe(t, s, o, polite.Observation{Limits: []polite.Limit{limit(50, 5*time.Second)}})
		went, _ = grants(t, s, o)
		assert.Equal(t, 0, went, "an answer from a window that has passed")
	})
	t.Run("requests spent outside Take count", func(t *testing.T) {
		s, o := newStore(t), origin()
		observe(t, s, o, polite.Observation{Limits: []polite.Limit{limit(3, 10*time.Second)}})
		observe(t, s, o, polite.Observation{Spent: 2})
		went, _ := grants(t, s, o)
		assert.Equal(t, 1, went)
	})
	t.Run("a window with a known quota refills when it resets", func(t *testing.T) {
		s, o := newStore(t), origin()
		observe(t, s, o, polite.Observation{Limits: []polite.Limit{{
			Policy: "default", Quota: 2, Window: 10 * time.Second, Remaining: 0, Reset: 0,
		}}})
		// The window ends a millisecond later (the clock's rounding).
		require.Eventually(t, func() bool { return take(t, s, o).Wait == 0 }, 5*time.Second, time.Millisecond)
		went, wait := grants(t, s, o)
		assert.Equal(t, 1, went, "the window ended at once and the next holds the quota, 2")
		assert.Greater(t, wait, 8*time.Second)
	})
	t.Run("a window without a quota ends with its reset", func(t *testing.T) {
		s, o := newStore(t), origin()
		observe(t, s, o, polite.Observation{Limits: []polite.Limit{limit(0, 0)}})
		require.Eventually(t, func() bool { return take(t, s, o).Wait == 0 }, 5*time.Second, time.Millisecond)
		went, _ := grants(t, s, o)
		assert.Equal(t, 100, went)
	})
	t.Run("every policy must have a request left", func(t *testing.T) {
		s, o := newStore(t), origin()
		burst := limit(10, 10*time.Second)
		daily := polite.Limit{Policy: "daily", Quota: 1000, Window: 24 * time.Hour, Remaining: 2, Reset: time.Hour}
		observe(t, s, o, polite.Observation{Limits: []polite.Limit{burst, daily}})
		went, wait := grants(t, s, o)
		assert.Equal(t, 2, went)
		assert.Greater(t, wait, 59*time.Minute)
	})
	t.Run("concurrent takes never grant more than the budget", func(t *testing.T) {
		s, o := newStore(t), origin()
		observe(t, s, o, polite.Observation{Limits: []polite.Limit{limit(25, 30*time.Second)}})
		var granted atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 10 {
					g, err := s.Take(ctx, o)
					if assert.NoError(t, err) && g.Wait == 0 {
						granted.Add(1)
					}
				}
			})
		}
		wg.Wait()
		assert.EqualValues(t, 25, granted.Load())
	})
}
