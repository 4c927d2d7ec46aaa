// This file holds the first states of a download (download.go), from the
// destination to the plan: resolveTarget, headRequest, probeGet,
// openPartial (with startOver), and plan, which picks parallel ranges
// (download_parallel.go) or one stream (download_stream.go).

package level3

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// resolveTarget decides where the file goes and opens its directory.
// Next: headRequest (directory mode, or several connections asked for),
// openPartial, or stop.
func (t *transfer) resolveTarget(dst string) stateFn {
	dir, name, dirMode, err := splitDestination(dst)
	if err != nil {
		return t.stop(err)
	}
	// os.OpenRoot would wait forever on a named pipe: look first.
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return t.stop(&fs.PathError{Op: "download", Path: dir, Err: errNotDirectory})
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return t.stop(fmt.Errorf("level3: download destination: %w", err))
	}
	t.dst = destination{dir: dir, name: name, root: root}
	t.dirMode = dirMode
	if t.useHead = dirMode || t.cfg.connections > 1; t.useHead {
		return t.headRequest
	}
	return t.openPartial
}

// remoteInfo is what a HEAD said about the content.
type remoteInfo struct {
	Validators
	date         time.Time // of the HEAD's answer: whether the date is strong
	length       int64     // content-length; -1 unknown
	acceptRanges string    // lower case
	encoding     string    // content-encoding
	contentType  string
}

// headRequest asks for the content's name, length, validators and range
// support. Next: openPartial (or plan, when the partial file is already
// open and the download starts over), probeGet (HEAD refused in directory
// mode), notModified, or stop.
func (t *transfer) headRequest(ctx context.Context) stateFn {
	resp, err := t.head(ctx, t.knownVersion())
	var re *ResponseError
	switch {
	case errors.As(err, &re) && (re.StatusCode == http.StatusMethodNotAllowed || re.StatusCode == http.StatusNotImplemented):
		t.remote, t.headRefused = nil, true
		if t.dirMode && t.dst.name == "" {
			return t.probeGet
		}
		return t.afterHead()
	case err != nil:
		return t.stop(err)
	}
	if resp.StatusCode == http.StatusNotModified && !t.cfg.known.IsZero() {
		t.adoptName(resp)
		return t.notModified(resp.Header)
	}
	if resp.StatusCode != http.StatusOK {
		return t.stop(fmt.Errorf("%w: HEAD answered %s", ErrUnexpectedResponse, resp.Status))
	}
	r := ResourceFromResponse(resp)
	t.remote = &remoteInfo{
		Validators:   ValidatorsOf(resp.Header),
		date:         responseDate(resp.Header),
		length:       r.ContentLength,
		acceptRanges: r.AcceptRanges,
		encoding:     resp.Header.Get("Content-Encoding"),
		contentType:  resp.Header.Get("Content-Type"),
	}
	t.adoptName(resp)
	return t.afterHead()
}

// afterHead is the state after a HEAD: openPartial the first time, plan
// when the partial file is open already.
func (t *transfer) afterHead() stateFn {
	if t.part != nil {
		return t.plan
	}
	return t.openPartial
}

// adoptName names the file after the response, in directory mode, the
// first time.
func (t *transfer) adoptName(resp *http.Response) {
	if t.dirMode && t.dst.name == "" {
		u := resp.Request.URL // after redirects
		t.dst.name = downloadFileName(resp.Header, u)
	}
}

// probeGet sends the first GET in directory mode when the server refuses
// HEAD, to learn the file's name. Next: openPartial (which resumes, or uses
// this response when there is nothing to resume), notModified, or stop.
func (t *transfer) probeGet(ctx context.Context) stateFn {
	t.req = t.knownVersion()
	if next, ok := t.send(ctx); !ok {
		if next != nil { // stalled: there is no file to resume into yet
			return t.stop(fmt.Errorf("level3: download %s: %w", t.redacted, t.lastErr))
		}
		return nil
	}
	if t.resp == nil {
		return t.stop(t.failErr)
	}
	t.adoptName(t.resp)
	if h := t.resp.Header; t.resp.StatusCode == http.StatusNotModified && !t.cfg.known.IsZero() {
		t.closeResponse()
		return t.notModified(h)
	}
	t.probe, t.resp = t.resp, nil
	return t.openPartial
}

// knownVersion returns a request with the KnownVersion conditions.
func (t *transfer) knownVersion() rangeRequest {
	r := rangeRequest{End: -1}
	if k := t.cfg.known; k.ETag != "" {
		r.IfNoneMatch = k.ETag
	} else if !k.LastModified.IsZero() {
		r.IfModifiedSince = k.LastModified.UTC().Format(http.TimeFormat)
	}
	return r
}

// openPartial checks the destination, opens and locks the partial file and
// reads its sidecar, whose claims it checks against the file: its size,
// and the digest of what it says is done when the download hashes.
// Next: plan, or stop.
func (t *transfer) openPartial(ctx context.Context) stateFn {
	if err := t.dst.check(t.cfg.overwrite); err != nil {
		return t.stop(err)
	}
	part, err := t.dst.openPart()
	if err != nil {
		return t.stop(err)
	}
	t.part = part
	fi, err := part.Stat()
	if err != nil {
		return t.stop(err)
	}
	fresh := t.sc
	sc, err := t.dst.loadSidecar()
	if errors.Is(err, ErrNotRegularFile) || errors.Is(err, fs.ErrNotExist) && fi.Size() > 0 && !t.cfg.overwrite {
		// Not ours (browsers name their partial files NAME.part too), or
		// a trap: leave it alone.
		t.part.Close()
		t.part = nil
		if !errors.Is(err, ErrNotRegularFile) {
			err = &fs.PathError{Op: "download", Path: filepath.Join(t.dst.dir, t.dst.partName()), Err: ErrFileExists}
		}
		return t.stop(err)
	}
	if err != nil || !sc.fits(fresh) || t.cfg.noResume {
		return t.startOver(fresh, "")
	}
	t.sc = sc
	t.have = sc.contiguous(fi.Size())
	switch {
	case !t.hasData():
		return t.startOver(fresh, "")
	case fi.Size() < sc.claimedEnd() || sc.Total >= 0 && fi.Size() > sc.Total:
		return t.startOver(fresh, "the partial file is not as long as its sidecar says")
	}
	if t.cfg.hashing() {
		hash, ok, err := checkContentHash(t.part, sc.SHA256State, sc.SHA256At, t.buffer())
		switch {
		case sc.SHA256At > t.have || err == nil && !ok:
			return t.startOver(fresh, "the partial file does not hold the bytes its sidecar's digest covers")
		case err != nil:
			return t.stop(fmt.Errorf("level3: download: reading the partial file: %w", err))
		}
		t.hash = hash
	}
	t.resumed = true
	t.reached = t.onDisk()
	t.meter.set(t.have, sc.Total)
	t.log.LogAttrs(ctx, slog.LevelDebug, "level3: resuming download",
		slog.String("url", t.redacted), slog.String("file", t.dst.path()), slog.Int64("have", t.have))
	return t.plan
}

// startOver empties the partial file and saves a sidecar that says so.
// Next: plan, or stop.
func (t *transfer) startOver(fresh sidecar, reason string) stateFn {
	if reason != "" {
		t.log.Debug("level3: download starts over", "url", t.redacted, "reason", reason)
	}
	if err := t.reset(fresh); err != nil {
		return t.stop(err)
	}
	return t.plan
}

// reset empties the partial file, then takes fresh as the state on disk and
// saves it, in that order: the sidecar never claims bytes the file does not
// hold, nor describes them with another version's validators.
func (t *transfer) reset(fresh sidecar) error {
	if err := truncate(t.part, 0); err != nil {
		return fmt.Errorf("level3: download: %w", err)
	}
	t.sc, t.have = fresh, 0
	if t.cfg.hashing() {
		t.hash = newContentHash()
	}
	t.meter.set(0, fresh.Total)
	t.checkpoint(true)
	return nil
}

// freshSidecar returns the state of this download with nothing on disk.
func (t *transfer) freshSidecar() sidecar { return newSidecar(t.url, t.redacted) }

// plan decides how to continue from what is on disk. Next: parallelTransfer,
// getRequest, judge (the probe GET of directory mode is the answer),
// startOver (the HEAD showed another version), or stop (fail-fast and the
// HEAD showed a change).
func (t *transfer) plan(ctx context.Context) stateFn {
	if t.useHead && t.remote == nil && !t.headRefused {
		// Parallel ranges need the length and validators first; after a
		// restart the HEAD is asked again, as its claims were dropped.
		return t.headRequest
	}
	if r := t.remote; r != nil && t.hasData() {
		if t.sc.validators().differs(r.Validators) || t.sc.Total >= 0 && r.length >= 0 && r.length != t.sc.Total {
			if t.cfg.failFast {
				return t.changed("HEAD shows another entity tag", nil)
			}
			return t.startOver(t.freshSidecar(), "HEAD shows another version")
		}
		if t.sc.Total < 0 {
			t.sc.Total = r.length // a claim every later answer must agree with
		}
	}
	if t.canParallel() {
		return t.parallelTransfer
	}
	if t.sc.Parallel {
		// Continue one stream from the first missing byte; what lies
		// beyond it is fetched again.
		if err := truncate(t.part, t.have); err != nil {
			return t.stop(err)
		}
		t.sc.Parallel, t.sc.Parts, t.sc.Next = false, nil, t.have
	}
	req, discard := planResume(t.have, t.sc.validators(), t.sc.date(), t.cfg.failFast, false)
	if discard {
		return t.startOver(t.freshSidecar(), "no strong validator to resume with")
	}
	known := t.knownVersion()
	req.IfNoneMatch, req.IfModifiedSince = known.IfNoneMatch, known.IfModifiedSince
	t.req = req
	if t.probe != nil {
		resp := t.probe
		t.probe = nil
		if !req.Ranged {
			t.resp = resp
			return t.judge
		}
		drainAndClose(resp.Body)
		t.closeResponse() // the probe's watchdog
	}
	return t.getRequest
}
