// This file holds the Poller, which follows an operation a Level 3 server
// accepted with 202 Accepted until it finishes: when to poll
// (AsyncOptions.Poll, a Schedule, and Retry-After), one poll at a time
// (Poll), or until done (Wait). What a poll means is decided by the
// strategies in poll_strategy.go; async.go starts operations and
// poll_token.go saves and restores Pollers as resume tokens.

package level3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// pollClock is the Poller's time: real by default, fake in tests
// (AsyncOptions.clock).
type pollClock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends, and then returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

// systemClock is the real clock. Waiting blocks on a timer: no CPU is used.
type systemClock struct{}

func (systemClock) Now() time.Time                                   { return time.Now() }
func (systemClock) Sleep(ctx context.Context, d time.Duration) error { return sleep(ctx, d) }

// pollState is what a Poller must remember to continue, saved in resume
// tokens beside its strategy.
type pollState struct {
	URL        string        `json:"url"`                // the resource polled
	Method     string        `json:"method"`             // of the request that was accepted
	PollMethod string        `json:"pollMethod"`         // HEAD or GET (GET after HEAD answered 405/501)
	Polls      int           `json:"polls"`              // polls answered so far
	NextPoll   time.Time     `json:"nextPoll,omitzero"`  // not before this time
	LastWait   time.Duration `json:"lastWait,omitempty"` // the last wait, where a resumed backoff continues
	// Origin is the origin of the request that was accepted, the only one
	// (besides those allowed with WithCredentialOrigins) the polls carry
	// credentials to. "" for none: a token of version 1.
	Origin string `json:"origin,omitempty"`
}

// Poller follows an asynchronous operation (202 Accepted) until it finishes.
// Get one from [Client.DoAsync] or [Client.SendAsync], or continue an
// operation, in this process or another, from [Poller.ResumeToken] with
// [Client.ResumePoller].
//
// A Poller is not safe for concurrent use. Every *http.Response it returns
// is the caller's to close; closing one twice is harmless.
type Poller struct {
	client   *Client
	strategy pollStrategy
	state    pollState
	scope    callScope // from state.Origin
	target   *url.URL
	sched    Schedule // defaults applied
	clock    pollClock
	backoff  *backoff.ExponentialBackOff

	accepted *http.Response // the 202; nil for a synchronous answer or a resumed Poller
	applied  []string       // Preference-Applied

	done     bool
	final    *http.Response
	err      error
	failures int // polls in a row that got no answer
}

// newPoller returns a Poller that is not done, with its backoff set up.
func newPoller(c *Client, s pollStrategy, st pollState, cfg *asyncConfig) (*Poller, error) {
	target, err := url.Parse(st.URL)
	if err != nil {
		return nil, fmt.Errorf("level3: poll target: %w", err)
	}
	sched := cfg.schedule
	p := &Poller{client: c, strategy: s, state: st, target: target, sched: sched, clock: cfg.clock}
	if st.Origin != "" {
		o, err := url.Parse(st.Origin)
		if err != nil {
			return nil, fmt.Errorf("level3: poll origin: %w", err)
		}
		p.scope = callScope{origin: o}
	}
	p.backoff = sched.backOff() // no elapsed-time limit: the context is the deadline
	if st.LastWait > 0 {
		// A resumed Poller continues its backoff where the token left it.
		p.backoff.InitialInterval = min(max(st.LastWait, sched.Initial), sched.Max)
		p.backoff.Reset()
	}
	return p, nil
}

// finished returns a Poller for an operation that is already over: the
// server answered synchronously.
func finished(c *Client, resp *http.Response, applied []string) *Poller {
	return &Poller{client: c, done: true, final: resp, applied: applied, clock: systemClock{}}
}

// Done reports whether the operation has finished, successfully or not.
func (p *Poller) Done() bool { return p != nil && p.done }

// Accepted returns the 202 Accepted response that started polling, with its
// body already closed, or nil when the server answered synchronously (it may
// ignore prefer: respond-async) or the Poller was resumed from a token.
func (p *Poller) Accepted() *http.Response {
	if p == nil {
		return nil
	}
	return p.accepted
}

// PreferenceApplied returns the preferences the server said it applied to
// the request (its Preference-Applied field, RFC 7240 §3), one per element,
// each written as name or name=value with the name as the server sent it:
// ["respond-async", "wait=10"]. Malformed elements are left out. A server
// need not say; nil then. Nil for a resumed Poller. The slice is the
// caller's.
func (p *Poller) PreferenceApplied() []string {
	if p == nil {
		return nil
	}
	return slices.Clone(p.applied)
}

// Location returns the URL polled: the location of a 202 to POST, or the
// resource changed or deleted. Nil when the server answered synchronously.
func (p *Poller) Location() *url.URL {
	if p == nil {
		return nil
	}
	return p.target
}

// Polls returns how many polls the server has answered.
func (p *Poller) Polls() int {
	if p == nil {
		return 0
	}
	return p.state.Polls
}

// NextPoll returns the time before which [Poller.Poll] will not poll: from
// Retry-After, or the backoff schedule. Zero when a poll is due at once.
func (p *Poller) NextPoll() time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.state.NextPoll
}

// Result returns the outcome of a finished operation: the response that
// showed it had succeeded (the synchronous answer, the created resource's GET
// for a POST, the HEAD with new validators for PUT/PATCH, the 404 or 410 for
// DELETE), or the typed error (such as [*UnprocessableEntityError]) of the
// poll that showed it failed. The caller closes the response's body. Before
// the operation has finished it returns [ErrPollerNotDone].
func (p *Poller) Result() (*http.Response, error) {
	if err := p.usable(context.Background(), "Poller.Result"); err != nil {
		return nil, err
	}
	if !p.done {
		return nil, ErrPollerNotDone
	}
	return p.final, p.err
}

// Wait polls until the operation finishes and returns [Poller.Result]. It
// stops early, leaving the Poller able to go on (or to give a resume token),
// when ctx ends (returning ctx.Err(), wrapped) or when as many polls in a
// row as [AsyncOptions.Poll]'s Attempts got no answer (returning the last
// failure). Between polls it sleeps on a timer.
func (p *Poller) Wait(ctx context.Context) (*http.Response, error) {
	if err := p.usable(ctx, "Poller.Wait"); err != nil {
		return nil, err
	}
	for !p.done {
		resp, err := p.Poll(ctx)
		switch {
		case p.done:
		case err == nil:
			_ = resp.Body.Close() // a "not yet" answer; its body is already drained
		case ctx.Err() != nil, errors.As(err, new(*waitError)):
			return nil, err
		case p.failures >= max(p.sched.Attempts, 1):
			return nil, err
		}
	}
	return p.Result()
}

// Poll waits until the next poll is due (see [Poller.NextPoll]), sends it,
// and returns its response, whose body the caller closes. Then:
//
//   - Done() false, nil error: not finished yet.
//   - Done() true, nil error: finished; the response is [Poller.Result]'s.
//   - Done() true, error: failed; the error is [Poller.Result]'s.
//   - Done() false, error: this poll failed but the operation may go on: an
//     error status that means "try later" (408, 429, 5xx: a typed error), a
//     transport failure, or ctx ending (ctx.Err(), wrapped). Polling again
//     is safe.
//
// Once Done, Poll sends nothing and returns the result again.
func (p *Poller) Poll(ctx context.Context) (*http.Response, error) {
	if err := p.usable(ctx, "Poller.Poll"); err != nil {
		return nil, err
	}
	if p.done {
		return p.final, p.err
	}
	if err := p.clock.Sleep(ctx, p.state.NextPoll.Sub(p.clock.Now())); err != nil {
		return nil, &waitError{url: redactURL(p.target), err: err}
	}
	req, resp, status, header, err := p.send(ctx)
	if status == 0 {
		// No answer at all.
		if ctx.Err() != nil {
			return nil, err
		}
		p.failures++
		if isPermanent(err) {
			p.finish(nil, err)
			return nil, err
		}
		p.schedule("")
		return nil, err
	}
	p.failures = 0
	p.state.Polls++
	v := transient
	if !transientStatus(status) {
		v = p.strategy.judge(status, header)
	}
	p.log(ctx, status, v)
	switch v {
	case succeeded:
		if resp == nil {
			resp = responseFromError(req, err)
		}
		p.finish(resp, nil)
		return resp, nil
	case failed:
		if err == nil {
			drainAndClose(resp.Body)
			err = fmt.Errorf("%w: %s %s answered %d without the validators it had before",
				ErrNotObservable, p.state.PollMethod, redactURL(p.target), status)
		}
		p.finish(nil, err)
		return nil, err
	case transient:
		p.schedule(header.Get("Retry-After"))
		return nil, err
	}
	p.schedule(header.Get("Retry-After"))
	if resp == nil {
		return responseFromError(req, err), nil
	}
	drainAndClose(resp.Body)
	resp.Body = http.NoBody
	return resp, nil
}

// send sends one poll and returns its request, its response (nil for an
// error status), its status and header (0 and nil when there was no answer),
// and the error (typed for an error status). A HEAD refused with 405 or 501
// is sent again at once as GET, and GET is used from then on, as Discover
// does.
func (p *Poller) send(ctx context.Context) (*http.Request, *http.Response, int, http.Header, error) {
	ctx = withScope(ctx, p.scope)
	for {
		req, err := http.NewRequestWithContext(ctx, p.state.PollMethod, p.target.String(), nil)
		if err != nil {
			return nil, nil, 0, nil, fmt.Errorf("level3: poll: %w", err)
		}
		for _, name := range pollSuppressed {
			req.Header[name] = nil // present but empty: the Client's default is not added, nothing is sent
		}
		resp, err := p.client.Do(req)
		if err == nil {
			return req, resp, resp.StatusCode, resp.Header, nil
		}
		var re *ResponseError
		if !errors.As(err, &re) {
			return req, nil, 0, nil, err
		}
		if p.state.PollMethod == http.MethodHead && (re.StatusCode == http.StatusMethodNotAllowed || re.StatusCode == http.StatusNotImplemented) {
			p.state.PollMethod = http.MethodGet
			continue
		}
		return req, nil, re.StatusCode, re.Header, err
	}
}

// pollSuppressed lists headers a poll never sends, even when the Client has
// a default for them ([WithHeader]): a poll reads the current state, so a
// precondition or a range would distort it, and Prefer could ask a server to
// treat the poll itself asynchronously.
var pollSuppressed = []string{"Prefer", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range", "Range", "Expect"}

// schedule sets when the next poll is due: after Retry-After (the value of
// the header, "" when absent) or the next backoff interval, never sooner
// than the schedule's Initial nor later than its Max.
func (p *Poller) schedule(retryAfter string) {
	now := p.clock.Now()
	wait, _ := p.sched.waitAt(p.backoff, retryAfter, p.sched.Initial, now)
	p.state.NextPoll = now.Add(wait)
	p.state.LastWait = wait
}

// finish records the outcome.
func (p *Poller) finish(resp *http.Response, err error) {
	p.done, p.final, p.err = true, resp, err
}

// log records one poll at Debug level.
func (p *Poller) log(ctx context.Context, status int, v verdict) {
	if p.client.logger.Enabled(ctx, slog.LevelDebug) {
		p.client.logger.LogAttrs(ctx, slog.LevelDebug, "level3: poll",
			slog.String("url", redactURL(p.target)), slog.Int("poll", p.state.Polls),
			slog.Int("status", status), slog.String("verdict", v.String()))
	}
}

// waitError is a Poll that ended while waiting for its turn, because its
// context did.
type waitError struct {
	url string
	err error
}

func (e *waitError) Error() string { return "level3: waiting to poll " + e.url + ": " + e.err.Error() }
func (e *waitError) Unwrap() error { return e.err }

// responseFromError rebuilds the response an error status came in, for a
// poll whose error status is an answer (404 while a POST's location does not
// exist yet, 404/410 once a DELETE is done). The body is what the error
// kept (at most 64 KiB).
func responseFromError(req *http.Request, err error) *http.Response {
	var re *ResponseError
	if !errors.As(err, &re) {
		return nil
	}
	return &http.Response{
		Status:        re.Status,
		StatusCode:    re.StatusCode,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        re.Header,
		Body:          io.NopCloser(bytes.NewReader(re.Body)),
		ContentLength: int64(len(re.Body)),
		Request:       req,
	}
}
