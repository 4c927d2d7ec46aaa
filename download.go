// This file holds Client.Download: a download of a Content resource to a
// file that resumes, verifies and never leaves a corrupt file under the
// final name. The download is a pipeline of small states (this file and
// download_stream.go); the decisions are pure functions in
// download_plan.go; files on disk in download_local.go; parallel ranges in
// download_parallel.go; options, errors and progress in download_options.go,
// download_errors.go and download_progress.go.

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
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// DownloadResult describes a finished download. Its Validators are those
// of the content written (or, with NotModified, of the version the server
// confirmed): pass them as [DownloadOptions].KnownVersion to download again
// only if the content changed.
type DownloadResult struct {
	Validators

	Path  string // the file written (or, with NotModified, that would have been)
	Bytes int64  // its length
	// SHA256 is the hexadecimal SHA-256 digest of the content, when computed
	// ([DownloadOptions].SHA256, ComputeSHA256).
	SHA256 string
	// Resumed is true when the download continued from a partial file left
	// by an earlier call.
	Resumed bool
	// Restarts counts how often the transfer was resumed after a dropped or
	// stalled connection, or started over because the content changed.
	Restarts int
	// Connections is how many connections fetched ranges at once: 1 for a
	// single stream.
	Connections int
	ContentType string
	// NotModified is true when [DownloadOptions].KnownVersion was given and
	// the server answered 304 Not Modified: nothing was written.
	NotModified bool
}

// Download fetches the content at url into a file and returns what it
// wrote. dst is the file's path, or a directory (an existing one, or a path
// ending in a separator; "" is the current directory) in which the file is
// named after the content-disposition the server sends (filename* over
// filename, RFC 6266), else the last segment of the URL path, made safe: no
// directory parts, no "..", no control characters, no reserved names. An
// existing file is not replaced unless opts.Overwrite is set.
//
// The bytes go to NAME.part beside the destination, with a sidecar
// NAME.part.json holding the URL, validators, length and progress; the
// partial file is renamed to NAME only once complete and verified, so NAME
// never holds a partial or mixed file. A later call for the same URL and
// destination resumes (RFC 9110 §14: range bytes=N- with If-Range and the
// strong etag, or the last-modified date when it is strong; never a weak
// tag): a 206 with the expected content-range is appended, a 200 means the
// content changed and replaces what was there, a 416 with the length already
// on disk (and announced before) means it is complete (Apache sends no
// content-range with 416: a HEAD then confirms). opts.FailFast uses
// If-Match instead and fails with a [*ContentChangedError] on 409 or 412.
// The sidecar is not taken on trust: the partial file must be as long as it
// says, and match the digest state it saved when the download hashes.
//
// Connections that drop or stall mid-body are resumed from the current
// offset after the waits of opts.Restarts, up to its Attempts times in a
// row without progress; each request itself
// goes through the Client's pipeline, with its retries and default headers.
// Every length learned (HEAD, content-length, content-range, 416, sidecar)
// must agree: one that contradicts another makes the download start over,
// never publish. The SHA-256 digest is checked when opts.SHA256 is given,
// computed as the bytes arrive. opts.Connections fetches ranges in
// parallel. A named pipe, device or other file that is not a regular file
// where the download keeps its files fails at once with
// [ErrNotRegularFile].
//
// Download returns an error, and leaves no file under the final name, when
// the context ends (the partial file and sidecar are kept for a later
// call), when the server answers an error status (the typed error of
// [Client.Do]), or when a check fails. It never buffers the content in
// memory: one 1 MiB buffer per connection is reused for the whole transfer.
// It is safe to call concurrently for different destinations; two calls for
// the same destination exclude each other ([ErrDownloadBusy]). opts may be
// nil.
func (c *Client) Download(ctx context.Context, url, dst string, opts *DownloadOptions) (*DownloadResult, error) {
	if err := c.check(ctx, "Client.Download"); err != nil {
		return nil, err
	}
	cfg, err := newDownloadConfig(opts)
	if err != nil {
		return nil, err
	}
	probe, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("level3: download: %w", err)
	}
	if err := checkURL(probe); err != nil {
		return nil, err
	}
	t := &transfer{c: c, cfg: cfg, url: url, redacted: redactURL(probe.URL), log: c.logger}
	t.sc = newSidecar(url, t.redacted)
	t.meter = newProgressMeter(cfg.progress, cfg.progressInterval)
	for state := t.resolveTarget(dst); state != nil; {
		state = state(ctx)
	}
	t.close()
	return t.result, t.err
}

// stateFn is one state of a download; it returns the next, or nil when the
// download is over (t.result or t.err says how).
type stateFn func(ctx context.Context) stateFn

// transfer is one running download. Its states run one after the other on
// the caller's goroutine; only parallelTransfer starts more.
type transfer struct {
	c        *Client
	cfg      downloadConfig
	url      string
	redacted string
	log      *slog.Logger

	dst     destination
	dirMode bool
	part    *os.File // NAME.part, open and locked once openPartial ran
	sc      sidecar  // the state on disk
	saved   time.Time
	have    int64 // single stream: bytes at the start of the file that are good

	remote *remoteInfo    // the HEAD answer; nil when none was asked
	probe  *http.Response // directory mode, HEAD refused: the GET that named the file

	req         rangeRequest
	resp        *http.Response
	att         *attempt
	failErr     error       // the typed error of a response ≥ 400
	failStatus  int         // its status
	failHeader  http.Header // its header
	v           dlVerdict
	contentType string

	hash     *contentHash
	bufPtr   *[]byte
	meter    *progressMeter
	bo       backoff.BackOff
	restarts int
	noGain   int   // restarts in a row without progress (noteProgress)
	reached  int64 // the most good bytes on disk at any time of this call
	lastErr  error // why the last restart happened
	resumed  bool
	conns    int

	useHead      bool         // directory mode or several connections: HEAD before the GET
	noParallel   bool         // the server turned out to ignore ranges
	headRefused  bool         // HEAD got 405 or 501
	spanRestarts atomic.Int64 // restarts of the spans of a parallel transfer

	result *DownloadResult
	err    error
}

// bufferSize is the copy buffer of each connection: large buffers cut the
// system calls per byte (measured: twice io.Copy's speed to a file).
const bufferSize = 1 << 20

// bufferPool reuses copy buffers across downloads.
var bufferPool = sync.Pool{New: func() any { b := make([]byte, bufferSize); return &b }}

// checkpointEvery is how often a running download saves its sidecar.
const checkpointEvery = time.Second

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
	t.bo = t.cfg.restarts.backOff()
	if t.useHead = dirMode || t.cfg.connections > 1; t.useHead {
		return t.headRequest
	}
	return t.openPartial
}

// remoteInfo is what a HEAD said about the content.
type remoteInfo struct {
	Validators
	date         time.Time // of the HEAD's answer: whether the date is strong
	length       int64  // content-length; -1 unknown
	acceptRanges string // lower case
	encoding     string // content-encoding
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
		if t.sc.Validators.differs(r.Validators) || t.sc.Total >= 0 && r.length >= 0 && r.length != t.sc.Total {
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
	req, discard := planResume(t.have, t.sc.Validators, t.sc.Date, t.cfg.failFast, false)
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

// freshSidecar returns the state of this download with nothing on disk.
func (t *transfer) freshSidecar() sidecar { return newSidecar(t.url, t.redacted) }

// notModified ends a KnownVersion download that the server answered with
// 304. Next: none.
func (t *transfer) notModified(h http.Header) stateFn {
	if t.part != nil && !t.hasData() {
		t.dst.removePartial()
	}
	v := ValidatorsOf(h)
	if v.ETag == "" {
		v.ETag = t.cfg.known.ETag
	}
	t.result = &DownloadResult{Validators: v, Path: t.dst.path(), NotModified: true, Connections: 1}
	t.meter.finish(true)
	return nil
}

// changed ends a fail-fast download whose content changed, keeping or
// removing the partial file as asked. Next: none.
func (t *transfer) changed(reason string, serverErr error) stateFn {
	t.closeResponse()
	err := &ContentChangedError{URL: t.redacted, Reason: reason, Err: serverErr, PartialKept: t.cfg.keepOnChange}
	if t.cfg.keepOnChange {
		return t.stop(err)
	}
	return t.discardAndStop(err)
}

// stop ends the download with err, keeping the partial file and saving its
// sidecar when it holds any byte, removing both otherwise. Next: none.
func (t *transfer) stop(err error) stateFn {
	t.closeResponse()
	t.err = err
	if t.part != nil {
		if t.hasData() {
			t.checkpoint(true)
		} else {
			t.dst.removePartial()
		}
	}
	t.meter.finish(false)
	return nil
}

// discardAndStop ends the download with err and removes the partial file
// and sidecar. Next: none.
func (t *transfer) discardAndStop(err error) stateFn {
	t.closeResponse()
	t.err = err
	if t.part != nil {
		t.dst.removePartial()
	}
	t.meter.finish(false)
	return nil
}

// hasData reports whether the partial file holds bytes worth keeping.
func (t *transfer) hasData() bool { return t.onDisk() > 0 }

// onDisk returns how many good bytes the partial file holds.
func (t *transfer) onDisk() int64 {
	if t.sc.Parallel {
		return t.sc.onDisk()
	}
	return t.have
}

// noteProgress records that onDisk good bytes are on disk. Only bytes past
// the most any attempt of this call held count as progress, and reset the
// count of restarts without progress and the backoff: bytes that repeat
// what an earlier attempt received (after a restart from the first byte)
// do not, so a server that sends a few bytes and stalls, again and again,
// uses up the restart budget.
func (t *transfer) noteProgress(onDisk int64) {
	if onDisk > t.reached {
		t.reached = onDisk
		t.noGain = 0
		t.bo.Reset()
	}
}

// checkpoint saves the sidecar: always with force, else at most every
// checkpointEvery. A failure to save is logged, not fatal: it only costs
// the ability to resume.
func (t *transfer) checkpoint(force bool) {
	now := time.Now()
	if !force && now.Sub(t.saved) < checkpointEvery {
		return
	}
	t.saved = now
	if !t.sc.Parallel {
		t.sc.Next = t.have
	}
	if t.hash != nil {
		t.sc.SHA256State, t.sc.SHA256At = t.hash.state()
	}
	if err := t.dst.saveSidecar(&t.sc); err != nil {
		t.log.Warn("level3: download: cannot save state; it will not resume", "file", t.dst.path(), "error", err)
	}
}

// close releases what the download holds: the response, the partial file
// (and its lock), the directory and the buffer.
func (t *transfer) close() {
	t.closeResponse()
	if t.probe != nil {
		drainAndClose(t.probe.Body)
		t.probe = nil
	}
	if t.part != nil {
		t.part.Close()
	}
	if t.dst.root != nil {
		t.dst.root.Close()
	}
	if t.bufPtr != nil {
		bufferPool.Put(t.bufPtr)
		t.bufPtr = nil
	}
}

// buffer returns the download's copy buffer.
func (t *transfer) buffer() []byte {
	if t.bufPtr == nil {
		t.bufPtr = bufferPool.Get().(*[]byte)
	}
	return *t.bufPtr
}
