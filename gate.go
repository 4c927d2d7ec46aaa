// This file holds the gate: the request body of a preflighted request, which
// lets no byte through until the server has answered 100 Continue (or has
// stayed silent for the whole wait), and the httptrace wiring that tells it
// what the server said. preflight.go decides when to preflight and drives the
// exchange.

package level3

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"sync"
	"sync/atomic"
	"time"
)

// errWithheld is what a gate's Read returns once the server has given a final
// answer before 100 Continue: the transport stops writing the request and
// discards the connection, so no body byte reaches the server. Callers never
// see it: the server's answer is what they get.
var errWithheld = errors.New("level3: request body withheld: the server answered before 100 Continue")

// errProbeDone ends the write of a headers-only probe (preflight_probe.go)
// once the server has said what it would do.
var errProbeDone = errors.New("level3: preflight probe finished")

// maxInformational bounds the 1xx responses accepted for one request.
const maxInformational = 32

// errTooManyInformational ends a request whose server sends 1xx responses
// without end.
var errTooManyInformational = errors.New("level3: too many 1xx informational responses")

// gate states.
const (
	gateWaiting int32 = iota // no body byte may pass yet
	gateOpen                 // the body flows
	gateShut                 // the body will never flow; Read returns err
)

// gate wraps one request body. Its first Read blocks until one of:
//
//   - the server answers 100 Continue: the gate opens (a probe gate shuts
//     instead, with errProbeDone, having learnt what it wanted);
//   - wait has passed since the headers were written and no response byte has
//     arrived: the server ignores expect, the gate opens (a probe gate shuts);
//   - the response arrives (deliver), then its body is closed or read to its
//     end (hold): the gate shuts with errWithheld;
//   - the transport closes the body (HTTP/2 aborts the write when a final
//     status arrives; *http.Client closes it before following a redirect), or
//     ctx ends: the gate shuts.
//
// A shut gate never reads the wrapped body, so a body that was never let
// through can be sent again as it is (after a 417). Close closes the wrapped
// body only when the gate opened: the transport is then done with it.
// gate is safe for concurrent use: the transport reads and closes it from its
// own goroutines while the trace hooks report events.
type gate struct {
	body  io.ReadCloser
	ctx   context.Context
	wait  time.Duration
	probe bool

	state atomic.Int32 // fast path of Read once open

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced at every event
	err       error         // why the gate shut
	start     time.Time     // headers written (or first Read, if no trace)
	responded bool          // a response has begun to arrive
	delivered bool          // the final response has reached the layer
	got100    bool
	timedOut  bool
	closed    bool
}

// newGate returns a waiting gate over body.
func newGate(ctx context.Context, body io.ReadCloser, wait time.Duration, probe bool) *gate {
	return &gate{body: body, ctx: ctx, wait: wait, probe: probe, changed: make(chan struct{})}
}

// Read passes the body through once the gate is open.
func (g *gate) Read(p []byte) (int, error) {
	if g.state.Load() != gateOpen {
		if err := g.await(); err != nil {
			return 0, err
		}
	}
	return g.body.Read(p)
}

// Close shuts a gate that never opened (keeping the wrapped body for a
// resend) and closes the wrapped body of one that did.
func (g *gate) Close() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	opened := g.state.Load() == gateOpen
	if !opened {
		g.shutLocked(errWithheld)
	}
	g.mu.Unlock()
	if opened {
		return g.body.Close()
	}
	return nil
}

// await blocks until the gate opens (nil) or shuts (its error).
func (g *gate) await() error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		g.mu.Lock()
		switch g.state.Load() {
		case gateOpen:
			g.mu.Unlock()
			return nil
		case gateShut:
			err := g.err
			g.mu.Unlock()
			return err
		}
		var tick <-chan time.Time
		if !g.responded && !g.delivered {
			if g.start.IsZero() {
				g.start = time.Now() // a transport without httptrace support
			}
			left := g.wait - time.Since(g.start)
			if left <= 0 {
				g.timedOut = true
				g.settleLocked()
				g.mu.Unlock()
				continue
			}
			if timer == nil {
				timer = time.NewTimer(left)
			} else {
				timer.Reset(left)
			}
			tick = timer.C
		}
		changed := g.changed
		g.mu.Unlock()
		select {
		case <-changed:
		case <-tick:
		case <-g.ctx.Done():
			g.shut(context.Cause(g.ctx))
		}
	}
}

// settleLocked opens a send gate, or shuts a probe gate, once the server has
// said 100 or stayed silent. g.mu is held.
func (g *gate) settleLocked() {
	if g.probe {
		g.shutLocked(errProbeDone)
		return
	}
	if g.state.CompareAndSwap(gateWaiting, gateOpen) {
		g.notifyLocked()
	}
}

// shut makes the gate refuse its body with err, unless it opened already.
func (g *gate) shut(err error) {
	g.mu.Lock()
	g.shutLocked(err)
	g.mu.Unlock()
}

func (g *gate) shutLocked(err error) {
	if g.state.CompareAndSwap(gateWaiting, gateShut) {
		g.err = err
		g.notifyLocked()
	}
}

// notifyLocked wakes a waiting Read. g.mu is held.
func (g *gate) notifyLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// event records what the trace hooks report.
func (g *gate) event(f func(g *gate)) {
	g.mu.Lock()
	f(g)
	g.notifyLocked()
	g.mu.Unlock()
}

// wroteHeaders starts the wait.
func (g *gate) wroteHeaders() {
	g.event(func(g *gate) {
		if g.start.IsZero() {
			g.start = time.Now()
		}
	})
}

// responseStarted notes that a response (100 or final) is arriving: the wait
// no longer opens the gate.
func (g *gate) responseStarted() { g.event(func(g *gate) { g.responded = true }) }

// continued records 100 Continue.
func (g *gate) continued() {
	g.event(func(g *gate) {
		g.got100 = true
		g.settleLocked()
	})
}

// deliver records that the final response reached the layer. It reports
// whether the gate had opened; if not, the body will never be sent and the
// caller must hold the response (see hold).
func (g *gate) deliver() (opened bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.delivered = true
	g.notifyLocked()
	return g.state.Load() == gateOpen
}

// outcome reports what the server did: answered 100, stayed silent for the
// whole wait, and whether any body byte could have passed.
func (g *gate) outcome() (got100, timedOut, opened bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.got100, g.timedOut, g.state.Load() == gateOpen
}

// hold returns body wrapped so that closing it, or reading it to its end,
// shuts g. The transport keeps an HTTP/1 connection whose request is still
// being written until then, so the answer can be read in full before the
// write is abandoned and the connection dropped.
func hold(body io.ReadCloser, g *gate) io.ReadCloser {
	if body == nil || body == http.NoBody {
		g.shut(errWithheld)
		return body
	}
	return &heldBody{ReadCloser: body, g: g}
}

// heldBody is a response body whose end shuts a gate.
type heldBody struct {
	io.ReadCloser
	g *gate
}

// Read reads the answer; its end shuts the gate.
func (b *heldBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.g.shut(errWithheld)
	}
	return n, err
}

// Close closes the answer and shuts the gate.
func (b *heldBody) Close() error {
	err := b.ReadCloser.Close()
	b.g.shut(errWithheld)
	return err
}

// gates follows the gate of the hop in flight: *http.Client may follow
// redirects below the layer, each hop with a body from GetBody, and the trace
// hooks of the request's context fire for whichever hop is current.
type gates struct {
	ctx   context.Context
	wait  time.Duration
	probe bool
	first *gate
	cur   atomic.Pointer[gate]
}

// newGates wraps body in the first gate and returns the set with a context
// carrying the trace hooks.
func newGates(ctx context.Context, body io.ReadCloser, wait time.Duration, probe bool) (*gates, context.Context) {
	gs := &gates{ctx: ctx, wait: wait, probe: probe}
	gs.first = newGate(ctx, body, wait, probe)
	gs.cur.Store(gs.first)
	var informational atomic.Int32
	trace := &httptrace.ClientTrace{
		WroteHeaders:         func() { gs.cur.Load().wroteHeaders() },
		GotFirstResponseByte: func() { gs.cur.Load().responseStarted() },
		Got100Continue:       func() { gs.cur.Load().continued() },
		// net/http reports Got100Continue only for requests it made
		// itself, not for the redirect hops *http.Client makes (they have
		// no Proto), and Got1xxResponse for all of them. Taking over 1xx
		// responses makes bounding them our job, as net/http's own bound
		// does when no one looks.
		Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
			if informational.Add(1) > maxInformational {
				return errTooManyInformational
			}
			if code == http.StatusContinue {
				gs.cur.Load().continued()
			}
			return nil
		},
	}
	return gs, httptrace.WithClientTrace(ctx, trace)
}

// getBody wraps a request's GetBody so that each redirect hop gets a gate of
// its own.
func (gs *gates) getBody(get func() (io.ReadCloser, error)) func() (io.ReadCloser, error) {
	if get == nil {
		return nil
	}
	return func() (io.ReadCloser, error) {
		body, err := get()
		if err != nil {
			return nil, err
		}
		g := newGate(gs.ctx, body, gs.wait, gs.probe)
		gs.cur.Store(g)
		return g, nil
	}
}

// current returns the gate of the last hop.
func (gs *gates) current() *gate { return gs.cur.Load() }
