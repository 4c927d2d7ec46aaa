// This file holds the connections of a download: the TCP connections its
// requests ran on, counted as net/http reports them (httptrace GotConn)
// for DownloadResult, and the lanes that give each range worker of
// download_parallel.go a connection of its own where the Client's
// transport would multiplex them all on one (HTTP/2). A lane's requests
// still go through Client.Do's whole pipeline (credentials, retries,
// redirects, stall watch); only its bottom layer, laneDoer, sends them
// through the lane's copy of the Client's transport.

package level3

import (
	"context"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"sync"
	"time"
)

// lane is one range worker's own connections: a clone of the Client's
// *http.Transport (same TLS configuration, proxy, dialer and limits) with
// its own pool, used by that worker alone and closed when the transfer
// ends, so the Client's own pool, and the one HTTP/2 connection ordinary
// calls multiplex on, are left as they were.
type lane struct {
	hc *http.Client // the pipeline's *http.Client with tr as its transport
	tr *http.Transport
}

// laneKey is the context key under which a request carries its lane.
type laneKey struct{}

// withLane returns ctx carrying l: the requests made with it are sent
// through l's connections.
func withLane(ctx context.Context, l *lane) context.Context {
	return context.WithValue(ctx, laneKey{}, l)
}

// laneDoer is the bottom layer of the Client's pipeline: it sends a
// request through the lane its context carries (withLane), else through
// hc, the Client's *http.Client.
type laneDoer struct{ hc *http.Client }

// Do sends req through its lane's *http.Client or through d's.
func (d laneDoer) Do(req *http.Request) (*http.Response, error) {
	if l, ok := req.Context().Value(laneKey{}).(*lane); ok {
		return l.hc.Do(req)
	}
	return d.hc.Do(req)
}

// transport returns the Client's *http.Transport, or nil when its
// RoundTripper is another type, which cannot be cloned.
func (c *Client) transport() *http.Transport {
	rt := c.httpClient.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	tr, _ := rt.(*http.Transport)
	return tr
}

// laneIdleTimeout bounds how long a lane keeps an idle connection: a
// backstop for one that a dial still in progress adds to the pool after
// the lane was closed.
const laneIdleTimeout = time.Minute

// newLane returns a lane cloned from the Client's transport, tr.
func (c *Client) newLane(tr *http.Transport) *lane {
	clone := tr.Clone()
	if cfg := clone.TLSClientConfig; cfg != nil {
		// tls.Config.Clone shares NextProtos' array, to which net/http
		// appends "h2" and "http/1.1" when it first uses the clone: clipped,
		// each lane's append makes its own array instead of racing with
		// the other lanes' on spare capacity.
		cfg.NextProtos = slices.Clip(slices.Clone(cfg.NextProtos))
	}
	if clone.IdleConnTimeout <= 0 || clone.IdleConnTimeout > laneIdleTimeout {
		clone.IdleConnTimeout = laneIdleTimeout
	}
	hc := withoutRedirects(c.httpClient) // a copy
	hc.Transport = clone
	return &lane{hc: hc, tr: clone}
}

// laneCount returns how many of workers range workers get a lane of their
// own; the others, at least the first, share the Client's connections.
// Lanes are needed only where tr multiplexes requests on one connection
// (HTTP/2: proto, the major version of the last answer, is 2, or, with
// none yet, the URL's scheme is https or tr speaks HTTP/2 without TLS):
// over HTTP/1.1 each request in flight has a connection of its own
// anyway. A transport that is not an *http.Transport (nil tr) cannot be
// cloned, and tr's MaxConnsPerHost bounds the connections of all lanes
// together.
func laneCount(tr *http.Transport, workers, proto int, scheme string) int {
	if tr == nil || workers < 2 {
		return 0
	}
	switch {
	case proto == 2:
	case proto == 0 && scheme == "https":
	case proto == 0 && tr.Protocols != nil && tr.Protocols.UnencryptedHTTP2():
	default:
		return 0
	}
	n := workers - 1
	if m := tr.MaxConnsPerHost; m > 0 {
		n = min(n, m-1)
	}
	return n
}

// connCount counts the TCP connections the requests of a download ran on,
// as net/http reports them (httptrace's GotConn, once per attempt of a
// request): how many it opened, how many it found open, and the most that
// carried its requests at the same time. It is safe for concurrent use.
type connCount struct {
	mu     sync.Mutex
	conns  map[net.Conn]*connUse
	active int // connections carrying a request now
	peak   int // the most of active at any time
	opened int // connections that were new when a request got them
}

// connUse is what connCount knows of one connection.
type connUse struct {
	requests int   // requests on it now
	lane     *lane // the lane it belongs to; nil: the Client's own
}

// track returns ctx with a trace that records the connection each attempt
// of a request made with it gets, and end, which the caller calls once
// the request is over (its body closed): from the connection's first
// attempt to end, the request counts as carried by it. end may be called
// more than once.
func (cc *connCount) track(ctx context.Context) (_ context.Context, end func()) {
	ln, _ := ctx.Value(laneKey{}).(*lane)
	var cur net.Conn // guarded by cc.mu
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		cc.mu.Lock()
		defer cc.mu.Unlock()
		cc.releaseLocked(cur) // an earlier attempt's
		cur = info.Conn
		u := cc.conns[cur]
		if u == nil {
			if cc.conns == nil {
				cc.conns = make(map[net.Conn]*connUse)
			}
			u = &connUse{lane: ln}
			cc.conns[cur] = u
			if !info.Reused {
				cc.opened++
			}
		}
		if u.requests++; u.requests == 1 {
			cc.active++
			cc.peak = max(cc.peak, cc.active)
		}
	}}
	return httptrace.WithClientTrace(ctx, trace), func() {
		cc.mu.Lock()
		defer cc.mu.Unlock()
		cc.releaseLocked(cur)
		cur = nil
	}
}

// releaseLocked ends one request on c (nil: none).
func (cc *connCount) releaseLocked(c net.Conn) {
	if u := cc.conns[c]; c != nil && u != nil && u.requests > 0 {
		if u.requests--; u.requests == 0 {
			cc.active--
		}
	}
}

// closeLane closes the connections of l: the idle ones in its pool, and
// every one its requests used, which nothing else shares (a request that
// ended early may leave one that is not idle yet).
func (cc *connCount) closeLane(l *lane) {
	l.tr.CloseIdleConnections()
	cc.mu.Lock()
	var conns []net.Conn
	for c, u := range cc.conns {
		if u.lane == l {
			conns = append(conns, c)
		}
	}
	cc.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// stats returns the most connections used at once, the connections the
// download opened, and those it found open (reused from the Client's
// pool).
func (cc *connCount) stats() (peak, opened, reused int) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.peak, cc.opened, len(cc.conns) - cc.opened
}
