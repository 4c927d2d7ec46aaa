// This file holds the Client's bounds on a server that will not connect or
// stops sending: WithConnectTimeout, WithStallWatch and the stall layer at
// the bottom of the pipeline. The layer reuses the watchdog of downloads
// (attempt, in download_copy.go), which also watch their own transfers
// (DownloadOptions.StallTimeout). Drains of bodies the caller does
// not get are bounded in errors.go.

package level3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"sync"
	"time"

	"github.com/l3go/level3/internal/prefer"
)

// maxPreferredWait bounds the wait a request's `prefer: wait=N` adds to the
// stall timeout.
const maxPreferredWait = 24 * time.Hour

// errConnectTimeoutWithHTTPClient: WithConnectTimeout configures only the
// Client's own transport.
var errConnectTimeoutWithHTTPClient = errors.New("level3: WithConnectTimeout applies to the Client's own transport, not to one given with WithHTTPClient: set the timeouts of its dialer and TLS handshake instead")

// WithConnectTimeout bounds the time the Client's own transport takes to
// open a connection: the TCP handshake, and the TLS handshake for https,
// must each complete within d (net/http's defaults are 30 s and 10 s).
// Requests that are safe to repeat are retried after a timeout, as the
// [RetryPolicy] says; the error then wraps a [net.Error] whose Timeout
// reports true. It cannot go with [WithHTTPClient]: New fails, since the
// Client does not modify a transport it is given.
func WithConnectTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("level3: WithConnectTimeout(%v): must be positive", d)
		}
		c.connectTimeout = d
		return nil
	}
}

// WithStallWatch makes the Client fail a request when the server sends
// nothing for d: no response within d of the request being sent (plus the
// seconds of a `prefer: wait=N` the request carries, RFC 7240 section 4.3),
// or, once the response has come, a Read of its body that gets no byte for
// d (the time between Reads is the caller's, and is not watched). The error, or
// the body's Read error, wraps [ErrStalled]. Each attempt is watched
// apart, so a stall before the response is retried when the request is safe
// to repeat ([RetryPolicy]); a stall in a body the caller is reading is the
// caller's to handle ([Client.Download] resumes). While a request body is
// being sent the watch pauses: the bytes then go the other way.
//
// The default is no watch: a request waits as long as its context allows.
func WithStallWatch(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("level3: WithStallWatch(%v): must be positive", d)
		}
		c.stallTimeout = d
		return nil
	}
}

// setConnectTimeout applies WithConnectTimeout to the Client's transport,
// which is its own when own is true.
func (c *Client) setConnectTimeout(own bool) error {
	if c.connectTimeout == 0 {
		return nil
	}
	if !own {
		return errConnectTimeoutWithHTTPClient
	}
	t := c.httpClient.Transport.(*http.Transport)
	t.DialContext = (&net.Dialer{Timeout: c.connectTimeout, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = c.connectTimeout
	return nil
}

// stallLayer fails a request when the server sends nothing for d, then
// watches its body the same way (see WithStallWatch). It sits right above
// the *http.Client, so that each attempt the retry layer makes is watched
// apart.
func stallLayer(d time.Duration) Middleware {
	return func(next Doer) Doer {
		return DoerFunc(func(req *http.Request) (*http.Response, error) {
			ctx, a := newAttempt(req.Context(), d)
			w := &requestWatch{a: a, wait: d + preferredWait(req.Header), hasBody: req.Body != nil && req.Body != http.NoBody}
			ctx = httptrace.WithClientTrace(ctx, w.trace())
			sent := req.WithContext(ctx)
			resp, err := next.Do(sent)
			if err == nil && a.stalled.Load() {
				// The answer came as the watchdog ended the request (net/http
				// may still deliver it): too late, the request is over.
				_ = resp.Body.Close()
				resp, err = nil, context.Canceled
			}
			if err != nil {
				err = a.cause(err)
				a.end()
				return nil, err
			}
			w.responded()
			if resp.Request == sent {
				resp.Request = req // the watch's context is the layer's own
			}
			if resp.Body == nil || resp.Body == http.NoBody {
				a.end()
				return resp, nil
			}
			resp.Body = &stallBody{rc: resp.Body, a: a}
			return resp, nil
		})
	}
}

// requestWatch drives the watchdog of one attempt from the trace events of
// its request: it runs while connecting and waiting for the response, is
// rearmed by each sign of life, pauses while the request body is sent (the
// bytes then go the other way), and stops once the response has come (the
// body's Reads run it from then on).
type requestWatch struct {
	a       *attempt
	wait    time.Duration // allowed for the response once the request is sent
	hasBody bool

	mu      sync.Mutex
	sending bool // the request body is being sent
	over    bool // the response has come
}

// trace returns the hooks that report the request's events.
func (w *requestWatch) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GotConn:      func(httptrace.GotConnInfo) { w.heard() },
		WroteHeaders: w.wroteHeaders,
		Got1xxResponse: func(int, textproto.MIMEHeader) error {
			w.heard()
			return nil
		},
		GotFirstResponseByte: w.heard,
		WroteRequest:         func(httptrace.WroteRequestInfo) { w.wroteRequest() },
	}
}

// heard rearms the watch, unless it is paused or over: a 100 Continue that
// comes while the body is sent changes nothing.
func (w *requestWatch) heard() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.sending && !w.over {
		w.a.alive()
	}
}

// wroteHeaders pauses the watch when a body is to be sent.
func (w *requestWatch) wroteHeaders() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.hasBody && !w.over {
		w.sending = true
		w.a.timer.Stop()
	}
}

// wroteRequest arms the watch for the response: the stall timeout plus the
// wait the request prefers.
func (w *requestWatch) wroteRequest() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sending = false
	if !w.over {
		w.a.timer.Reset(w.wait)
	}
}

// responded stops the watch of the request: the response has come.
func (w *requestWatch) responded() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.over = true
	w.a.timer.Stop()
}

// preferredWait returns the wait a request's Prefer header asks the server
// to take (RFC 7240 section 4.3), at most maxPreferredWait; 0 without one.
func preferredWait(h http.Header) time.Duration {
	values := h.Values("Prefer")
	if len(values) == 0 {
		return 0
	}
	prefs, _ := prefer.Parse(values...)
	p, ok := prefs.Get(prefer.WaitName)
	if !ok {
		return 0
	}
	secs, err := strconv.ParseInt(p.Value, 10, 64)
	if err != nil || secs <= 0 {
		return 0
	}
	return time.Duration(min(secs, int64(maxPreferredWait/time.Second))) * time.Second
}

// stallBody is a response body under the stall watch: the watchdog runs
// while a Read waits for the server, not between Reads (a caller may take
// its time with what it read), and a Read it ended fails with ErrStalled.
type stallBody struct {
	rc io.ReadCloser
	a  *attempt
}

// Read reads from the body under the watch.
func (b *stallBody) Read(p []byte) (int, error) {
	b.a.alive()
	n, err := b.rc.Read(p)
	b.a.timer.Stop()
	if err != nil && err != io.EOF {
		err = b.a.cause(err)
	}
	return n, err
}

// Close closes the body and ends the watch.
func (b *stallBody) Close() error {
	err := b.rc.Close()
	b.a.end()
	return err
}
