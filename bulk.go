// This file holds bulk uploads: Client.UploadAll sends many files (listed, or
// found by walking directories) to one target with bounded concurrency,
// retrying each file where that is safe (fileRetryable) on a backoff schedule
// (BulkOptions.Retry). The journal that lets an interrupted run continue is
// internal/journal; PUT targets (WebDAV) are handled in bulkput.go; one file
// is sent by upload.go.

package level3

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/l3go/level3/internal/journal"
	"github.com/l3go/level3/internal/localfile"
	"github.com/l3go/level3/profiles"
)

// bulkConcurrency is how many files [Client.UploadAll] sends at once by
// default.
const bulkConcurrency = 4

// bulkRetry is the Schedule of a bulk upload's retries by default: each
// file sent again up to 3 times, after waits from 250ms growing by half up
// to 10s, spread by ±50%.
var bulkRetry = Schedule{Initial: 250 * time.Millisecond, Max: 10 * time.Second, Multiplier: 1.5, Jitter: 0.5, Attempts: 3}

// BulkOptions configure [Client.UploadAll]. A nil *BulkOptions means all
// defaults; so does the zero value of each field.
type BulkOptions struct {
	// UploadOptions are the options of every file's upload. Slug, Length,
	// IfVersion, IdempotencyKey and Progress must be left empty: they are
	// per file (see OnProgress). With Put, Force replaces every file.
	UploadOptions

	// Concurrency is how many files are in flight at once; 0 means 4.
	Concurrency int
	// Retry says how often, and after which waits, a failed file is sent
	// again, when that is safe (see [Client.UploadAll]); an attempt is one
	// sending of the file, so Attempts is the number of times a file is sent
	// again after its first try. Its zero fields mean: 3 attempts, waits
	// from 250ms growing 1.5 times up to 10s, jitter ±50%. A negative
	// Attempts never sends a file again. A Retry-After from the server
	// replaces the wait, capped at Max.
	Retry Schedule
	// Put sends each file by PUT to the target joined with the file's path
	// relative to the directory given (each name percent-encoded), instead
	// of POSTing every file to the target. Collections missing on the way
	// are created with MKCOL (WebDAV) when the server answers 409 Conflict.
	Put bool
	// Journal is the path of a journal file. Files it records as uploaded
	// to this target, with the same size and modification time, are
	// skipped; each file uploaded is appended to it. Empty: no journal.
	//
	// The journal is created mode 0600 (one found readable by others is
	// made 0600), and its URLs are written with credentials hidden, as in
	// error messages (userinfo, X-Amz-Signature, token, sig...): targets
	// that differ only in their credentials count as one. A run holds the
	// journal locked until it ends (where flock(2) exists): another run
	// given the same journal meanwhile, in this process or another, fails
	// at once with an error wrapping [ErrJournalBusy], and never loses,
	// cuts or interleaves a line of the first.
	Journal string
	// OnResult, when not nil, is called once per file, as each finishes,
	// one call at a time, on the run's goroutine that uploaded the file,
	// never the caller's (so a panic in it is not the caller's to recover,
	// and testing.T's FailNow must not be called from it). While it runs,
	// every other file that finishes waits to be reported.
	OnResult func(FileResult)
	// OnProgress, when not nil, is called as files go out, with the file's
	// Name; see [UploadOptions].Progress. Calls for different files may
	// come at the same time.
	OnProgress func(name string, p Progress)
}

// FileResult is what happened to one file of [Client.UploadAll]. Its
// Result is the server's answer to the file's last attempt: Status (0 when
// there was no answer), URL (where the file was sent, also when it failed),
// Location (the resource holding the bytes), Validators, Header, Body; and
// Sent, the body bytes of the last attempt (not counted, so 0, when a PUT or
// keyed POST fails).
type FileResult struct {
	Result
	File     string // path of the file on disk
	Name     string // path relative to the argument it was found under, with slashes: the slug, or the path below the target with Put
	Attempts int    // times the file was sent (0 when skipped)
	Skipped  bool   // the journal says it was uploaded already; nothing was sent
	Err      error  // nil on success
}

// BulkSummary counts what [Client.UploadAll] did.
type BulkSummary struct {
	Files    int           // files considered (uploaded + skipped + failed)
	Uploaded int           // sent and accepted
	Skipped  int           // found in the journal
	Failed   int           // not uploaded
	Bytes    int64         // body bytes of the files uploaded
	Elapsed  time.Duration // wall time of the run
}

// UploadAll uploads the files at paths to target: regular files as they are,
// directories walked recursively (in lexical order; symbolic links to
// regular files are followed, other non-regular files fail). Without
// opts.Put every file is POSTed to the Upload resource target with its
// relative path as slug; target is discovered first (HEAD), so that a
// target advertising the Preflight mixin gets every body preflighted, and
// one accepting idempotency keys gets a fresh key per file.
//
// At most opts.Concurrency files are in flight, and memory stays constant
// whatever the sizes of the files and of the directory trees: files are
// streamed, directories walked lazily, results handed to opts.OnResult as
// they come (only the journal's set of files already uploaded grows with
// their number). A failed file is sent again, after the waits of
// opts.Retry (honouring Retry-After up to its Max), only where that is safe:
// the failure was a 5xx, a 429 or a connection failure, and the request was
// a PUT, a POST with an idempotency key (then a 409 "key still being
// processed" too), or a POST whose body the server never got a byte of.
// These file-level retries replace the Client's own request-level ones, so a
// file is sent at most opts.Retry.Attempts+1 times.
//
// UploadAll returns when every file is done or ctx ends; the files it did not
// reach are not reported. The error is nil when every file was uploaded or
// skipped; it wraps [ErrBulkFailed] when some failed, ctx's error when the run
// was cut short, and describes the problem when it could not start (a bad
// target, an unreadable journal).
func (c *Client) UploadAll(ctx context.Context, target string, paths []string, opts *BulkOptions) (BulkSummary, error) {
	if err := c.check(ctx, "Client.UploadAll"); err != nil {
		return BulkSummary{}, err
	}
	start := time.Now()
	var o BulkOptions
	if opts != nil {
		o = *opts
	}
	run, err := c.newBulkRun(ctx, target, &o)
	if err != nil {
		return BulkSummary{}, err
	}
	defer run.close()

	parent := ctx
	// Every file goes below the target: one scope for them all, instead of
	// parsing each file's URL again to find the same origin.
	ctx, cancel := context.WithCancel(withCallOrigin(ctx, run.target))
	defer cancel()
	jobs := make(chan bulkJob, run.concurrency)
	go func() {
		defer close(jobs)
		walkAll(ctx, paths, jobs)
	}()
	// Each worker counts and reports its own results, one at a time: handing
	// them to this goroutine instead would wake it once per file.
	var (
		sum      BulkSummary
		reported sync.Mutex
		wg       sync.WaitGroup
	)
	report := func(r FileResult) {
		reported.Lock()
		defer reported.Unlock()
		sum.add(r)
		if o.OnResult != nil {
			o.OnResult(r)
		}
	}
	for range run.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				if ctx.Err() != nil {
					continue // cut short: files not started are not reported
				}
				report(run.one(ctx, job))
			}
		}()
	}
	wg.Wait()
	sum.Elapsed = time.Since(start)
	if err := run.close(); err != nil {
		return sum, err
	}
	switch {
	case parent.Err() != nil:
		return sum, fmt.Errorf("level3: upload to %s cut short after %d files: %w", redactURL(run.target), sum.Files, context.Cause(parent))
	case sum.Failed > 0:
		return sum, fmt.Errorf("%w: %d of %d failed", ErrBulkFailed, sum.Failed, sum.Files)
	}
	return sum, nil
}

// add counts r in s.
func (s *BulkSummary) add(r FileResult) {
	s.Files++
	switch {
	case r.Skipped:
		s.Skipped++
	case r.Err != nil:
		s.Failed++
	default:
		s.Uploaded++
		s.Bytes += r.Sent
	}
}

// bulkRun is the state shared by the workers of one UploadAll.
type bulkRun struct {
	client      *Client
	target      *url.URL
	put         bool
	concurrency int
	retry       Schedule // defaults applied
	opts        UploadOptions
	onProgress  func(string, Progress)
	keyed       bool // target accepts idempotency keys
	journal     *journal.Journal
	colls       collections

	mu       sync.Mutex
	closeErr error
	closed   bool
}

// newBulkRun checks the options and prepares the run: the journal (opened,
// and locked, before anything is sent), and for POST the target's discovery.
func (c *Client) newBulkRun(ctx context.Context, target string, o *BulkOptions) (*bulkRun, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("level3: UploadAll: target %q is not an http(s) URL", target)
	}
	up := o.UploadOptions
	switch {
	case o.Concurrency < 0:
		return nil, errors.New("level3: UploadAll: BulkOptions.Concurrency is negative")
	case up.Slug != "" || up.Length != 0 || !up.IfVersion.IsZero() || up.IdempotencyKey != "" || up.Progress != nil:
		return nil, errors.New("level3: UploadAll: BulkOptions must not set Slug, Length, IfVersion, IdempotencyKey or Progress (they are per file)")
	}
	if err := o.Retry.validate("BulkOptions.Retry"); err != nil {
		return nil, err
	}
	if err := checkUploadOptions(&up); err != nil {
		return nil, err
	}
	if err := up.RequestOptions.setHeaders(make(http.Header)); err != nil {
		return nil, err // refused before the journal is touched
	}
	// The run retries whole files itself (one): each request is sent once.
	up.NoRetry = true
	run := &bulkRun{
		client:      c,
		target:      u,
		put:         o.Put,
		concurrency: o.Concurrency,
		retry:       o.Retry.or(bulkRetry),
		opts:        up,
		onProgress:  o.OnProgress,
	}
	if run.concurrency == 0 {
		run.concurrency = bulkConcurrency
	}
	if o.Journal != "" {
		// First, so that a run refused the journal sends nothing.
		if run.journal, err = journal.Open(o.Journal); err != nil {
			return nil, err
		}
	}
	if o.Put {
		if !hasTrailingSlash(u) {
			u.Path += "/"
			if u.RawPath != "" {
				u.RawPath += "/"
			}
		}
	} else if res, err := c.Discover(ctx, target); err == nil {
		// A target that cannot be discovered is uploaded to all the same,
		// without what discovery would have told.
		run.keyed = acceptsIdempotencyKey(res.IdempotencyKey)
		if run.opts.Preflight == PreflightAuto && res.Has(profiles.Preflight) {
			run.opts.Preflight = PreflightAlways
		}
	}
	return run, nil
}

// close closes the journal once and returns its error.
func (r *bulkRun) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		if r.journal != nil {
			r.closeErr = r.journal.Close()
		}
	}
	return r.closeErr
}

// bulkJob is one file found by the walk, or an error found on the way.
type bulkJob struct {
	path string      // on disk
	name string      // relative, slash-separated
	info fs.FileInfo // of the file (symbolic links followed); nil with err
	err  error
	key  string // idempotency key for a keyed POST; empty: a fresh one (bulk_hook.go sets it)
}

// walkAll sends a job for every file under paths, in order, until ctx ends.
func walkAll(ctx context.Context, paths []string, jobs chan<- bulkJob) {
	send := func(j bulkJob) bool {
		select {
		case jobs <- j:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			if !send(bulkJob{path: root, name: filepath.ToSlash(filepath.Base(root)), err: err}) {
				return
			}
			continue
		}
		if !info.IsDir() {
			if !send(bulkJob{path: root, name: filepath.Base(root), info: info}) {
				return
			}
			continue
		}
		stop := errors.New("stop")
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if d != nil && d.IsDir() && err == nil {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			j := bulkJob{path: p, name: filepath.ToSlash(rel), err: err}
			if err == nil {
				j.info, j.err = os.Stat(p) // follows symbolic links
				if j.err == nil && j.info.IsDir() {
					return nil // a link to a directory is not walked into
				}
			}
			if !send(j) {
				return stop
			}
			return nil
		})
		if errors.Is(err, stop) {
			return
		}
	}
}

// one uploads one file, with its retries, and records it in the journal.
func (r *bulkRun) one(ctx context.Context, job bulkJob) FileResult {
	res := FileResult{File: job.path, Name: job.name}
	method := http.MethodPost
	if r.put {
		method = http.MethodPut
		res.URL = putURL(r.target, job.name)
	} else {
		u := *r.target
		res.URL = &u
	}
	switch {
	case job.err != nil:
		res.Err = fmt.Errorf("level3: %w", job.err)
		return res
	case !job.info.Mode().IsRegular():
		res.Err = localfile.NotRegular("upload", job.path, job.info.Mode())
		return res
	}
	var key journal.Key
	if r.journal != nil {
		abs, err := filepath.Abs(job.path)
		if err != nil {
			res.Err = fmt.Errorf("level3: %w", err)
			return res
		}
		key = journal.KeyOf(r.target, abs, job.info)
		if r.journal.Has(key) {
			res.Skipped = true
			return res
		}
	}

	o := r.opts
	if !r.put {
		o.Slug = job.name
		if r.keyed {
			o.IdempotencyKey = job.key // the same for every attempt of this file
			if o.IdempotencyKey == "" {
				o.IdempotencyKey = NewIdempotencyKey()
			}
		}
	}
	if r.onProgress != nil {
		o.Progress = func(p Progress) { r.onProgress(job.name, p) }
	}
	target := res.URL
	var bo backoff.BackOff // made at the first retry
	madeCollections := false
	for retries := 0; ; {
		res.Attempts++
		// Looked up again right before the open, not trusted from the walk,
		// which may be many files (minutes) ahead: a file swapped for a device
		// meanwhile must not be opened.
		up, sent, err := r.client.uploadFile(ctx, method, target.String(), job.path, &o)
		var conflict *ConflictError
		if r.put && !madeCollections && errors.As(err, &conflict) {
			// A WebDAV server that does not create parents (Apache, RFC
			// 4918 §9.7.1) answers 409: make them, then send again.
			madeCollections = true
			if err = r.colls.make(ctx, r.client, r.target, job.name); err == nil {
				continue
			}
		}
		if err == nil {
			res.Result = *up
			res.Err = nil
			break
		}
		res.Result = Result{URL: target, Sent: sent}
		res.Err = err
		var re *ResponseError
		retryAfter := ""
		if errors.As(err, &re) {
			res.Status, res.Header = re.StatusCode, re.Header
			retryAfter = re.Header.Get("Retry-After")
		}
		if !fileRetryable(method, o.IdempotencyKey != "", job.info.Size(), sent, err) || retries >= r.retry.Attempts {
			return res
		}
		retries++
		if bo == nil {
			bo = r.retry.backOff()
		}
		wait, _ := r.retry.wait(bo, retryAfter, 0)
		if sleep(ctx, wait) != nil {
			return res
		}
	}
	if r.journal != nil {
		up := journal.Upload{URL: res.URL, Status: res.Status, Location: res.Location, ETag: res.Validators.ETag}
		if err := r.journal.Record(key, up); err != nil {
			res.Err = fmt.Errorf("level3: uploaded, but recording it in the journal failed: %w", err)
		}
	}
	return res
}

// fileRetryable decides whether a file whose upload failed with err may be
// sent again: the failure must be one another try can fix (5xx, 429, a
// connection failure) and the request must be safe to repeat: a PUT, a keyed
// POST (for which 409 means "still processing that key"), or a POST whose
// body (of size bytes, more than none) the server never got a byte of, so it
// cannot have stored anything.
func fileRetryable(method string, keyed bool, size, sent int64, err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrSourceChanged) {
		return false // a file changing while it is sent is reported, not sent again
	}
	safe := method == http.MethodPut || keyed || (size > 0 && sent == 0)
	var re *ResponseError
	if errors.As(err, &re) {
		switch {
		case re.StatusCode == http.StatusConflict:
			return keyed && method == http.MethodPost
		case re.StatusCode == http.StatusTooManyRequests, re.StatusCode >= 500:
			return safe
		}
		return false
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		return false // not a transport failure: a file that cannot be read, say
	}
	return safe && !isPermanent(err)
}
