// This file holds Schedule, the one description of waiting between attempts
// that every retrying part of the Client takes (the retry layer in retry.go,
// the Poller in poll.go, busy form submissions in form.go, download restarts
// and bulk retries), its backoff (cenkalti/backoff/v4), the reading of
// Retry-After, and sleep, the one context-aware wait.

package level3

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Schedule says how long to wait between attempts, and how many to make: the
// retries of a request ([RetryPolicy]), the polls of an asynchronous
// operation ([AsyncOptions]), the resubmissions of a busy form
// ([WithBusyWait]), the restarts of a download ([DownloadOptions]) and the
// retries of a file in a bulk upload ([BulkOptions]).
//
// Waits grow exponentially from Initial by Multiplier, up to Max, each spread
// at random by up to Jitter (a fraction) either way, so that many clients do
// not retry in step. A Retry-After from the server (seconds or an HTTP-date,
// RFC 9110 §10.2.3) replaces the computed wait, capped at Max so that a server
// cannot park the client for hours.
//
// The zero value of every field means the default of the place the Schedule
// configures, documented there; so does the zero Schedule as a whole. A
// negative Attempts means no attempt beyond the first (no retries, no
// restarts); a negative Jitter means none.
type Schedule struct {
	Initial    time.Duration // the first wait
	Max        time.Duration // the longest wait, Retry-After included
	Multiplier float64       // how much each wait grows over the last (≥ 1)
	Jitter     float64       // random spread of each wait, a fraction in [0, 1)
	Attempts   int           // how many attempts after the first (what counts is said where it is used)
}

// or returns s with its zero fields taken from def, which must be valid.
func (s Schedule) or(def Schedule) Schedule {
	if s.Initial == 0 {
		s.Initial = def.Initial
	}
	if s.Max == 0 {
		s.Max = max(def.Max, s.Initial)
	}
	if s.Multiplier == 0 {
		s.Multiplier = def.Multiplier
	}
	switch {
	case s.Jitter == 0:
		s.Jitter = def.Jitter
	case s.Jitter < 0:
		s.Jitter = 0
	}
	switch {
	case s.Attempts == 0:
		s.Attempts = def.Attempts
	case s.Attempts < 0:
		s.Attempts = 0
	}
	return s
}

// validate reports a Schedule that cannot work, naming it as what.
func (s Schedule) validate(what string) error {
	switch {
	case s.Initial < 0 || s.Max < 0:
		return fmt.Errorf("level3: %s: waits must not be negative", what)
	case s.Max != 0 && s.Max < s.Initial:
		return fmt.Errorf("level3: %s: Max (%v) is less than Initial (%v)", what, s.Max, s.Initial)
	case s.Multiplier != 0 && !(s.Multiplier >= 1): // NaN too
		return fmt.Errorf("level3: %s: Multiplier %g is less than 1", what, s.Multiplier)
	case !(s.Jitter < 1): // NaN too
		return fmt.Errorf("level3: %s: Jitter %g is not less than 1", what, s.Jitter)
	}
	return nil
}

// backOff returns the exponential backoff of s (defaults applied), unbounded
// in time and in count: callers count attempts themselves against
// s.Attempts, because what counts as an attempt differs (a poll that got an
// answer does not count as a failure, a restart that made progress resets).
func (s Schedule) backOff() *backoff.ExponentialBackOff {
	return backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(max(s.Initial, time.Millisecond)),
		backoff.WithMaxInterval(max(s.Max, s.Initial, time.Millisecond)),
		backoff.WithMultiplier(max(s.Multiplier, 1)),
		backoff.WithRandomizationFactor(s.Jitter),
		backoff.WithMaxElapsedTime(0),
	)
}

// wait returns the wait before the next attempt: Retry-After (the value of
// the header, empty when absent) when it is valid, otherwise the next
// interval of b; never more than s.Max nor less than floor. fromServer says
// whether Retry-After decided: then b is not advanced, so the waits the
// server chose do not use up the backoff's growth.
func (s Schedule) wait(b backoff.BackOff, retryAfter string, floor time.Duration) (d time.Duration, fromServer bool) {
	return s.waitAt(b, retryAfter, floor, time.Now())
}

// waitAt is wait with an HTTP-date in Retry-After read against now (the
// Poller's clock).
func (s Schedule) waitAt(b backoff.BackOff, retryAfter string, floor time.Duration, now time.Time) (d time.Duration, fromServer bool) {
	if ra, ok := parseRetryAfter(retryAfter, now); ok {
		return min(max(ra, floor), s.Max), true
	}
	d = b.NextBackOff()
	if d == backoff.Stop {
		d = s.Max
	}
	return min(max(d, floor), s.Max), false
}

// nth returns the computed wait after attempt n (0 for the first) of s
// (defaults applied), without Retry-After: Initial·Multiplier^n, at most
// Max, spread at random by Jitter either way (as backOff does) and never
// more than Max. It is the stateless form of backOff, for a loop that
// counts its attempts itself (the retry layer).
func (s Schedule) nth(n int) time.Duration {
	d := float64(max(s.Initial, 0))
	for i := 0; i < n && d < float64(s.Max); i++ {
		d *= max(s.Multiplier, 1)
	}
	d = min(d, float64(s.Max))
	if s.Jitter > 0 {
		d += d * s.Jitter * (2*rand.Float64() - 1)
	}
	return min(time.Duration(d), s.Max)
}

// attemptBackOff is the backoff.BackOff of attempt n of s, for wait.
type attemptBackOff struct {
	s Schedule
	n int
}

func (b attemptBackOff) NextBackOff() time.Duration { return b.s.nth(b.n) }
func (attemptBackOff) Reset()                       {}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP-date
// relative to now. A date in the past means "now".
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// sleep waits d, or less when ctx ends first, and then returns ctx.Err()
// (wrapped in nothing, so errors.Is works on it). It is the one wait of the
// package: every loop that waits between attempts calls it, so that every
// wait ends with the caller's context. A wait of 0 or less returns at once.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return ctx.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}
