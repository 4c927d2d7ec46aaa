// This file starts asynchronous operations (the Level 3 Async mixin): it
// sends a state-changing request with prefer: respond-async, reads what the
// Poller will need to observe the outcome, and hands a 202 Accepted to a
// Poller (poll.go). The Prefer header itself is handled in prefer.go.

package level3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// AsyncOption configures [Client.DoAsync], [Client.SendAsync] or
// [Client.ResumePoller]. Invalid values make those calls return an error
// before anything is sent.
type AsyncOption func(*asyncConfig) error

// asyncConfig is what the options set.
type asyncConfig struct {
	wait      time.Duration
	hasWait   bool
	expect    string
	schedule  PollSchedule
	clock     pollClock
	startOnly string // the first option given that only starting uses
}

// newAsyncConfig applies opts to the defaults.
func newAsyncConfig(opts []AsyncOption) (*asyncConfig, error) {
	cfg := &asyncConfig{schedule: DefaultPollSchedule(), clock: systemClock{}}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(cfg); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// AsyncWait adds wait=N to the preference (RFC 7240 §4.3): the server may
// work up to d (in whole seconds, rounded up) and answer synchronously if it
// finishes, before falling back to 202 Accepted. The request's context, and
// the *http.Client's Timeout, must allow for that wait.
func AsyncWait(d time.Duration) AsyncOption {
	return func(c *asyncConfig) error {
		if d < 0 {
			return fmt.Errorf("level3: AsyncWait: negative wait %v", d)
		}
		c.wait, c.hasWait = d, true
		c.noteStartOnly("AsyncWait")
		return nil
	}
}

// AsyncExpectETag tells the Poller of a PUT or PATCH the entity tag the
// resource will have once the change is applied, when the caller can know
// it (a content hash, say): the operation is done when the resource's
// etag matches it (weak comparison), and no validators need be read before
// the request. etag may be given with or without its quotes.
func AsyncExpectETag(etag string) AsyncOption {
	return func(c *asyncConfig) error {
		etag = strings.TrimSpace(etag)
		if etag == "" || etag == "*" || !validHeaderValue(etag) {
			return fmt.Errorf("level3: AsyncExpectETag: invalid entity tag %q", etag)
		}
		if !strings.HasPrefix(etag, `"`) && !strings.HasPrefix(etag, `W/"`) {
			etag = `"` + etag + `"`
		}
		c.expect = etag
		c.noteStartOnly("AsyncExpectETag")
		return nil
	}
}

// AsyncSchedule sets when the Poller polls; see [PollSchedule] and
// [DefaultPollSchedule].
func AsyncSchedule(s PollSchedule) AsyncOption {
	return func(c *asyncConfig) error {
		if err := s.validate(); err != nil {
			return err
		}
		c.schedule = s
		return nil
	}
}

// withPollClock replaces the Poller's clock (tests).
func withPollClock(clk pollClock) AsyncOption {
	return func(c *asyncConfig) error {
		c.clock = clk
		return nil
	}
}

// noteStartOnly remembers the first option given that ResumePoller refuses.
func (c *asyncConfig) noteStartOnly(name string) {
	if c.startOnly == "" {
		c.startOnly = name
	}
}

// DoAsync sends req, a POST, PUT, PATCH or DELETE, asking for asynchronous
// processing with prefer: respond-async (plus wait=N with [AsyncWait]),
// merged with any Prefer values req already has (such as
// return=representation; RFC 7240 syntax), or else the Client's default
// Prefer ([WithHeader]). It returns a [Poller]:
//
//   - The server answered synchronously (200, 201, 204...; a server may
//     ignore the preference): the Poller is already done and
//     [Poller.Result] returns that response, whose body the caller closes.
//   - 202 Accepted: the Poller watches what the Level 3 Async mixin lets a
//     client observe. POST: the location of the 202, until it answers 2xx
//     (404 or 202: not yet). PUT and PATCH: the resource's Entity
//     validators, until its etag differs from the one before the request, or
//     equals the one given with [AsyncExpectETag] (last-modified when there
//     is no etag). DELETE: the resource, until it answers 404 or 410. A 202
//     to POST without a location returns an error wrapping
//     [ErrNotObservable].
//   - An error status (a rejection: 400, 412, 422...) is returned as the
//     typed error, as [Client.Do] does, with a nil Poller.
//
// For PUT and PATCH the validators "before" come from req's If-Match (a
// single entity tag) or If-Unmodified-Since; otherwise DoAsync first sends
// HEAD for them (a resource that does not exist yet counts as "absent", and
// the operation is done when it exists). Give If-Match to avoid that
// request and to make the change conditional: without it, a change by
// someone else between the HEAD and the PUT would be taken for this one. A
// resource with neither etag nor last-modified returns an error wrapping
// [ErrNotObservable] before the request is sent.
//
// Polls (GET or HEAD) and the HEAD before a PUT or PATCH never carry
// Prefer; polls never carry preconditions or ranges either, even as Client
// defaults. A preflight (expect: 100-continue) of an async request is made
// without Prefer, then the request itself with it, as the Level 3 Preflight
// and Async mixins ask.
//
// DoAsync does not modify req. Its context governs the request and the HEAD
// before it; each Poll and Wait takes its own. Polls carry credentials only
// to the origin of req.URL (or to origins allowed with
// [WithCredentialOrigins]), wherever the 202's location points, and so do
// the polls of a Poller resumed from its token.
func (c *Client) DoAsync(req *http.Request, opts ...AsyncOption) (*Poller, error) {
	if err := c.checkRequest("Client.DoAsync", req); err != nil {
		return nil, err
	}
	cfg, err := newAsyncConfig(opts)
	if err != nil {
		return nil, err
	}
	if !asyncMethod(req.Method) {
		return nil, fmt.Errorf("level3: DoAsync: %s cannot be asynchronous (want POST, PUT, PATCH or DELETE)", req.Method)
	}
	if err := checkURL(req); err != nil {
		return nil, err
	}
	ctx := withCallOrigin(req.Context(), req.URL)
	before, err := c.validatorsBefore(ctx, req, cfg)
	if err != nil {
		return nil, err
	}
	out := req.Clone(ctx)
	if _, set := out.Header["Prefer"]; !set && len(c.header["Prefer"]) > 0 {
		// Merge with the Client's default (WithHeader), which the request
		// would otherwise lose by setting its own.
		out.Header["Prefer"] = append([]string(nil), c.header["Prefer"]...)
	}
	prefs := []Preference{RespondAsync()}
	if cfg.hasWait {
		prefs = append(prefs, WaitPreference(cfg.wait))
	}
	if err := MergePrefer(out.Header, prefs...); err != nil {
		return nil, fmt.Errorf("level3: DoAsync: the request's Prefer header: %w", err)
	}
	resp, err := c.Do(out)
	if err != nil {
		return nil, err
	}
	// A malformed Preference-Applied keeps its well-formed part: it is
	// informational, and the status says what happened.
	applied, _ := ParsePreferences(resp.Header.Values("Preference-Applied")...)
	if resp.StatusCode != http.StatusAccepted {
		return finished(c, resp, applied), nil
	}
	drainAndClose(resp.Body)
	resp.Body = http.NoBody
	return c.startPolling(out, resp, applied, before, cfg)
}

// SendAsync builds a request with [NewRequest] (so a file or seekable body
// can be retried), sets its Content-Type when contentType is not empty, and
// sends it with [Client.DoAsync].
func (c *Client) SendAsync(ctx context.Context, method, url, contentType string, body io.Reader, opts ...AsyncOption) (*Poller, error) {
	if err := c.check(ctx, "Client.SendAsync"); err != nil {
		return nil, err
	}
	req, err := NewRequest(ctx, method, url, body)
	if err != nil {
		return nil, fmt.Errorf("level3: %w", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return c.DoAsync(req, opts...)
}

// asyncMethod reports whether method may ask for respond-async: the
// state-changing methods the Async mixin covers.
func asyncMethod(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// needsValidators reports whether the Poller of method watches validators.
func needsValidators(method string) bool {
	return method == http.MethodPut || method == http.MethodPatch
}

// conditionValidators reads the validators a conditional request names: a
// single entity tag in If-Match, or else If-Unmodified-Since. "*" and lists
// say nothing about the current state.
func conditionValidators(h http.Header) (validators, bool) {
	if im := strings.TrimSpace(h.Get("If-Match")); im != "" && im != "*" && !strings.Contains(im, ",") {
		return validators{ETag: im}, true
	}
	if ius := h.Get("If-Unmodified-Since"); ius != "" {
		if t, err := http.ParseTime(ius); err == nil {
			return validators{LastModified: t}, true
		}
	}
	return validators{}, false
}

// validatorsBefore returns what a PUT or PATCH Poller compares against:
// nothing for other methods or with an expected etag, the request's
// conditions when they name the state, or else a HEAD (via Discover).
func (c *Client) validatorsBefore(ctx context.Context, req *http.Request, cfg *asyncConfig) (validators, error) {
	if !needsValidators(req.Method) || cfg.expect != "" {
		return validators{}, nil
	}
	if v, ok := conditionValidators(req.Header); ok {
		return v, nil
	}
	res, err := c.Discover(ctx, req.URL.String())
	var nf *NotFoundError
	var gone *GoneError
	switch {
	case errors.As(err, &nf), errors.As(err, &gone):
		return validators{Absent: true}, nil
	case err != nil:
		return validators{}, fmt.Errorf("level3: %s %s with respond-async: reading the validators first: %w", req.Method, redactURL(req.URL), err)
	}
	v := validators{ETag: res.ETag, LastModified: res.LastModified}
	if !v.observable() {
		return validators{}, fmt.Errorf("%w: %s has neither etag nor last-modified, so a change cannot be seen (send If-Match, or use AsyncExpectETag)",
			ErrNotObservable, redactURL(req.URL))
	}
	return v, nil
}

// startPolling picks the strategy for a 202 answer and returns its Poller,
// with the first poll due after the 202's Retry-After or the first backoff
// interval.
func (c *Client) startPolling(req *http.Request, accepted *http.Response, applied Preferences, before validators, cfg *asyncConfig) (*Poller, error) {
	for _, k := range strategyKinds {
		if !k.fits(req.Method, accepted) {
			continue
		}
		s, target, err := k.start(req, accepted, before, cfg.expect)
		if err != nil {
			return nil, fmt.Errorf("%w: %s %s: %v", ErrNotObservable, req.Method, redactURL(req.URL), err)
		}
		st := pollState{URL: target.String(), Method: req.Method, PollMethod: s.method()}
		if scope := recordScope(req.Context()); scope.origin != nil {
			st.Origin = origin(scope.origin)
		}
		p, err := newPoller(c, s, st, cfg)
		if err != nil {
			return nil, err
		}
		p.accepted, p.applied = accepted, applied
		p.schedule(accepted.Header.Get("Retry-After"))
		return p, nil
	}
	return nil, fmt.Errorf("%w: %s %s answered 202 Accepted without a location to watch", ErrNotObservable, req.Method, redactURL(req.URL))
}
