// This file holds the headers-only preflight probe: a request sent with
// expect: 100-continue whose body never leaves, used before an async request
// (the Async mixin asks for a preflight without prefer, then the request
// itself) and by Client.Preflight. preflight.go holds the layer that calls
// it.

package level3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/l3go/level3/internal/prefer"
)

// probeResult is what a headers-only probe learnt.
type probeResult int

const (
	probeContinue    probeResult = iota // 100 Continue: likely accepted
	probeNoPreflight                    // 417, or silence for the whole wait
	probeAnswered                       // a final answer to the headers alone
)

// probe sends req's headers with expect: 100-continue and no prefer, never
// its body. With probeAnswered, and with probeNoPreflight after a 417, it
// returns the server's response, whose body the caller must close.
func (l *preflighter) probe(req *http.Request) (probeResult, *http.Response, error) {
	gs, ctx := newGates(req.Context(), http.NoBody, l.policy.Wait, true)
	out := req.WithContext(ctx)
	out.Header = req.Header.Clone()
	out.Header.Del("Prefer")
	out.Header.Set("Expect", "100-continue")
	out.Body = gs.first
	out.GetBody = nil // never followed by *http.Client, never retried by the transport
	if out.ContentLength == 0 {
		out.ContentLength = -1
	}
	resp, err := l.next.Do(out)
	g := gs.current()
	got100, timedOut, _ := g.outcome()
	switch {
	case got100:
		if resp != nil {
			drainAndClose(resp.Body)
		}
		return probeContinue, nil, nil
	case timedOut:
		if resp != nil {
			drainAndClose(resp.Body)
		}
		l.forget(req, "no answer to expect within "+l.policy.Wait.String())
		return probeNoPreflight, nil, nil
	case err != nil:
		g.shut(errWithheld)
		return 0, nil, err
	}
	g.deliver()
	resp.Body = hold(resp.Body, g)
	if resp.StatusCode == http.StatusExpectationFailed {
		l.forget(req, "417 Expectation Failed")
		return probeNoPreflight, resp, nil
	}
	return probeAnswered, resp, nil
}

// probeThenSend preflights an async request: a probe without prefer, then,
// unless the server answered the probe, the request itself without expect.
func (l *preflighter) probeThenSend(req *http.Request) (*http.Response, error) {
	result, resp, err := l.probe(req)
	switch {
	case err != nil:
		_ = req.Body.Close()
		return nil, err
	case result == probeAnswered:
		_ = req.Body.Close()
		return resp, nil
	case resp != nil:
		drainAndClose(resp.Body)
	}
	return l.next.Do(req)
}

// probeOnly answers a request of Client.Preflight: a synthetic 100 when the
// server said 100, the server's own final answer otherwise.
func (l *preflighter) probeOnly(req *http.Request) (*http.Response, error) {
	result, resp, err := l.probe(req)
	switch {
	case err != nil:
		return nil, err
	case result == probeContinue:
		return &http.Response{
			Status: "100 Continue", StatusCode: http.StatusContinue,
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Body: http.NoBody, Request: req,
		}, nil
	case result == probeNoPreflight && resp == nil:
		return nil, ErrNoPreflight
	}
	return resp, nil // a final answer, 417 included
}

// prefersAsync reports whether a prefer header asks for respond-async
// (RFC 7240 §4.1), with the parser of internal/prefer; malformed elements
// are skipped there, so a broken neighbour does not hide the preference.
func prefersAsync(h http.Header) bool {
	prefs, _ := prefer.Parse(h.Values("Prefer")...)
	return prefs.Has(prefer.RespondAsyncName)
}

// Preflight asks the server whether it would take a request, sending only
// its headers with expect: 100-continue and never a body: method and url
// with header (which may be nil) and a body of length bytes (-1: unknown).
// Send content-type, and for an Entity resource if-match, in header: Level 3
// servers judge the request by them.
//
// It returns nil when the server answered 100 Continue: the request is
// likely, not certainly, to be accepted. A final answer instead is returned as
// the typed error for its status (such as [*PayloadTooLargeError]), or, when
// the server cannot preflight (417, no answer within the Client's
// [PreflightPolicy.Wait], or a status below 400), as an error wrapping
// [ErrNoPreflight]. The probe's connection is dropped once the server has
// answered, since the request it started is never finished.
//
// Requests the Client sends itself do not need this: they are preflighted as
// [PreflightPolicy] says. It serves code that must decide before it has the
// body at hand.
func (c *Client) Preflight(ctx context.Context, method, url string, header http.Header, length int64) error {
	if err := c.check(ctx, "Client.Preflight"); err != nil {
		return err
	}
	if length == 0 {
		return errors.New("level3: Preflight: an empty body needs no preflight")
	}
	ctx = context.WithValue(ctx, probeOnlyKey{}, true)
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return fmt.Errorf("level3: Preflight: %w", err)
	}
	for name, vals := range header {
		req.Header[http.CanonicalHeaderKey(name)] = append([]string(nil), vals...)
	}
	// A body without GetBody: the retry layer sends the probe once, and the
	// preflight layer never reads it.
	req.Body = io.NopCloser(strings.NewReader(""))
	req.ContentLength = length
	resp, err := c.Do(req)
	var efe *ExpectationFailedError
	switch {
	case errors.As(err, &efe):
		return fmt.Errorf("%w: %w", ErrNoPreflight, err)
	case err != nil:
		return err
	}
	drainAndClose(resp.Body)
	if resp.StatusCode != http.StatusContinue {
		return fmt.Errorf("%w: %s %s answered %s to the headers alone", ErrNoPreflight, method, redactURL(req.URL), resp.Status)
	}
	return nil
}
