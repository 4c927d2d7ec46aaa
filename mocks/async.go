// This file holds the Async mixin of the fake server: which requests are
// answered 202 Accepted (prefer: respond-async, and wait=N), and how an
// accepted operation finishes later, after some polls, after some time, or
// by failing. behaviour.go calls these; the knobs are fields of Resource
// (AsyncPolls, AsyncAfter, AsyncFailure, RetryAfter).

package mocks

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/l3go/level3/profiles"
)

// async is an operation accepted with 202 that has not finished. It
// finishes at the first GET or HEAD of its path after polls more GET/HEAD
// requests and not before due.
type async struct {
	polls      int                          // GET/HEAD requests still to answer as before
	due        time.Time                    // not finished before this time (server clock)
	apply      func(s *Server, path string) // the change, run with s.mu held; nil for a created resource, which just shows
	fail       *Fault                       // when set, the operation fails instead of applying
	create     bool                         // the path is a resource being created: 404 until finished
	retryAfter string                       // sent with answers to polls while not finished
}

// pollOutcome says how a GET or HEAD is answered because of an operation on
// its path.
type pollOutcome struct {
	hide       bool   // 404: the resource being created does not exist yet
	fault      *Fault // the operation failed: answer this
	retryAfter string // not finished: send this Retry-After
}

// poll counts one GET or HEAD of path towards its pending operation,
// finishing the operation when its time has come. s.mu is held.
func (s *Server) poll(path string, e *entry) pollOutcome {
	if e.failed != nil {
		return pollOutcome{fault: e.failed}
	}
	op := e.pending
	if op == nil {
		return pollOutcome{}
	}
	if op.polls > 0 || s.now().Before(op.due) {
		if op.polls > 0 {
			op.polls--
		}
		return pollOutcome{hide: op.create, retryAfter: op.retryAfter}
	}
	e.pending = nil
	if op.fail != nil {
		e.failed = op.fail
		return pollOutcome{fault: op.fail}
	}
	if op.apply != nil {
		op.apply(s, path)
	}
	return pollOutcome{}
}

// later makes the operation accepted for the resource at path finish later
// (see laterLocked).
func (s *Server) later(path string, res *Resource, create bool, apply func(s *Server, path string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.entries[path]; e != nil {
		s.laterLocked(e, res, create, apply)
	}
}

// laterLocked records an accepted operation on e: it finishes after
// res.AsyncPolls GET/HEAD requests (at least one when res.AsyncAfter is
// zero) and once res.AsyncAfter has passed, and then applies, or fails with
// res.AsyncFailure. s.mu is held.
func (s *Server) laterLocked(e *entry, res *Resource, create bool, apply func(s *Server, path string)) {
	polls := res.AsyncPolls
	if res.AsyncAfter <= 0 {
		polls = max(polls, 1)
	}
	e.pending = &async{
		polls:      polls,
		due:        s.now().Add(res.AsyncAfter),
		apply:      apply,
		fail:       res.AsyncFailure,
		create:     create,
		retryAfter: res.RetryAfter,
	}
}

// answersAsync reports whether r is to be answered 202 Accepted: it asks for
// prefer: respond-async and res has the Async mixin, unless the client
// also said wait=N and the operation takes only time, no longer than N
// seconds (AsyncPolls 0, 0 < AsyncAfter ≤ N, no AsyncFailure): such a
// server finishes within the wait and answers synchronously, as RFC 7240
// §4.3 allows. (The fake answers at once rather than sleeping.)
func answersAsync(r *http.Request, res *Resource) bool {
	if !res.has(profiles.Async) {
		return false
	}
	async, wait, hasWait := false, 0, false
	for _, v := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(v, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "respond-async":
				async = true
			case "wait":
				if n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(value), `"`)); err == nil && n >= 0 && !hasWait {
					wait, hasWait = n, true
				}
			}
		}
	}
	if !async {
		return false
	}
	quick := res.AsyncPolls == 0 && res.AsyncAfter > 0 && res.AsyncFailure == nil
	return !(hasWait && quick && res.AsyncAfter <= time.Duration(wait)*time.Second)
}

// accepted answers 202, with Retry-After when the resource sets one. It
// sends no validators: the change is not made yet, and the resource's
// present etag would name the state before it.
func accepted(w http.ResponseWriter, res *Resource, location string) {
	dropValidators(w.Header())
	if location != "" {
		w.Header().Set("Location", location)
	}
	if res.RetryAfter != "" {
		w.Header().Set("Retry-After", res.RetryAfter)
	}
	w.Header().Set("Preference-Applied", "respond-async")
	w.WriteHeader(http.StatusAccepted)
}
