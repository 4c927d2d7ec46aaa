// This file holds the adaptive concurrency of one origin in one process:
// the decision (nextLimit, a pure function of the limit and an answer's
// outcome, additive increase and multiplicative decrease) and the gate that
// holds requests beyond the limit (gate).

package polite

import (
	"context"
	"sync"
	"time"
)

// outcome is what an answer says about the server's load.
type outcome int

const (
	neutral   outcome = iota // says nothing: an error of the caller's, a canceled request
	fast                     // a success (any status but 429 and 503) as fast as usual
	slow                     // a success much slower than usual
	throttled                // 429 or 503: the server asks for less
	timedOut                 // no answer in time, or a gateway timed out
)

// aimdConfig bounds the limit and shapes its changes.
type aimdConfig struct {
	min, max float64 // the limit stays within [min, max]
	decrease float64 // the factor applied on throttled and timedOut (0 < decrease < 1)
}

// nextLimit returns the limit on requests in flight after an answer with
// outcome o, given the limit and the requests in flight when it came (the
// answered one included).
//
//   - fast: grows by 1/limit, so by about one per limit answers (one per
//     round trip when the limit is in use), but only when the requests in
//     flight had reached the limit: a limit the caller does not use does
//     not grow, so it stays within the caller's own concurrency;
//   - throttled, timedOut: the requests in flight (or the limit, if lower)
//     multiplied by decrease, as TCP halves its flight size (RFC 5681
//     section 3.1), so that a limit above what the caller sends comes down
//     at once; unless the request was sent before the last decrease (stale:
//     the answers of one burst make one decrease, not one each);
//   - slow, neutral: unchanged.
func nextLimit(limit float64, inFlight int, o outcome, stale bool, c aimdConfig) float64 {
	switch o {
	case fast:
		if float64(inFlight) >= limit-1 {
			limit += 1 / limit
		}
	case throttled, timedOut:
		if !stale {
			limit = min(limit, float64(inFlight)) * c.decrease
		}
	}
	return min(max(limit, c.min), c.max)
}

// gate holds the requests to one origin beyond the limit of nextLimit, and
// keeps the usual latency of its answers.
type gate struct {
	cfg aimdConfig

	mu           sync.Mutex
	limit        float64
	inFlight     int
	waiters      []chan struct{} // first come, first served
	lastDecrease time.Time
	usual        time.Duration // moving average of the latency of successes
}

// newGate returns a gate with the limit initial.
func newGate(initial float64, c aimdConfig) *gate {
	return &gate{cfg: c, limit: min(max(initial, c.min), c.max)}
}

// acquire waits until a request may be in flight, or ctx ends. It returns
// the time it was let through, for done.
func (g *gate) acquire(ctx context.Context) (time.Time, error) {
	g.mu.Lock()
	if len(g.waiters) == 0 && float64(g.inFlight) < g.limit {
		g.inFlight++
		g.mu.Unlock()
		return time.Now(), nil
	}
	ch := make(chan struct{})
	g.waiters = append(g.waiters, ch)
	g.mu.Unlock()
	select {
	case <-ch:
		return time.Now(), nil
	case <-ctx.Done():
		g.mu.Lock()
		defer g.mu.Unlock()
		for i, w := range g.waiters {
			if w == ch {
				g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
				return time.Time{}, ctx.Err()
			}
		}
		// Let through meanwhile: give the place to the next.
		g.inFlight--
		g.wake()
		return time.Time{}, ctx.Err()
	}
}

// release ends a request let through at sent, whose answer had outcome o
// after latency.
func (g *gate) release(sent time.Time, o outcome, latency time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if o == fast && g.usual > 0 && latency > slowFactor*g.usual {
		o = slow
	}
	if o == fast || o == slow {
		if g.usual == 0 {
			g.usual = latency
		} else {
			g.usual += (latency - g.usual) / 8
		}
	}
	g.adapt(sent, o)
	g.inFlight--
	g.wake()
}

// adapt applies nextLimit for an answer with outcome o to a request let
// through at sent, and records when the limit came down. g.mu is held.
func (g *gate) adapt(sent time.Time, o outcome) {
	before := g.limit
	g.limit = nextLimit(g.limit, g.inFlight, o, sent.Before(g.lastDecrease), g.cfg)
	if g.limit < before {
		g.lastDecrease = time.Now()
	}
}

// slowFactor is how much slower than usual an answer is slow.
const slowFactor = 3

// wake lets waiters through while the limit allows. g.mu is held.
func (g *gate) wake() {
	for len(g.waiters) > 0 && float64(g.inFlight) < g.limit {
		close(g.waiters[0])
		g.waiters = g.waiters[1:]
		g.inFlight++
	}
}

// current returns the limit and the requests in flight.
func (g *gate) current() (float64, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.limit, g.inFlight
}

// penalize lowers the limit for a throttled attempt of a request let
// through at sent (a retry layer below saw it), as release would, without
// ending the request.
func (g *gate) penalize(sent time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.adapt(sent, throttled)
}
