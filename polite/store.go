// This file holds Store, where the pauses and budgets of origins live so
// that every client using it shares them, and MemoryStore, the Store of a
// single process. The rules both apply are in budget.go; l3redis.Limits is
// the Store of a fleet.

package polite

import (
	"context"
	"sync"
	"time"
)

// Store keeps, per origin, what every [Limiter] using it must respect: the
// pause a Retry-After asked for, and the budget of each quota policy the
// server announced (a window of requests, refilled when the server's window
// resets). A Store shared by several processes (l3redis.Limits, in Redis)
// makes them one client in the server's eyes; [MemoryStore] serves one
// process.
//
// Origins are "scheme://host:port", lower case. Implementations must be safe
// for concurrent use and must apply the rules of [MemoryStore]; the
// package's tests (internal/politetest) check a Store against them.
type Store interface {
	// Take asks whether one request may be sent to origin now. When it
	// may, the Grant's Wait is 0 and one request has been counted against
	// every budget of the origin; otherwise Wait says how long to wait
	// before asking again.
	Take(ctx context.Context, origin string) (Grant, error)
	// Observe records what an answer from origin said.
	Observe(ctx context.Context, origin string, o Observation) error
}

// Grant is the answer of [Store.Take].
type Grant struct {
	// Wait is 0 when the request may go, else the time to wait before
	// asking again: until a pause ends, a budget's window resets, or the
	// probe is answered.
	Wait time.Duration
	// Probe reports that the store knew nothing of the origin: this request
	// goes first and alone, and its answer must be observed (others wait
	// for it at most ProbeTTL), so that a quota it announces is known
	// before the rest are sent.
	Probe bool
}

// Observation is what an answer from an origin said, for [Store.Observe].
type Observation struct {
	// Pause is the wait a Retry-After on a 429 or 503 asked for: no request
	// goes to the origin until it has passed.
	Pause time.Duration
	// Limits are the quota policies the answer announced ([ParseLimits]).
	Limits []Limit
	// Spent counts requests sent to the origin without a Take (retries made
	// below the Middleware): they are taken from every budget at once.
	Spent int
}

// DefaultMemoryStoreSize is the number of origins a [MemoryStore] made by
// [NewMemoryStore] with a size of 0 or less keeps.
const DefaultMemoryStoreSize = 4096

// MemoryStore is the [Store] of a single process. Its zero value is not
// usable: make one with [NewMemoryStore]. It is safe for concurrent use.
//
// For each origin it keeps a pause (the latest end asked for), the budgets
// announced by RateLimit and RateLimit-Policy, and a probe mark: the first
// request to an origin it knows nothing about goes alone, and the others
// wait for its answer for at most [ProbeTTL]. An origin's state is forgotten
// [IdleTTL] after its last pause or window ends, and the least recently
// touched origin when more than the size are kept.
type MemoryStore struct {
	mu      sync.Mutex
	size    int
	origins map[string]*memoryEntry
	now     func() time.Time // time.Now; tests set another clock
}

// memoryEntry is an origin's state and when it may be forgotten.
type memoryEntry struct {
	state   *state
	expires int64
	touched int64
}

// NewMemoryStore returns an empty MemoryStore that keeps at most size
// origins ([DefaultMemoryStoreSize] when size is 0 or less).
func NewMemoryStore(size int) *MemoryStore {
	if size <= 0 {
		size = DefaultMemoryStoreSize
	}
	return &MemoryStore{size: size, origins: map[string]*memoryEntry{}, now: time.Now}
}

// Take implements [Store]. It fails only when ctx is nil or done, or s was
// not made by NewMemoryStore.
func (s *MemoryStore) Take(ctx context.Context, origin string) (Grant, error) {
	if err := s.check(ctx, "Take"); err != nil {
		return Grant{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UnixMilli()
	e := s.entry(origin, now)
	if e == nil {
		e = &memoryEntry{state: newState(now)}
		s.add(origin, e)
		e.touch(now)
		return Grant{Probe: true}, nil
	}
	wait := e.state.take(now)
	e.touch(now)
	return Grant{Wait: time.Duration(wait) * time.Millisecond}, nil
}

// Observe implements [Store]. It fails only when ctx is nil or done, or s
// was not made by NewMemoryStore.
func (s *MemoryStore) Observe(ctx context.Context, origin string, o Observation) error {
	if err := s.check(ctx, "Observe"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UnixMilli()
	e := s.entry(origin, now)
	if e == nil {
		e = &memoryEntry{state: &state{budgets: map[string]*budget{}}}
		s.add(origin, e)
	}
	e.state.observe(now, o)
	e.touch(now)
	return nil
}

// check reports a call that cannot work.
func (s *MemoryStore) check(ctx context.Context, what string) error {
	switch {
	case s == nil || s.origins == nil:
		return misuse("MemoryStore." + what + ": MemoryStore not made by NewMemoryStore")
	case ctx == nil:
		return misuse("MemoryStore." + what + ": nil Context")
	}
	return ctx.Err()
}

// entry returns origin's entry, nil when there is none or it has expired.
func (s *MemoryStore) entry(origin string, now int64) *memoryEntry {
	e := s.origins[origin]
	if e != nil && now >= e.expires {
		delete(s.origins, origin)
		return nil
	}
	return e
}

// add keeps e for origin, forgetting the expired origins, then the least
// recently touched one, when the store is full.
func (s *MemoryStore) add(origin string, e *memoryEntry) {
	if len(s.origins) >= s.size {
		now := s.now().UnixMilli()
		oldest, at := "", int64(0)
		for o, x := range s.origins {
			if now >= x.expires {
				delete(s.origins, o)
				continue
			}
			if oldest == "" || x.touched < at {
				oldest, at = o, x.touched
			}
		}
		if len(s.origins) >= s.size {
			delete(s.origins, oldest)
		}
	}
	s.origins[origin] = e
}

// touch records a use of e at now.
func (e *memoryEntry) touch(now int64) {
	e.touched = now
	e.expires = e.state.expires(now)
}
