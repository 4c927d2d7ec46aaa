// This file holds what every connection of a download shares (the single
// stream of download_stream.go and the ranges of download_parallel.go): the
// stall watchdog of each request (attempt), and the copy loop (copyRange,
// fill) that moves a body into the partial file through a reused buffer.

package level3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// attempt is one request of a download with its stall watchdog: a timer
// that cancels the request when no byte arrives for the stall timeout.
type attempt struct {
	cancel  context.CancelFunc
	timer   *time.Timer
	timeout time.Duration
	stalled atomic.Bool
	done    func() // called by end when not nil (connCount.track's end)
}

// newAttempt returns the context of one request and its watchdog, armed.
func newAttempt(ctx context.Context, timeout time.Duration) (context.Context, *attempt) {
	actx, cancel := context.WithCancel(ctx)
	a := &attempt{cancel: cancel, timeout: timeout}
	a.timer = time.AfterFunc(timeout, func() {
		a.stalled.Store(true)
		cancel()
	})
	return actx, a
}

// alive rearms the watchdog: bytes arrived.
func (a *attempt) alive() { a.timer.Reset(a.timeout) }

// end disarms the watchdog and releases the request's context.
func (a *attempt) end() {
	a.timer.Stop()
	a.cancel()
	if a.done != nil {
		a.done()
	}
}

// cause returns the error of a request or body read that the watchdog
// ended, wrapping ErrStalled and naming the timeout; other errors are
// returned as they are.
func (a *attempt) cause(err error) error {
	if a != nil && a.stalled.Load() {
		return fmt.Errorf("%w (%v)", ErrStalled, a.timeout)
	}
	return err
}

// writeError marks a failure to write the file, which no restart can fix.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// errBodyTooLong is returned by copyRange when a body holds more bytes than
// its headers announced.
var errBodyTooLong = errors.New("the body is longer than its content-range or content-length")

// copyRange copies body into f from offset off: limit bytes, or to the end
// of the body when limit is -1. It fills buf before each write (fewer system
// calls), rearms the attempt's watchdog after each read, and calls wrote
// after each write with the offset and the bytes written. It returns how
// many bytes it wrote and nil when the body ended where expected, a
// *writeError when the file could not be written, errBodyTooLong, or the
// read error (io.ErrUnexpectedEOF when the body ended early).
func copyRange(f io.WriterAt, body io.Reader, off, limit int64, buf []byte, a *attempt, wrote func(at int64, p []byte)) (int64, error) {
	var written int64
	for limit < 0 || written < limit {
		want := int64(len(buf))
		if limit >= 0 {
			want = min(want, limit-written)
		}
		n, rerr := fill(body, buf[:want], a)
		if n > 0 {
			if _, err := f.WriteAt(buf[:n], off+written); err != nil {
				return written, &writeError{err}
			}
			wrote(off+written, buf[:n])
			written += int64(n)
		}
		if rerr == io.EOF {
			if limit >= 0 && written < limit {
				return written, io.ErrUnexpectedEOF
			}
			return written, nil
		}
		if rerr != nil {
			return written, rerr
		}
	}
	// All the bytes announced arrived; anything more is a lie.
	var one [1]byte
	if n, _ := body.Read(one[:]); n > 0 {
		return written, errBodyTooLong
	}
	return written, nil
}

// flushAt is how much fill gathers before it returns, so that each write
// is large (few system calls) while a slow or stalling connection still
// gets its bytes onto the disk, into the progress and into the sidecar
// without waiting for a whole buffer.
const flushAt = 256 << 10

// fill reads into p until it holds flushAt bytes (or is full), the body
// ends (io.EOF) or fails.
func fill(r io.Reader, p []byte, a *attempt) (int, error) {
	n := 0
	for n < min(len(p), flushAt) {
		m, err := r.Read(p[n:])
		n += m
		if m > 0 && a != nil {
			a.alive()
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
