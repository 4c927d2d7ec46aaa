// This file holds the Poller's strategies: one per kind of operation the
// Level 3 Async mixin lets a client observe (POST: the location appears;
// PUT/PATCH: the entity validators change; DELETE: the resource goes away).
// Each is a small value answering three questions: does this 202 fit me, what
// request shows the state, and what does a poll's answer mean. The answers
// are pure functions, table-tested. poll.go drives them; poll_token.go
// saves and restores them.

package level3

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// verdict is what one poll's answer means for the operation.
type verdict int

const (
	pending   verdict = iota // not finished yet: poll again
	succeeded                // finished: this answer is the result
	failed                   // finished with an error: this answer is the error
	transient                // the poll itself failed (408, 429, 5xx): poll again, it says nothing about the operation
)

func (v verdict) String() string {
	switch v {
	case pending:
		return "not yet"
	case succeeded:
		return "done"
	case failed:
		return "failed"
	case transient:
		return "poll failed, will retry"
	}
	return fmt.Sprintf("verdict(%d)", int(v))
}

// transientStatus reports whether a poll's status says nothing about the
// operation, only that the poll should be repeated: 408 Request Timeout, 429
// Too Many Requests and every 5xx. Azure's pollers treat these the same way.
func transientStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || (code >= 500 && code <= 599)
}

// pollStrategy watches one kind of operation. Implementations are small
// values whose exported fields are their saved state (JSON, in resume
// tokens); judge must be a pure function of its arguments and the strategy's
// fields.
type pollStrategy interface {
	// kind names the strategy in resume tokens.
	kind() string
	// method is the request method that shows the state (HEAD or GET).
	method() string
	// judge says what a poll's status and header mean. transientStatus has
	// already been ruled out.
	judge(status int, h http.Header) verdict
}

// strategyKind registers one strategy: its name in tokens, whether it fits a
// 202 answer to a request ("does this response fit me?"), how to start it
// from that answer, and how to restore it from a token ("can I resume
// this?").
type strategyKind struct {
	name string
	fits func(method string, accepted *http.Response) bool
	// start returns the strategy and the URL to poll. before holds the
	// validators read before the request (PUT/PATCH), expect the etag the
	// caller expects.
	start  func(req *http.Request, accepted *http.Response, before priorState, expect string) (pollStrategy, *url.URL, error)
	resume func(raw json.RawMessage) (pollStrategy, error)
}

// strategyKinds lists the strategies in the order fits is asked. It is a
// fixed table, never modified.
var strategyKinds = []strategyKind{
	{
		name: kindDeletion,
		fits: func(method string, _ *http.Response) bool { return method == http.MethodDelete },
		start: func(req *http.Request, _ *http.Response, _ priorState, _ string) (pollStrategy, *url.URL, error) {
			return &deletionStrategy{}, req.URL, nil
		},
		resume: func(raw json.RawMessage) (pollStrategy, error) {
			var s deletionStrategy
			return &s, strictUnmarshal(raw, &s)
		},
	},
	{
		name: kindEntity,
		fits: func(method string, _ *http.Response) bool {
			return method == http.MethodPut || method == http.MethodPatch
		},
		start: func(req *http.Request, _ *http.Response, before priorState, expect string) (pollStrategy, *url.URL, error) {
			if !before.observable() && expect == "" {
				return nil, nil, errors.New("no validators to compare with")
			}
			return &entityStrategy{Before: before, Expect: expect}, req.URL, nil
		},
		resume: func(raw json.RawMessage) (pollStrategy, error) {
			var s entityStrategy
			if err := strictUnmarshal(raw, &s); err != nil {
				return nil, err
			}
			if !s.Before.observable() && s.Expect == "" {
				return nil, errors.New("entity state has neither validators nor an expected etag")
			}
			return &s, nil
		},
	},
	{
		name: kindLocation,
		fits: func(_ string, accepted *http.Response) bool { return accepted.Header.Get("Location") != "" },
		start: func(req *http.Request, accepted *http.Response, _ priorState, _ string) (pollStrategy, *url.URL, error) {
			base := req.URL
			if accepted.Request != nil && accepted.Request.URL != nil {
				base = accepted.Request.URL // after any redirect
			}
			loc, err := base.Parse(strings.TrimSpace(accepted.Header.Get("Location")))
			if err != nil {
				return nil, nil, fmt.Errorf("location: %w", err)
			}
			if loc.Scheme != "http" && loc.Scheme != "https" || loc.Host == "" {
				return nil, nil, fmt.Errorf("location %q is not an http(s) URL", redactURL(loc))
			}
			return &locationStrategy{}, loc, nil
		},
		resume: func(raw json.RawMessage) (pollStrategy, error) {
			var s locationStrategy
			return &s, strictUnmarshal(raw, &s)
		},
	},
}

// Strategy names, as they appear (inside the encoding) in resume tokens.
const (
	kindLocation = "location"
	kindEntity   = "entity"
	kindDeletion = "deletion"
)

// strictUnmarshal decodes raw into v, rejecting unknown members: a token
// from a newer version must not be half understood.
func strictUnmarshal(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// locationStrategy watches the location of a 202 answer to POST: the
// resource being created. 404 or 202 mean not yet; any other 2xx means it
// exists; any other error status ends the operation with that error. Its
// polls are GETs, so that a failure's problem details arrive with it and the
// final answer carries the new resource's representation.
type locationStrategy struct{}

func (*locationStrategy) kind() string   { return kindLocation }
func (*locationStrategy) method() string { return http.MethodGet }

func (*locationStrategy) judge(status int, _ http.Header) verdict {
	switch {
	case status == http.StatusNotFound, status == http.StatusAccepted:
		return pending
	case status >= 200 && status <= 299:
		return succeeded
	case status >= 400:
		return failed
	}
	// 1xx, or a 3xx the *http.Client did not follow (304, 300): no answer
	// yet, and nothing that ends the operation.
	return pending
}

// priorState is a resource as it was before a PUT or PATCH: its Entity
// validators, or its absence.
type priorState struct {
	Validators
	Absent bool // the resource did not exist (404/410)
}

// observable reports whether a change from s can be seen.
func (s priorState) observable() bool { return s.Absent || !s.Validators.IsZero() }

// priorWire is priorState in resume tokens: {"absent", "etag",
// "lastModified"}, as token versions 1 and 2 write it.
type priorWire struct {
	Absent       bool      `json:"absent,omitempty"`
	ETag         string    `json:"etag,omitempty"`
	LastModified time.Time `json:"lastModified,omitzero"`
}

func (s priorState) MarshalJSON() ([]byte, error) {
	return json.Marshal(priorWire{Absent: s.Absent, ETag: s.ETag, LastModified: s.LastModified})
}

func (s *priorState) UnmarshalJSON(raw []byte) error {
	var w priorWire
	if err := strictUnmarshal(raw, &w); err != nil {
		return err
	}
	*s = priorState{Validators: Validators{ETag: w.ETag, LastModified: w.LastModified}, Absent: w.Absent}
	return nil
}

// sameTag compares two entity tags by the weak comparison of RFC 9110
// §8.8.3.2: equal opaque tags, ignoring W/. The weak comparison is right
// here: a server (Apache) may mark a tag weak for a moment after a change
// without the content changing again.
func sameTag(a, b string) bool {
	return strings.TrimPrefix(a, "W/") == strings.TrimPrefix(b, "W/")
}

// changed says whether now differs from before, and whether that could be
// told at all from what now carries.
func changed(before priorState, now Validators) (differs, known bool) {
	switch {
	case before.Absent:
		return true, true // it answered 2xx, so it exists now
	case before.ETag != "" && now.ETag != "":
		return !sameTag(before.ETag, now.ETag), true
	case !before.LastModified.IsZero() && !now.LastModified.IsZero():
		return now.LastModified.After(before.LastModified), true
	}
	return false, false
}

// entityStrategy watches a resource after a 202 answer to PUT or PATCH, by
// its Entity validators: done when the entity tag equals Expect (when the
// caller knows what it will be), or otherwise differs from Before (or
// last-modified is later; the 1-second resolution of dates can hide a change
// made within the second Before was read, so entity tags are preferred).
// A poll answer without any validator Before can be compared with ends the
// operation with [ErrNotObservable]: it would never finish otherwise. Polls
// are HEADs: only the header matters.
type entityStrategy struct {
	Before priorState `json:"before"`
	Expect string     `json:"expect,omitempty"`
}

func (*entityStrategy) kind() string   { return kindEntity }
func (*entityStrategy) method() string { return http.MethodHead }

func (s *entityStrategy) judge(status int, h http.Header) verdict {
	switch {
	case status == http.StatusAccepted:
		return pending
	case s.Before.Absent && (status == http.StatusNotFound || status == http.StatusGone):
		return pending // a PUT that creates (WebDAV, object stores): not there yet
	case status >= 400:
		return failed
	case status < 200 || status > 299:
		return pending
	}
	now := ValidatorsOf(h)
	if s.Expect != "" && now.ETag != "" {
		if sameTag(now.ETag, s.Expect) {
			return succeeded
		}
		return pending
	}
	differs, known := changed(s.Before, now)
	switch {
	case !known:
		return failed // reported as ErrNotObservable by the Poller
	case differs:
		return succeeded
	}
	return pending
}

// deletionStrategy watches a resource after a 202 answer to DELETE: done
// when it answers 404 Not Found or 410 Gone. Polls are HEADs.
type deletionStrategy struct{}

func (*deletionStrategy) kind() string   { return kindDeletion }
func (*deletionStrategy) method() string { return http.MethodHead }

func (*deletionStrategy) judge(status int, _ http.Header) verdict {
	switch {
	case status == http.StatusNotFound, status == http.StatusGone:
		return succeeded
	case status >= 400:
		return failed
	}
	return pending
}
