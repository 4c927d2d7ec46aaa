// This file holds the shared state of one origin and the two decisions made
// on it, as pure functions of the state and the time: take (may a request go
// now, or how long until it may) and observe (what an answer taught). The
// MemoryStore (store.go) applies them under a lock; the Redis store
// (l3redis/limits.go) applies the same rules in a Lua script, and
// internal/politetest holds the tests both pass.

package polite

import "time"

// The constants of the rules, in milliseconds, which the Redis store passes
// to its script so that both stores keep the same ones.
const (
	// ProbeTTL is how long the first request to an origin the store knows
	// nothing about goes alone: the others wait for its answer (which may
	// announce a quota) for at most this long.
	ProbeTTL = 1000 * time.Millisecond
	// IdleTTL is how long a store keeps an origin's state after its last
	// pause, window or request.
	IdleTTL = 60 * time.Second
	// Guard is the end of a window in which a request granted may reach the
	// server after the window has reset: it counts against the next window
	// too.
	Guard = 1000 * time.Millisecond
	// Tolerance is how far an effective window announced may differ from
	// the one a budget keeps and still be the same window (the draft's "t"
	// is a whole number of seconds). It is at most half the policy's window.
	Tolerance = 1500 * time.Millisecond
)

// state is what a store keeps for one origin; times are milliseconds since
// the Unix epoch on the store's clock.
type state struct {
	pauseUntil int64              // no request before this (Retry-After)
	probeUntil int64              // the first request is out: the others wait until its answer or this
	budgets    map[string]*budget // by Limit.Policy
}

// budget is one policy's window of an origin: Tokens requests may still go
// until Reset; then Quota more (less Carry) for the next Window, when the
// policy's quota and window are known, else the budget ends.
type budget struct {
	Quota  int64 // -1: unknown
	Window int64 // ms; 0: unknown
	Tokens int64 // may go below 0 after requests sent outside take
	Reset  int64 // ms since the epoch
	Carry  int64 // requests granted within Guard of Reset: they count in the next window too
}

// newState returns the state of an origin seen for the first time at now,
// whose first request is about to go as the probe.
func newState(now int64) *state {
	return &state{probeUntil: now + ProbeTTL.Milliseconds(), budgets: map[string]*budget{}}
}

// take decides whether one request may go at now. It returns 0 and spends a
// token of every budget, or the milliseconds to wait before asking again.
func (s *state) take(now int64) (wait int64) {
	if now < s.pauseUntil {
		return s.pauseUntil - now
	}
	if len(s.budgets) == 0 && now < s.probeUntil {
		return s.probeUntil - now
	}
	for id, b := range s.budgets {
		if now >= b.Reset {
			if b.Quota < 0 || b.Window <= 0 {
				delete(s.budgets, id) // nothing says what the next window holds
				continue
			}
			n := (now-b.Reset)/b.Window + 1
			b.Tokens = b.Quota
			if n == 1 {
				b.Tokens -= b.Carry
			}
			b.Reset += n * b.Window
			b.Carry = 0
		}
		if b.Tokens < 1 {
			wait = max(wait, b.Reset-now)
		}
	}
	if wait > 0 {
		return wait
	}
	for _, b := range s.budgets {
		b.Tokens--
		if b.Reset-now <= Guard.Milliseconds() {
			b.Carry++
		}
	}
	return 0
}

// observe records at now what an answer said: a pause, the limits it
// announced and requests sent that take did not count. Any answer ends the
// probe.
func (s *state) observe(now int64, o Observation) {
	s.probeUntil = 0
	if o.Pause > 0 {
		s.pauseUntil = max(s.pauseUntil, now+o.Pause.Milliseconds())
	}
	for _, l := range o.Limits {
		s.limit(now, l)
	}
	if o.Spent > 0 { // after the limits: they count what the server had seen
		for _, b := range s.budgets {
			b.Tokens -= int64(o.Spent)
		}
	}
}

// limit applies one announced limit at now.
func (s *state) limit(now int64, l Limit) {
	b := s.budgets[l.Policy]
	if l.Quota >= 0 {
		if b == nil {
			if l.Remaining < 0 && l.Window <= 0 {
				return // a quota without a window or a count: nothing to spend
			}
			b = &budget{Quota: -1, Reset: -1}
			s.budgets[l.Policy] = b
		}
		b.Quota, b.Window = l.Quota, l.Window.Milliseconds()
		if b.Reset < 0 && l.Remaining < 0 {
			b.Tokens, b.Reset = l.Quota, now+b.Window // a fresh window, as far as anyone said
		}
	}
	if l.Remaining < 0 {
		return
	}
	t := l.Reset.Milliseconds()
	switch {
	case l.Reset >= 0:
	case b != nil && b.Window > 0:
		t = b.Window
	case l.Window > 0:
		t = l.Window.Milliseconds()
	default:
		t = time.Second.Milliseconds() // r alone: for the next second
	}
	at := now + t + 1 // the clock is read in whole milliseconds, rounded down
	if b == nil {
		b = &budget{Quota: -1, Reset: -1}
		s.budgets[l.Policy] = b
	}
	tol := Tolerance.Milliseconds()
	if b.Window > 0 {
		tol = min(tol, b.Window/2)
	}
	switch {
	case b.Reset < 0 || at > b.Reset+tol:
		// The server is in a window the budget did not know: take its word.
		b.Tokens, b.Reset, b.Carry = l.Remaining, at, 0
	case at < b.Reset-tol:
		// An answer from a window that has passed.
	default:
		// The same window. The server has not counted the requests still on
		// their way, which Tokens has; and a "t" rounded up to whole seconds
		// ends no earlier than the window does, so the earliest is right.
		b.Tokens, b.Reset = min(b.Tokens, l.Remaining), min(b.Reset, at)
	}
}

// expires returns when a store may forget the state, at now.
func (s *state) expires(now int64) int64 {
	last := max(now, s.pauseUntil, s.probeUntil)
	for _, b := range s.budgets {
		last = max(last, b.Reset)
	}
	return last + IdleTTL.Milliseconds()
}
