// This file holds Client.Download: a download of a Content resource to a
// file that resumes, verifies and never leaves a corrupt file under the
// final name, with its result, and the transfer whose states carry it out
// (with the bookkeeping they share: progress, checkpoints, buffers). The
// download is a pipeline of small states, like grab's: the first ones, from
// the destination to the plan, are in download_begin.go; the single stream
// in download_stream.go, parallel ranges in download_parallel.go (spans in
// download_schedule.go); the endings in download_finish.go. Decisions are
// pure functions in download_plan.go; the copy loop and stall watchdog are
// in download_copy.go; files on disk in download_local.go; options, errors,
// digests and progress in download_options.go, download_errors.go,
// download_hash.go and download_progress.go.

package level3

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
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
	// Connections is the most TCP connections that carried requests of
	// the download at the same time, as net/http reported them
	// (net/http/httptrace): 1 for a single stream, up to
	// [DownloadOptions].Connections for parallel ranges. It is 0 when the
	// Client's transport reports no connections (a RoundTripper other than
	// net/http's).
	Connections int
	// ConnectionsOpened is how many TCP connections the download opened. A
	// connection cut mid-transfer is replaced by a new one, so this and
	// ConnectionsReused can add up to more than Connections.
	ConnectionsOpened int
	// ConnectionsReused is how many TCP connections the download found
	// open, left by earlier calls of the Client.
	ConnectionsReused int
	// ContentType is the media type the server gave the content.
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
	// NoCache and NoRetry ride on the context of every request.
	if probe, err = cfg.ctx.Apply(probe); err != nil {
		return nil, err
	}
	ctx = probe.Context()
	t := &transfer{c: c, cfg: cfg, url: url, redacted: redactURL(probe.URL), scheme: probe.URL.Scheme, log: c.logger}
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
	bo       backoff.BackOff // the waits between restarts, made at the first
	restarts int
	noGain   int   // restarts in a row without progress (noteProgress)
	reached  int64 // the most good bytes on disk at any time of this call
	lastErr  error // why the last restart happened
	resumed  bool
	conns    connCount // the TCP connections the requests used (download_conns.go)
	proto    int       // the HTTP major version of the last answer of the caller's goroutine; 0: none yet
	scheme   string    // of the URL

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
		if t.bo != nil {
			t.bo.Reset()
		}
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
