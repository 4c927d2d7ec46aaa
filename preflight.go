// This file holds preflight ("look before you leap", expect: 100-continue,
// RFC 9110 §10.1.1): the policy and its option, the decision of when to
// preflight (preflightDecision), the per-origin memory of servers that do not
// answer expect, and the pipeline layer that runs the exchange. gate.go holds
// the body that waits for 100 Continue; preflight_probe.go the headers-only
// probe (async requests, Client.Preflight).

package level3

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// PreflightMode says when a request body is preflighted.
type PreflightMode int

const (
	// PreflightAuto preflights bodies of at least [PreflightPolicy.Threshold]
	// bytes (1 MiB by default), and bodies of unknown length. It is the
	// default. As a per-call mode ([UploadOptions.Preflight]) it defers to
	// the Client's policy.
	PreflightAuto PreflightMode = iota
	// PreflightAlways preflights every request with a body.
	PreflightAlways
	// PreflightNever sends bodies at once, never with expect: 100-continue.
	PreflightNever
)

// String returns "auto", "always" or "never".
func (m PreflightMode) String() string {
	switch m {
	case PreflightAuto:
		return "auto"
	case PreflightAlways:
		return "always"
	case PreflightNever:
		return "never"
	}
	return fmt.Sprintf("PreflightMode(%d)", int(m))
}

// defaultPreflightThreshold is the body size from which requests are
// preflighted by default: 1 MiB, as curl does.
const defaultPreflightThreshold = 1 << 20

// defaultPreflightWait is how long the Client waits for 100 Continue by
// default before sending the body anyway, as curl and net/http do.
const defaultPreflightWait = time.Second

// PreflightPolicy says when the Client preflights a request body with
// expect: 100-continue (the Preflight mixin of Level 3, RFC 9110 §10.1.1),
// and how long it waits for the server's 100 Continue. The zero value is
// the default, which [New] uses: PreflightAuto from 1 MiB, waiting 1s.
//
// A preflighted request sends its headers and holds the body back:
//
//   - 100 Continue: the body is sent;
//   - any final status instead (413, 415, 411, 412, 403, 401...): the
//     request fails with the typed error and no body byte is sent, whether
//     the server closes the connection or keeps it open. An HTTP/1
//     connection kept open is then dropped rather than fed a body nobody
//     wants, once the answer has been read (net/http holds such an answer up
//     to 50ms, its wait for the abandoned write); HTTP/2 resets the stream;
//   - 417 Expectation Failed: the request is sent again at once without
//     expect, with the same body (which was never read) or one from GetBody;
//   - no answer within Wait: the body is sent anyway, and the Client
//     remembers that this origin (scheme, host, port) ignores expect, so later
//     requests to it that PreflightAuto would preflight are sent without
//     expect and without the wait. A 417 is remembered the same way. The
//     memory never overrules PreflightAlways (the policy's, or the call's,
//     such as [Resource.Upload] sets for a resource that advertises the
//     Preflight mixin): such requests are preflighted on every origin.
//
// A request that asks for prefer: respond-async (the Async mixin) is
// preflighted by a headers-only probe without prefer; once the server has
// answered 100 the probe is abandoned and the request itself is sent, with
// prefer and its body, as Level 3 asks.
type PreflightPolicy struct {
	// Mode says when to preflight; see [PreflightMode]. Zero is
	// PreflightAuto.
	Mode PreflightMode
	// Threshold is the smallest body, in bytes, that PreflightAuto
	// preflights. Zero means 1 MiB (as curl does); a negative Threshold
	// preflights every body.
	Threshold int64
	// Wait is how long to wait for 100 Continue (or any answer) after the
	// headers went out before sending the body anyway. Zero means 1s (as
	// curl and net/http wait); it must not be negative. The Client's own
	// transport waits as long; a transport given with [WithHTTPClient]
	// that waits longer (http.Transport's ExpectContinueTimeout) makes the
	// wait that long.
	Wait time.Duration
}

// withDefaults returns p with its zero fields given their defaults. It is
// idempotent: a negative Threshold stays negative.
func (p PreflightPolicy) withDefaults() PreflightPolicy {
	if p.Threshold == 0 {
		p.Threshold = defaultPreflightThreshold
	}
	if p.Wait == 0 {
		p.Wait = defaultPreflightWait
	}
	return p
}

// validate reports a policy that cannot work.
func (p PreflightPolicy) validate() error {
	switch {
	case p.Mode < PreflightAuto || p.Mode > PreflightNever:
		return fmt.Errorf("level3: PreflightPolicy.Mode %d is not a PreflightMode", int(p.Mode))
	case p.Wait < 0:
		return fmt.Errorf("level3: PreflightPolicy.Wait %v is negative", p.Wait)
	}
	return nil
}

// WithPreflight sets the preflight policy; see [PreflightPolicy] for its
// defaults (the zero PreflightPolicy, which [New] uses).
func WithPreflight(p PreflightPolicy) Option {
	return func(c *Client) error {
		if err := p.validate(); err != nil {
			return err
		}
		c.preflight = p.withDefaults()
		return nil
	}
}

// plan is what preflightDecision decides for one request.
type plan int

const (
	planDirect plan = iota // send as is
	planExpect             // expect: 100-continue, body held back
	planProbe              // headers-only probe without prefer, then the request without expect
)

// request facts preflightDecision looks at; the layer reads them from the
// request and the Client's memory.
type preflightFacts struct {
	hasBody      bool          // a body that is not empty
	length       int64         // -1 unknown
	callerExpect bool          // the caller set an expect header
	callMode     PreflightMode // per-call mode (PreflightAuto: the policy decides)
	async        bool          // prefer: respond-async
	skipOrigin   bool          // this origin ignores expect or answered 417 (matters to PreflightAuto only)
}

// preflightDecision decides whether and how to preflight. An expect header
// the caller set is always honoured; otherwise a per-call mode overrides the
// policy's. The memory of origins that ignore expect only stands in for the
// size rule of PreflightAuto: a request that is to be preflighted whatever
// its size (PreflightAlways, from the call, from the resource's Preflight
// mixin, or from the policy) is preflighted on every origin, since one
// resource that ignores expect says nothing about its neighbours, and a
// rejection must still cost no body byte.
//
// p's zero fields take their defaults; a negative Threshold (every body)
// is below every length.
func preflightDecision(p PreflightPolicy, f preflightFacts) plan {
	p = p.withDefaults()
	if !f.hasBody {
		return planDirect
	}
	if f.callerExpect {
		return planExpect
	}
	mode := f.callMode
	if mode == PreflightAuto {
		mode = p.Mode
	}
	switch {
	case mode == PreflightNever:
		return planDirect
	case mode == PreflightAuto && (f.skipOrigin || (f.length >= 0 && f.length < p.Threshold)):
		return planDirect
	case f.async:
		return planProbe
	}
	return planExpect
}

// maxOrigins bounds the memory of origins that ignore expect.
const maxOrigins = 1024

// originMemory remembers origins that do not preflight. It is safe for
// concurrent use; the oldest entry goes when it is full.
type originMemory struct {
	mu    sync.Mutex
	set   map[string]struct{}
	order []string
}

func newOriginMemory() *originMemory { return &originMemory{set: make(map[string]struct{})} }

// has reports whether origin was remembered.
func (m *originMemory) has(origin string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.set[origin]
	return ok
}

// add remembers origin.
func (m *originMemory) add(origin string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.set[origin]; ok {
		return
	}
	if len(m.order) >= maxOrigins {
		delete(m.set, m.order[0])
		m.order = m.order[1:]
	}
	m.set[origin] = struct{}{}
	m.order = append(m.order, origin)
}

// preflightModeKey carries a per-call PreflightMode in a request context.
type preflightModeKey struct{}

// probeOnlyKey marks a request of Client.Preflight: send the headers, never
// the body.
type probeOnlyKey struct{}

// preflightLayer returns the pipeline layer that preflights request bodies.
// It sits below the retry layer, so each retry, and each redirect a layer
// above follows, is preflighted again at its own target.
func preflightLayer(p PreflightPolicy, mem *originMemory, logger *slog.Logger) Middleware {
	return func(next Doer) Doer {
		return &preflighter{next: next, policy: p.withDefaults(), memory: mem, logger: logger}
	}
}

// preflighter is the preflight layer.
type preflighter struct {
	next   Doer
	policy PreflightPolicy // defaults applied
	memory *originMemory
	logger *slog.Logger
}

// Do sends req, preflighted when preflightDecision says so.
func (l *preflighter) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return l.next.Do(req) // the common case costs one comparison
	}
	if req.Context().Value(probeOnlyKey{}) != nil {
		return l.probeOnly(req)
	}
	callMode, _ := req.Context().Value(preflightModeKey{}).(PreflightMode)
	facts := preflightFacts{
		hasBody:      true,
		length:       req.ContentLength,
		callerExpect: req.Header.Get("Expect") != "",
		callMode:     callMode,
		async:        prefersAsync(req.Header),
		skipOrigin:   l.memory.has(origin(req.URL)),
	}
	if facts.length == 0 {
		facts.length = -1 // net/http: a body with ContentLength 0 has an unknown length
	}
	switch preflightDecision(l.policy, facts) {
	case planExpect:
		return l.expect(req)
	case planProbe:
		return l.probeThenSend(req)
	}
	return l.next.Do(req)
}

// expect sends req with expect: 100-continue and its body behind a gate.
func (l *preflighter) expect(req *http.Request) (*http.Response, error) {
	gs, ctx := newGates(req.Context(), req.Body, l.policy.Wait, false)
	out := req.WithContext(ctx)
	out.Header = req.Header.Clone()
	if out.Header.Get("Expect") == "" {
		out.Header.Set("Expect", "100-continue")
	}
	out.Body = gs.first
	out.GetBody = gs.getBody(req.GetBody)

	resp, err := l.next.Do(out)
	if err != nil {
		gs.current().shut(errWithheld)
		l.closeUnsent(gs, req)
		return nil, err
	}
	g := gs.current()
	opened := g.deliver()
	if _, timedOut, _ := g.outcome(); timedOut {
		l.forget(req, "no answer to expect within "+l.policy.Wait.String())
	}
	if resp.StatusCode == http.StatusExpectationFailed {
		if body, ok := l.resendBody(gs, req); ok {
			// Closed unread: its connection is done for anyway, and net/http
			// lets go of it at once only when the answer was not read to
			// its end.
			_ = hold(resp.Body, g).Close()
			l.forget(req, "417 Expectation Failed")
			again := req.Clone(req.Context())
			again.Header.Del("Expect")
			again.Body = body
			return l.next.Do(again)
		}
	}
	if !opened {
		resp.Body = hold(resp.Body, g)
		l.closeUnsent(gs, req)
	}
	return resp, nil
}

// resendBody returns the body for sending req again after a 417: the
// original, if the first gate never let it through (later redirect hops read
// bodies of their own, from GetBody), else a fresh one from GetBody.
func (l *preflighter) resendBody(gs *gates, req *http.Request) (io.ReadCloser, bool) {
	if _, _, opened := gs.first.outcome(); !opened {
		return req.Body, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	body, err := req.GetBody()
	return body, err == nil
}

// closeUnsent closes the caller's body when it will not be sent, as a
// transport does with the bodies it is done with.
func (l *preflighter) closeUnsent(gs *gates, req *http.Request) {
	if _, _, opened := gs.first.outcome(); !opened {
		_ = req.Body.Close()
	}
}

// forget records that req's origin does not preflight.
func (l *preflighter) forget(req *http.Request, why string) {
	o := origin(req.URL)
	l.memory.add(o)
	l.logger.LogAttrs(req.Context(), slog.LevelDebug, "level3: origin does not preflight; sending bodies at once from now on",
		slog.String("origin", o), slog.String("why", why))
}
