// This file holds the states of a single-stream download, from the GET to
// the judged answer and its copy: getRequest, judge, copyBody, refetch,
// pause and confirmByHead, with the requests (sendRange, head) that
// parallel ranges (download_parallel.go) share. The first states are in
// download_begin.go, the last in download_finish.go.

package level3

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// startAttempt returns the context of one request of the download and its
// stall watchdog, armed, which also counts the connection the request runs
// on (t.conns) until the attempt ends.
func (t *transfer) startAttempt(ctx context.Context) (context.Context, *attempt) {
	actx, a := newAttempt(ctx, t.cfg.stallTimeout)
	actx, a.done = t.conns.track(actx)
	return actx, a
}

// sendRange sends one GET of a download through the Client. It returns the
// response (2xx/3xx), or, for a status of 400 or more, the typed error and
// its status and header; or a transport error.
func (t *transfer) sendRange(ctx context.Context, req rangeRequest) (resp *http.Response, a *attempt, status int, h http.Header, err error) {
	actx, a := t.startAttempt(ctx)
	hreq, err := t.request(actx, http.MethodGet, req)
	if err != nil {
		a.end()
		return nil, nil, 0, nil, err
	}
	resp, err = t.c.Do(hreq)
	if err != nil {
		var re *ResponseError
		if errors.As(err, &re) {
			a.end()
			return nil, nil, re.StatusCode, re.Header, err
		}
		err = a.cause(err)
		a.end()
		return nil, nil, 0, nil, err
	}
	return resp, a, resp.StatusCode, resp.Header, nil
}

// request returns a request of the download (GET or HEAD) with the
// RequestOptions of the call that are not on its context already (Apply),
// then the headers of r, which win.
func (t *transfer) request(ctx context.Context, method string, r rangeRequest) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, t.url, nil)
	if err != nil {
		return nil, err
	}
	if req, err = t.cfg.perRequest.Apply(req); err != nil {
		return nil, err
	}
	r.header(req.Header)
	return req, nil
}

// send sends t.req and keeps the response in t.resp, or the typed error of
// a status ≥ 400 in t.failErr with its status and header (and a nil
// t.resp); ok is true then. When no response came at all, ok is false and
// next is the state to go to: pause after a stall, nil after stop.
func (t *transfer) send(ctx context.Context) (next stateFn, ok bool) {
	t.failErr, t.failStatus, t.failHeader = nil, 0, nil
	resp, a, status, h, err := t.sendRange(ctx, t.req)
	switch {
	case resp != nil:
		t.resp, t.att, t.proto = resp, a, resp.ProtoMajor
		return nil, true
	case status != 0:
		t.failErr, t.failStatus, t.failHeader = err, status, h
		return nil, true
	case errors.Is(err, ErrStalled) && ctx.Err() == nil:
		t.lastErr = err
		return t.pause, false
	default:
		return t.stop(err), false
	}
}

// getRequest sends the GET that plan chose. Next: judge, pause (the
// request stalled), or stop.
func (t *transfer) getRequest(ctx context.Context) stateFn {
	if next, ok := t.send(ctx); !ok {
		return next
	}
	return t.judge
}

// head sends a HEAD with the headers of r, under the stall watchdog: a
// server that does not answer within the stall timeout fails it.
func (t *transfer) head(ctx context.Context, r rangeRequest) (*http.Response, error) {
	actx, a := t.startAttempt(ctx)
	defer a.end()
	req, err := t.request(actx, http.MethodHead, r)
	if err != nil {
		return nil, err
	}
	resp, err := t.c.Do(req)
	if err != nil {
		return nil, a.cause(err)
	}
	drainAndClose(resp.Body)
	t.proto = resp.ProtoMajor
	return resp, nil
}

// judge decides what the answer means (judgeResponse). Next: copyBody,
// verify (416: the file is complete), confirmByHead (416 without
// content-range), refetch (the answer does not fit the bytes on disk),
// notModified, or stop (fail-fast change, error status, protocol
// violation).
func (t *transfer) judge(ctx context.Context) stateFn {
	status, h, cl := t.failStatus, t.failHeader, int64(-1)
	if t.resp != nil {
		status, h, cl = t.resp.StatusCode, t.resp.Header, t.resp.ContentLength
	}
	t.v = judgeResponse(t.req, t.have, t.sc.Total, t.sc.validators(), status, h, cl)
	switch t.v.Kind {
	case verdictWrite:
		if ct := h.Get("Content-Type"); ct != "" {
			t.contentType = ct
		}
		if t.v.Offset == 0 {
			// The whole content from its first byte: whatever was on
			// disk goes, and the sidecar takes this response's validators
			// and length, which must agree with the HEAD's.
			got := ValidatorsOf(h)
			if t.remote != nil && t.remote.Validators.differs(got) {
				t.remote = nil // the content changed since the HEAD
			}
			if r := t.remote; r != nil && r.length >= 0 {
				if t.v.Total >= 0 && t.v.Total != r.length {
					// HEAD and GET disagree about the length of one
					// version: one of them lies. Ask both again.
					return t.refetch(fmt.Sprintf("GET says %d bytes, HEAD said %d for the same version", t.v.Total, r.length))
				}
				// A body without a length (close-delimited) must still
				// be as long as the HEAD said.
				t.v.Total, t.v.Length = r.length, r.length
			}
			if t.v.Restart {
				t.restarts++
				t.lastErr = errors.New("the content changed: the server sent all of it again")
			}
			fresh := t.freshSidecar()
			fresh.setVersion(got, responseDate(h))
			fresh.Total = t.v.Total
			if err := t.reset(fresh); err != nil {
				return t.stop(err)
			}
		} else if t.sc.Total < 0 {
			t.sc.Total = t.v.Total
		}
		t.meter.set(t.have, t.sc.Total)
		return t.copyBody
	case verdictDone:
		t.closeResponse()
		t.sc.Total = t.v.Total
		return t.verify
	case verdictConfirm:
		t.closeResponse()
		return t.confirmByHead
	case verdictRefetch:
		return t.refetch(t.v.Reason)
	case verdictChanged:
		return t.changed(t.v.Reason, t.failErr)
	case verdictNotModified:
		defer t.closeResponse()
		return t.notModified(h)
	case verdictUnexpected:
		return t.stop(fmt.Errorf("%w: %s: %s", ErrUnexpectedResponse, t.redacted, t.v.Reason))
	default:
		return t.stop(t.failErr)
	}
}

// refetch throws away the bytes on disk, which the server's answer does not
// fit, and every length and validator learned with them (the HEAD's too:
// it is asked again when the download uses one), and starts over with a
// plain GET; it counts as a restart. Next: pause, or stop (too many
// restarts).
func (t *transfer) refetch(reason string) stateFn {
	t.closeResponse()
	t.log.Debug("level3: download refetches from the start", "url", t.redacted, "reason", reason)
	t.lastErr = fmt.Errorf("%w: %s", ErrUnexpectedResponse, reason)
	if err := t.reset(t.freshSidecar()); err != nil {
		return t.stop(err)
	}
	t.remote = nil // a HEAD's length and validators may be as wrong
	return t.pause
}

// copyBody streams the response body into the partial file at the verdict's
// offset, through the reused buffer, hashing and counting as it goes.
// Next: verify (the body ended where expected), plan (a short 206: ask for
// the rest), pause (dropped, stalled, or cut short), refetch (longer than
// announced), or stop (disk error, context ended).
func (t *transfer) copyBody(ctx context.Context) stateFn {
	if t.hash != nil {
		if err := t.hash.catchUp(t.part, t.have, t.buffer()); err != nil {
			return t.stop(fmt.Errorf("level3: download: reading the partial file: %w", err))
		}
	}
	n, err := copyRange(t.part, t.resp.Body, t.v.Offset, t.v.Length, t.buffer(), t.att, func(at int64, p []byte) {
		if t.hash != nil {
			t.hash.write(at, p)
		}
		t.meter.add(len(p))
		t.have = at + int64(len(p))
		t.checkpoint(false)
	})
	t.noteProgress(t.have)
	var we *writeError
	switch {
	case errors.As(err, &we):
		return t.stop(fmt.Errorf("level3: download: writing %s: %w", t.dst.partName(), we.err))
	case errors.Is(err, errBodyTooLong):
		return t.refetch(err.Error())
	case err != nil && ctx.Err() != nil:
		return t.stop(fmt.Errorf("level3: download %s: %w", t.redacted, ctx.Err()))
	case err != nil:
		t.lastErr = t.att.cause(err)
		t.closeResponse()
		return t.pause
	}
	t.closeResponse()
	switch {
	case t.sc.Total >= 0 && t.have == t.sc.Total:
		return t.verify
	case t.v.Length < 0 && t.sc.Total < 0:
		t.sc.Total = t.have // no length given: the body ended where the content does
		return t.verify
	case t.v.Length >= 0 && n == t.v.Length && t.req.Ranged:
		return t.plan // a short range, as RFC 9110 §14.2 allows, or an unknown length: ask for the rest
	}
	t.lastErr = fmt.Errorf("body ended after %d of %d bytes", t.have, t.sc.Total)
	return t.pause
}

// pause waits before resuming after a dropped connection, a stall or a
// restart: the waits of DownloadOptions.Restarts, under the context. Next: plan, or stop (too many restarts without progress, as
// noteProgress counts it, or the context ended).
func (t *transfer) pause(ctx context.Context) stateFn {
	t.restarts++
	t.noGain++
	if t.noGain > t.cfg.restarts.Attempts {
		return t.stop(fmt.Errorf("%w (%d): %s: %w", ErrTooManyRestarts, t.cfg.restarts.Attempts, t.redacted, t.lastErr))
	}
	t.checkpoint(true)
	if t.bo == nil {
		t.bo = t.cfg.restarts.backOff()
	}
	wait := t.bo.NextBackOff()
	t.log.LogAttrs(ctx, slog.LevelDebug, "level3: download resumes",
		slog.String("url", t.redacted), slog.Int64("offset", t.have), slog.Duration("wait", wait), slog.Any("reason", t.lastErr))
	if err := sleep(ctx, wait); err != nil {
		return t.stop(fmt.Errorf("level3: download %s: %w", t.redacted, err))
	}
	return t.plan
}

// confirmByHead asks HEAD whether the file on disk is complete after a 416
// that did not say the length (Apache): complete when the length matches
// and the validators are the partial file's. Next: verify, refetch, or
// stop.
func (t *transfer) confirmByHead(ctx context.Context) stateFn {
	resp, err := t.head(ctx, rangeRequest{End: -1})
	if err != nil {
		return t.stop(err)
	}
	length := ResourceFromResponse(resp).ContentLength
	if judgeConfirm(t.have, t.sc.Total, t.sc.validators(), t.sc.date(), resp.StatusCode, resp.Header, length) == verdictDone {
		t.sc.Total = t.have
		return t.verify
	}
	return t.refetch("416 and HEAD shows another length or version")
}

// closeResponse closes the current response and its watchdog.
func (t *transfer) closeResponse() {
	if t.resp != nil {
		t.resp.Body.Close()
		t.resp = nil
	}
	if t.att != nil {
		t.att.end()
		t.att = nil
	}
}
