// This file holds parallel ranges (DownloadOptions.Connections): the content is split
// into one span per connection; each connection (a TCP connection of its
// own, download_conns.go) fetches its span with requests tied to the same
// version (If-Range or If-Match), each asking for a few seconds' worth,
// writes it with WriteAt into the partial file, and when it runs out of
// work takes half of what another has not asked for yet (work stealing),
// so that all connections finish together even when the server throttles
// each one, and no byte is sent twice. A scheduler hands out spans and
// remembers them for the sidecar, so a parallel download resumes like a
// single stream. The single-stream states are in download_stream.go.

package level3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// minParallelSize is the smallest remaining content that is split over
// several connections.
const minParallelSize = 2 << 20

// minSteal is the least a connection takes from another's span: stealing
// costs a request, so only spans with at least twice this left are split.
const minSteal = 256 << 10

// requestTime is about how long each request of a range worker lasts: it
// asks for what its connection fetched in that time before. Shorter, and
// the requests (one round trip each) add up; longer, and a slow connection
// holds more that no other connection can take (the requests in flight
// are never split, so that no byte is sent twice).
const requestTime = 4 * time.Second

// Request sizes of a range worker, in units of minSteal: the first, when
// the connection's rate is not known yet, and the least.
const (
	firstRequest = 16 // 4 MiB
	leastRequest = 4  // 1 MiB
)

// parallelEligible reports whether a download can fetch ranges in
// parallel: more than one connection asked for, a HEAD that says the server
// takes byte ranges (accept-ranges: bytes) of an unencoded content of known
// length with at least minSize (minParallelSize) of it missing, and a strong validator
// to tie the ranges together (If-Range, or for fail-fast If-Match or
// If-Unmodified-Since).
func parallelEligible(conns int, failFast bool, r *remoteInfo, have, minSize int64) bool {
	if conns < 2 || r == nil || r.acceptRanges != "bytes" || r.length-have < minSize {
		return false
	}
	if r.encoding != "" && !strings.EqualFold(r.encoding, "identity") {
		return false
	}
	if failFast {
		return r.strongETag() != "" || r.strongDate(r.date) != ""
	}
	return r.ifRange(r.date) != ""
}

// canParallel reports whether this download continues in ranges: when
// parallelEligible says so, and always when the partial file was written in
// ranges and has holes, which one stream could not fill (even with one
// connection: the ranges are then fetched one after the other). A file
// whose sidecar says every range is done goes on as one stream, whose
// request past the end the server answers: nothing is published on the
// sidecar's word alone.
func (t *transfer) canParallel() bool {
	switch {
	case t.noParallel:
		return false
	case t.sc.Parallel:
		r := t.spanRequest(0, 0)
		return t.sc.Total >= 0 && t.have < t.sc.Total && (r.IfRange != "" || r.conditional())
	default:
		return parallelEligible(t.cfg.connections, t.cfg.failFast, t.remote, t.have, t.cfg.minParallel)
	}
}

// Reasons a parallel transfer ends early, besides the caller's context and
// the typed errors; parallelTransfer maps them to states.
type (
	// startOverError: the content changed (a 200, or a range that does not
	// fit): discard everything and start again.
	startOverError struct{ reason string }
	// changedError: fail-fast and the content changed.
	changedError struct {
		reason string
		err    error
	}
)

func (e *startOverError) Error() string { return e.reason }
func (e *changedError) Error() string   { return e.reason }

// errNoRanges: the server answered a range request with the whole, same
// content: it does not really take ranges.
var errNoRanges = errors.New("the server ignores range requests")

// parallelTransfer fetches the missing bytes over several connections.
// Next: verify (every span arrived), plan (one stream after all: the
// server ignores ranges), refetch (the content changed: start over), or
// stop (fail-fast change, error status, too many restarts, context ended).
func (t *transfer) parallelTransfer(ctx context.Context) stateFn {
	r := t.remote // set unless the partial file is in ranges already
	if !t.sc.Parallel {
		if t.have == 0 {
			fresh := t.freshSidecar()
			fresh.setVersion(r.Validators, r.date)
			fresh.Total = r.length
			if err := t.reset(fresh); err != nil {
				return t.stop(err)
			}
		}
		t.sc.Parallel, t.sc.Next, t.sc.Parts, t.sc.Total = true, t.have, nil, r.length
	}
	if r != nil && r.contentType != "" {
		t.contentType = r.contentType
	}
	sched := newScheduler(t.sc.Total, t.sc.Next, t.sc.Parts, t.cfg.connections, t.cfg.minSteal)
	t.syncSpans(sched)
	t.checkpoint(true)
	t.meter.set(sched.onDisk(), t.sc.Total)

	err := t.runParallel(ctx, sched)
	t.syncSpans(sched)
	t.restarts += int(t.spanRestarts.Swap(0))
	t.noteProgress(t.sc.onDisk())
	var se *startOverError
	var ce *changedError
	switch {
	case err == nil:
		t.have = t.sc.Total
		return t.verify
	case ctx.Err() != nil:
		return t.stop(fmt.Errorf("level3: download %s: %w", t.redacted, ctx.Err()))
	case errors.Is(err, errNoRanges):
		t.noParallel = true
		t.have = t.sc.contiguous(t.sc.Total)
		return t.plan
	case errors.As(err, &se):
		return t.refetch(se.reason)
	case errors.As(err, &ce):
		return t.changed(ce.reason, ce.err)
	default:
		return t.stop(err)
	}
}

// syncSpans copies the scheduler's state into the sidecar.
func (t *transfer) syncSpans(s *scheduler) {
	t.sc.Next, t.sc.Parts = s.snapshot()
	t.have = t.sc.contiguous(t.sc.Total)
}

// runParallel runs one worker per connection, a goroutine that follows the
// contiguous part of the file with the digest (when hashing), and saves the
// sidecar every checkpointEvery, until the workers are done. It returns the
// first worker's error, which stops the others. The first worker uses the
// Client's connections; the others a lane each where the Client's transport
// would put them all on one connection (laneCount), closed at the end.
func (t *transfer) runParallel(ctx context.Context, s *scheduler) error {
	pctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	signal := make(chan struct{}, 1)
	tr := t.c.transport()
	lanes := make([]*lane, laneCount(tr, t.cfg.connections, t.proto, t.scheme))
	for i := range lanes {
		lanes[i] = t.c.newLane(tr)
	}
	var wg sync.WaitGroup
	for i := 0; i < t.cfg.connections; i++ {
		wctx := pctx
		if i > 0 && i <= len(lanes) {
			wctx = withLane(pctx, lanes[i-1])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			bp := bufferPool.Get().(*[]byte)
			defer bufferPool.Put(bp)
			if err := t.worker(wctx, s, *bp, signal); err != nil {
				cancel(err)
			}
		}()
	}
	defer func() {
		for _, l := range lanes {
			t.conns.closeLane(l)
		}
	}()
	hashCtx, stopHash := context.WithCancel(ctx)
	hashDone := make(chan struct{})
	go func() {
		defer close(hashDone)
		if t.hash != nil {
			t.followHash(hashCtx, s, signal)
		}
	}()
	workersDone := make(chan struct{})
	go func() {
		wg.Wait()
		close(workersDone)
	}()
	tick := time.NewTicker(checkpointEvery)
	for running := true; running; {
		select {
		case <-workersDone:
			running = false
		case <-tick.C:
			t.syncSpans(s)
			t.checkpoint(true)
		}
	}
	tick.Stop()
	stopHash()
	<-hashDone
	if pctx.Err() != nil {
		return context.Cause(pctx)
	}
	return nil
}

// followHash adds the contiguous part of the file to the digest as the
// spans fill it, reading it back from the page cache, until ctx ends; verify
// adds what is left.
func (t *transfer) followHash(ctx context.Context, s *scheduler, signal <-chan struct{}) {
	bp := bufferPool.Get().(*[]byte)
	defer bufferPool.Put(bp)
	for {
		select {
		case <-ctx.Done():
			return
		case <-signal:
		}
		frontier := s.frontier()
		for at := t.hash.offset(); at < frontier && ctx.Err() == nil; at = t.hash.offset() {
			if err := t.hash.catchUp(t.part, min(at+16*bufferSize, frontier), *bp); err != nil {
				return // verify reads it again and reports the error
			}
		}
	}
}

// worker fetches spans until there is nothing left to take, waiting while
// what others have asked for may yet leave some.
func (t *transfer) worker(ctx context.Context, s *scheduler, buf []byte, signal chan<- struct{}) error {
	var rate float64 // bytes per second of the connection's last request
	for {
		sp, later := s.take()
		if sp == nil && later != nil {
			select {
			case <-later:
				continue
			case <-ctx.Done():
				return nil // the cause is another worker's error, or the caller's
			}
		}
		if sp == nil {
			return nil
		}
		if err := t.fetchSpan(ctx, s, sp, &rate, buf, signal); err != nil {
			s.release(sp)
			return err
		}
		s.complete(sp)
	}
}

// spanRequest returns the request for bytes start to end (inclusive), tied
// to the version on disk.
func (t *transfer) spanRequest(start, end int64) rangeRequest {
	r := rangeRequest{Ranged: true, Start: start, End: end}
	switch {
	case !t.cfg.failFast:
		r.IfRange = t.sc.validators().ifRange(t.sc.date())
	case t.sc.validators().strongETag() != "":
		r.IfMatch = t.sc.validators().strongETag()
	default:
		r.IfUnmodifiedSince = t.sc.validators().strongDate(t.sc.date())
	}
	return r
}

// requestSize returns how much a range worker asks for in one request,
// given its connection's rate (0: not known yet): what the connection
// fetched in requestTime before, at least leastRequest.
func requestSize(rate float64, minSteal int64) int64 {
	if rate <= 0 {
		return firstRequest * minSteal
	}
	return max(int64(min(rate*requestTime.Seconds(), 1<<60)), leastRequest*minSteal)
}

// fetchSpan fetches what is missing of sp, a request at a time (ask),
// resuming after drops and stalls with its own backoff, until sp is
// complete or its end, moved by a thief, is reached. rate is the
// connection's rate, which it updates after each request.
func (t *transfer) fetchSpan(ctx context.Context, s *scheduler, sp *span, rate *float64, buf []byte, signal chan<- struct{}) error {
	var bo backoff.BackOff // made at the first restart
	noGain := 0
	for {
		pos, end := s.ask(sp, requestSize(*rate, t.cfg.minSteal))
		if pos >= end {
			return nil
		}
		req := t.spanRequest(pos, end-1)
		sent := time.Now()
		resp, a, status, h, err := t.sendRange(ctx, req)
		if err != nil && status == 0 && !errors.Is(err, ErrStalled) {
			return err
		}
		if err == nil || status != 0 {
			cl := int64(-1)
			if resp != nil {
				cl = resp.ContentLength
			}
			v := judgeResponse(req, -1, t.sc.Total, t.sc.validators(), status, h, cl)
			switch v.Kind {
			case verdictWrite:
				if v.Restart {
					resp.Body.Close()
					a.end()
					if !t.sc.validators().differs(ValidatorsOf(h)) && cl == t.sc.Total {
						return errNoRanges
					}
					return &startOverError{"the content changed: a range request got all of it (200)"}
				}
				var n int64
				n, err = t.copySpan(s, sp, resp, a, v, buf, signal)
				resp.Body.Close()
				a.end()
				if n > 0 {
					noGain = 0
					if bo != nil {
						bo.Reset()
					}
				}
				if n >= leastRequest*t.cfg.minSteal/4 {
					*rate = float64(n) / max(time.Since(sent).Seconds(), 1e-3)
				}
				var we *writeError
				switch {
				case errors.As(err, &we):
					return fmt.Errorf("level3: download: writing %s: %w", t.dst.partName(), we.err)
				case err == nil:
					s.settle(sp)
					continue // the range or the span is done, or the range was short: look again
				case ctx.Err() != nil:
					return context.Cause(ctx)
				}
				err = a.cause(err)
			default:
				if resp != nil {
					resp.Body.Close()
					a.end()
				}
				switch v.Kind {
				case verdictChanged:
					return &changedError{v.Reason, err}
				case verdictRefetch, verdictConfirm, verdictDone:
					return &startOverError{"a range request got " + v.Reason}
				case verdictError:
					return err
				}
				return fmt.Errorf("%w: %s: %s", ErrUnexpectedResponse, t.redacted, v.Reason)
			}
		}
		// The connection dropped or stalled: resume the span after a wait,
		// during which others may take part of it.
		s.settle(sp)
		t.spanRestarts.Add(1)
		if noGain++; noGain > t.cfg.restarts.Attempts {
			return fmt.Errorf("%w (%d): %s: %w", ErrTooManyRestarts, t.cfg.restarts.Attempts, t.redacted, err)
		}
		if bo == nil {
			bo = t.cfg.restarts.backOff()
		}
		if sleep(ctx, bo.NextBackOff()) != nil {
			return context.Cause(ctx)
		}
	}
}

// copySpan writes the body of a 206 for sp into the file, stopping at the
// span's end (which a thief never moves inside the range asked for). It
// returns the bytes written and nil when the response or the span ended,
// else the failure.
func (t *transfer) copySpan(s *scheduler, sp *span, resp *http.Response, a *attempt, v dlVerdict, buf []byte, signal chan<- struct{}) (int64, error) {
	var written int64
	for written < v.Length {
		allowed := s.remaining(sp)
		if allowed <= 0 {
			return written, nil // a thief took the rest
		}
		n, rerr := fill(resp.Body, buf[:min(int64(len(buf)), allowed, v.Length-written)], a)
		if n > 0 {
			// Reads stop at the span's end: bytes past it would be the
			// thief's, fetched twice (they would be the same bytes of the
			// same version, but only the span's own count as progress).
			if _, err := t.part.WriteAt(buf[:n], v.Offset+written); err != nil {
				return written, &writeError{err}
			}
			written += int64(n)
			if got := s.advance(sp, n); got > 0 {
				t.meter.add(got)
			}
			select {
			case signal <- struct{}{}:
			default:
			}
		}
		if rerr == io.EOF && written < v.Length {
			return written, io.ErrUnexpectedEOF
		}
		if rerr != nil && rerr != io.EOF {
			return written, rerr
		}
		if rerr == io.EOF {
			return written, nil
		}
	}
	return written, nil
}
