// This file starts asynchronous operations (the Level 3 Async mixin): it
// sends a state-changing request with prefer: respond-async, reads what the
// Poller will need to observe the outcome, and hands a 202 Accepted to a
// Poller (poll.go). The Prefer grammar (RFC 7240) is in internal/prefer.

package level3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/l3go/level3/internal/prefer"
)

// AsyncOptions are the settings of [Client.DoAsync], [Client.SendAsync] and
// [Client.ResumePoller]; nil means none. Invalid values make those calls
// return an error, naming the field, before anything is sent.
type AsyncOptions struct {
	// RequestOptions are the settings of the request that starts the
	// operation (not of the polls), applied with [RequestOptions.Apply].
	// IfVersion also gives the Poller of a PUT or PATCH the version to
	// compare with. ResumePoller refuses them.
	RequestOptions

	// Wait, when positive, adds wait=N to the preference (RFC 7240 §4.3):
	// the server may work up to Wait (in whole seconds, rounded up) and
	// answer synchronously if it finishes, before falling back to 202
	// Accepted. The request's context, and the *http.Client's Timeout,
	// must allow for that wait. Zero sends no wait; it must not be
	// negative. ResumePoller refuses it.
	Wait time.Duration

	// ExpectETag tells the Poller of a PUT or PATCH the entity tag the
	// resource will have once the change is applied, when the caller can
	// know it (a content hash, say): the operation is done when the
	// resource's etag matches it (weak comparison), and no validators need
	// be read before the request. It may be given with or without its
	// quotes. Empty: none. ResumePoller refuses it.
	ExpectETag string

	// Poll says when the Poller polls. Its zero fields take the defaults:
	// waits from 500ms (Initial) growing 1.5× per poll (Multiplier) up to
	// 30s (Max), each spread ±20% at random (Jitter). A Retry-After from
	// the server replaces the computed wait, capped at Max; the Poller
	// never polls sooner than Initial after the last poll, even when
	// Retry-After says 0, so a server cannot make it spin. Attempts counts
	// the polls in a row that got no answer from the server (connection
	// refused, reset...) before [Poller.Wait] gives up: zero means 3, a
	// negative number gives up at the first; error statuses that mean
	// "try later" (408, 429, 5xx) are answers, and never count. There is no
	// overall limit: the context given to [Poller.Wait] or [Poller.Poll] is
	// the deadline.
	Poll Schedule

	clock pollClock // the Poller's time (tests); nil: the real clock
}

// defaultPollSchedule is what the zero fields of AsyncOptions.Poll take.
var defaultPollSchedule = Schedule{
	Initial: 500 * time.Millisecond, Max: 30 * time.Second, Multiplier: 1.5, Jitter: 0.2, Attempts: 3,
}

// asyncConfig is AsyncOptions checked, with the defaults applied.
type asyncConfig struct {
	req      *RequestOptions // nil: none
	wait     time.Duration   // 0: no wait preference
	expect   string          // quoted entity tag; "" for none
	schedule Schedule        // defaults applied
	clock    pollClock
}

// newAsyncConfig checks o and applies the defaults.
func newAsyncConfig(o *AsyncOptions) (*asyncConfig, error) {
	cfg := &asyncConfig{schedule: defaultPollSchedule, clock: systemClock{}}
	if o == nil {
		return cfg, nil
	}
	if err := o.Poll.validate("AsyncOptions.Poll"); err != nil {
		return nil, err
	}
	cfg.schedule = o.Poll.or(defaultPollSchedule)
	if o.clock != nil {
		cfg.clock = o.clock
	}
	if o.Wait < 0 {
		return nil, fmt.Errorf("level3: AsyncOptions.Wait %v is negative", o.Wait)
	}
	cfg.wait = o.Wait
	if o.ExpectETag != "" {
		etag := strings.TrimSpace(o.ExpectETag)
		if etag == "" || etag == "*" || !validHeaderValue(etag) {
			return nil, fmt.Errorf("level3: AsyncOptions.ExpectETag: invalid entity tag %q", o.ExpectETag)
		}
		if !strings.HasPrefix(etag, `"`) && !strings.HasPrefix(etag, `W/"`) {
			etag = `"` + etag + `"`
		}
		cfg.expect = etag
	}
	cfg.req = &o.RequestOptions
	return cfg, nil
}

// startOnly names the first field of o that only starting an operation
// uses (Wait, ExpectETag, or any field of the RequestOptions), "" when none
// is set.
func (o *AsyncOptions) startOnly() string {
	switch {
	case o == nil:
		return ""
	case o.Wait != 0:
		return "Wait"
	case o.ExpectETag != "":
		return "ExpectETag"
	}
	v := reflect.ValueOf(o.RequestOptions)
	for i := range v.NumField() {
		if !v.Field(i).IsZero() {
			return v.Type().Field(i).Name
		}
	}
	return ""
}

// DoAsync sends req, a POST, PUT, PATCH or DELETE, with opts (nil: none)
// applied, asking for asynchronous processing with prefer: respond-async
// (plus wait=N with [AsyncOptions.Wait]), merged with any Prefer values the
// request already has (such as return=representation, or
// [RequestOptions.Return]; RFC 7240 syntax), or else the Client's default
// Prefer ([WithHeader]). It returns a [Poller]:
//
//   - The server answered synchronously (200, 201, 204...; a server may
//     ignore the preference): the Poller is already done and
//     [Poller.Result] returns that response, whose body the caller closes.
//   - 202 Accepted: the Poller watches what the Level 3 Async mixin lets a
//     client observe. POST: the location of the 202, until it answers 2xx
//     (404 or 202: not yet). PUT and PATCH: the resource's Entity
//     validators, until its etag differs from the one before the request, or
//     equals [AsyncOptions.ExpectETag] (last-modified when there
//     is no etag). DELETE: the resource, until it answers 404 or 410. A 202
//     to POST without a location returns an error wrapping
//     [ErrNotObservable].
//   - An error status (a rejection: 400, 412, 422...) is returned as the
//     typed error, as [Client.Do] does, with a nil Poller.
//
// For PUT and PATCH the validators "before" come from the request's
// If-Match (a single entity tag; [RequestOptions.IfVersion] sets it) or
// If-Unmodified-Since; otherwise DoAsync first sends HEAD for them (a
// resource that does not exist yet counts as "absent", and the operation is
// done when it exists). Give IfVersion to avoid that request and to make the
// change conditional: without it, a change by someone else between the HEAD
// and the PUT would be taken for this one. A
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
func (c *Client) DoAsync(req *http.Request, opts *AsyncOptions) (*Poller, error) {
	if err := c.checkRequest("Client.DoAsync", req); err != nil {
		return nil, err
	}
	cfg, err := newAsyncConfig(opts)
	if err != nil {
		return nil, err
	}
	if req, err = cfg.req.Apply(req); err != nil {
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
	prefs := []prefer.Preference{prefer.RespondAsync()}
	if cfg.wait > 0 {
		prefs = append(prefs, prefer.Wait(cfg.wait))
	}
	if err := prefer.Merge(out.Header, prefs...); err != nil {
		return nil, fmt.Errorf("level3: DoAsync: the request's Prefer header: %w", err)
	}
	resp, err := c.Do(out)
	if err != nil {
		return nil, err
	}
	// A malformed Preference-Applied keeps its well-formed part: it is
	// informational, and the status says what happened.
	applied, _ := prefer.Parse(resp.Header.Values("Preference-Applied")...)
	if resp.StatusCode != http.StatusAccepted {
		return finished(c, resp, applied.Strings()), nil
	}
	drainAndClose(resp.Body)
	resp.Body = http.NoBody
	return c.startPolling(out, resp, applied.Strings(), before, cfg)
}

// SendAsync builds a request with [NewRequest] (so a file or seekable body
// can be retried), sets its Content-Type when contentType is not empty, and
// sends it with [Client.DoAsync] and opts (nil: none).
func (c *Client) SendAsync(ctx context.Context, method, url, contentType string, body io.Reader, opts *AsyncOptions) (*Poller, error) {
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
	return c.DoAsync(req, opts)
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
func conditionValidators(h http.Header) (Validators, bool) {
	if im := strings.TrimSpace(h.Get("If-Match")); im != "" && im != "*" && !strings.Contains(im, ",") {
		return Validators{ETag: im}, true
	}
	if ius := h.Get("If-Unmodified-Since"); ius != "" {
		if t, err := http.ParseTime(ius); err == nil {
			return Validators{LastModified: t}, true
		}
	}
	return Validators{}, false
}

// validatorsBefore returns what a PUT or PATCH Poller compares against:
// nothing for other methods or with an expected etag, the request's
// conditions when they name the state, or else a HEAD (via Discover).
func (c *Client) validatorsBefore(ctx context.Context, req *http.Request, cfg *asyncConfig) (priorState, error) {
	if !needsValidators(req.Method) || cfg.expect != "" {
		return priorState{}, nil
	}
	if v, ok := conditionValidators(req.Header); ok {
		return priorState{Validators: v}, nil
	}
	res, err := c.Discover(ctx, req.URL.String())
	var nf *NotFoundError
	var gone *GoneError
	switch {
	case errors.As(err, &nf), errors.As(err, &gone):
		return priorState{Absent: true}, nil
	case err != nil:
		return priorState{}, fmt.Errorf("level3: %s %s with respond-async: reading the validators first: %w", req.Method, redactURL(req.URL), err)
	}
	if res.Validators.IsZero() {
		return priorState{}, fmt.Errorf("%w: %s has neither etag nor last-modified, so a change cannot be seen (give RequestOptions.IfVersion, or AsyncOptions.ExpectETag)",
			ErrNotObservable, redactURL(req.URL))
	}
	return priorState{Validators: res.Validators}, nil
}

// startPolling picks the strategy for a 202 answer and returns its Poller,
// with the first poll due after the 202's Retry-After or the first backoff
// interval.
func (c *Client) startPolling(req *http.Request, accepted *http.Response, applied []string, before priorState, cfg *asyncConfig) (*Poller, error) {
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
