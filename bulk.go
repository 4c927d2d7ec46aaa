// This file holds bulk uploads: Client.UploadAll sends many files (listed, or
// found by walking directories) to one target with bounded concurrency,
// retrying each file where that is safe (fileRetryable) on a backoff schedule
// from cenkalti/backoff/v4. The journal that lets an interrupted run continue
// is in journal.go; PUT targets (WebDAV) are handled in bulkput.go; one file
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
	"github.com/l3go/level3/profiles"
)

// DefaultBulkConcurrency is how many files [Client.UploadAll] sends at once
// by default.
const DefaultBulkConcurrency = 4

// DefaultBulkRetries is how many times [Client.UploadAll] sends a failed file
// again by default, where that is safe.
const DefaultBulkRetries = 3

// ErrBulkFailed is returned (wrapped) by [Client.UploadAll] when at least one
// file failed; each file's own error is in its [FileResult].
var ErrBulkFailed = errors.New("level3: some files were not uploaded")

// BulkOptions configure [Client.UploadAll]. A nil *BulkOptions means all
// defaults.
type BulkOptions struct {
	// Concurrency is how many files are in flight at once; 0 means
	// DefaultBulkConcurrency.
	Concurrency int
	// Retries is how many times a failed file is sent again, when that is
	// safe (see [Client.UploadAll]); 0 means DefaultBulkRetries, a negative
	// number never.
	Retries int
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
	// Upload holds the options of every file's upload. Slug, Length, IfMatch,
	// IfUnmodifiedSince, IdempotencyKey and Progress must be left empty: they
	// are per file (see OnProgress).
	Upload UploadOptions
	// OnResult, when not nil, is called once per file, as each finishes,
	// one call at a time.
	OnResult func(FileResult)
	// OnProgress, when not nil, is called as files go out, with the file's
	// Name; see [UploadOptions.Progress]. Calls for different files may
	// come at the same time.
	OnProgress func(name string, p Progress)
}

// FileResult is what happened to one file of [Client.UploadAll].
type FileResult struct {
	File     string // path of the file on disk
	Name     string // path relative to the argument it was found under, with slashes: the slug, or the path below the target with Put
	URL      string // where it was sent
	Status   int    // final status; 0 when there was no answer
	Location string // absolute URL of the resource holding the bytes
	ETag     string // new entity tag, when the server sent one
	Bytes    int64  // body bytes sent by the last attempt (not counted, so 0, when a PUT or keyed POST fails)
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
// their number). A failed file is sent again, after a backoff
// (cenkalti/backoff/v4, honouring Retry-After within the Client's
// RetryPolicy Schedule's Max), only where that is safe: the failure was a 5xx, a
// 429 or a connection failure, and the request was a PUT, a POST with an
// idempotency key (then a 409 "key still being processed" too), or a POST
// whose body the server never got a byte of. These file-level retries replace
// the Client's own request-level ones, so a file is sent at most
// opts.Retries+1 times.
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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan bulkJob, run.concurrency)
	results := make(chan FileResult, run.concurrency)
	go func() {
		defer close(jobs)
		walkAll(ctx, paths, jobs)
	}()
	var wg sync.WaitGroup
	for range run.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				if ctx.Err() != nil {
					continue // cut short: files not started are not reported
				}
				results <- run.one(ctx, job)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	var sum BulkSummary
	for r := range results {
		sum.Files++
		switch {
		case r.Skipped:
			sum.Skipped++
		case r.Err != nil:
			sum.Failed++
		default:
			sum.Uploaded++
			sum.Bytes += r.Bytes
		}
		if o.OnResult != nil {
			o.OnResult(r)
		}
	}
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

// bulkRun is the state shared by the workers of one UploadAll.
type bulkRun struct {
	client      *Client // the caller's, without request-level retries
	target      *url.URL
	put         bool
	concurrency int
	retries     int
	opts        UploadOptions
	onProgress  func(string, Progress)
	keyed       bool // target accepts idempotency keys
	journal     *journal
	colls       collections
	minWait     time.Duration
	maxWait     time.Duration

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
	up := o.Upload
	switch {
	case o.Concurrency < 0:
		return nil, errors.New("level3: UploadAll: Concurrency is negative")
	case up.Slug != "" || up.Length != 0 || up.IfMatch != "" || !up.IfUnmodifiedSince.IsZero() || up.IdempotencyKey != "" || up.Progress != nil:
		return nil, errors.New("level3: UploadAll: BulkOptions.Upload must not set Slug, Length, IfMatch, IfUnmodifiedSince, IdempotencyKey or Progress (they are per file)")
	}
	if err := checkUploadOptions(&up); err != nil {
		return nil, err
	}
	run := &bulkRun{
		client:      c.withoutRetries(),
		target:      u,
		put:         o.Put,
		concurrency: o.Concurrency,
		retries:     o.Retries,
		opts:        up,
		onProgress:  o.OnProgress,
		minWait:     c.retry.schedule().Initial,
		maxWait:     c.retry.schedule().Max,
	}
	if run.concurrency == 0 {
		run.concurrency = DefaultBulkConcurrency
	}
	switch {
	case run.retries == 0:
		run.retries = DefaultBulkRetries
	case run.retries < 0:
		run.retries = 0
	}
	if run.minWait <= 0 {
		run.minWait = defaultRetrySchedule.Initial
	}
	if run.maxWait < run.minWait {
		run.maxWait = max(defaultRetrySchedule.Max, run.minWait)
	}
	if o.Journal != "" {
		// First, so that a run refused the journal sends nothing.
		if run.journal, err = openJournal(o.Journal); err != nil {
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

// withoutRetries returns a Client like c (same transport, headers, layers
// and preflight memory) whose pipeline does not retry: UploadAll retries
// whole files itself.
func (c *Client) withoutRetries() *Client {
	d := *c
	d.retry = RetryPolicy{Schedule: Schedule{Attempts: -1}}
	d.pipeline = d.buildPipeline()
	return &d
}

// close closes the journal once and returns its error.
func (r *bulkRun) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		if r.journal != nil {
			r.closeErr = r.journal.close()
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
	res := FileResult{File: job.path, Name: job.name, URL: r.target.String()}
	method := http.MethodPost
	if r.put {
		method = http.MethodPut
		res.URL = putURL(r.target, job.name).String()
	}
	switch {
	case job.err != nil:
		res.Err = fmt.Errorf("level3: %w", job.err)
		return res
	case !job.info.Mode().IsRegular():
		res.Err = notRegular("upload", job.path, job.info.Mode())
		return res
	}
	var key journalKey
	if r.journal != nil {
		abs, err := filepath.Abs(job.path)
		if err != nil {
			res.Err = fmt.Errorf("level3: %w", err)
			return res
		}
		key = newJournalKey(r.target, abs, job.info)
		if r.journal.has(key) {
			res.Skipped = true
			return res
		}
	}

	o := r.opts
	if !r.put {
		o.Slug = job.name
		if r.keyed {
			o.IdempotencyKey = NewIdempotencyKey() // the same for every attempt of this file
		}
	}
	if r.onProgress != nil {
		o.Progress = func(p Progress) { r.onProgress(job.name, p) }
	}
	schedule := backoff.WithContext(backoff.WithMaxRetries(backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(r.minWait), backoff.WithMaxInterval(r.maxWait), backoff.WithMaxElapsedTime(0),
	), uint64(r.retries)), ctx)
	madeCollections := false
	for {
		res.Attempts++
		up, sent, err := r.client.uploadFile(ctx, method, res.URL, job.path, &o)
		res.Bytes = sent
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
			res.Status, res.ETag = up.Status, up.ETag
			if up.Location != nil {
				res.Location = up.Location.String()
			}
			break
		}
		res.Err = err
		var re *ResponseError
		if errors.As(err, &re) {
			res.Status = re.StatusCode
		}
		if !fileRetryable(method, o.IdempotencyKey != "", job.info.Size(), sent, err) {
			return res
		}
		wait := schedule.NextBackOff()
		if wait == backoff.Stop {
			return res
		}
		if re != nil && re.RetryAfter > wait {
			wait = min(re.RetryAfter, r.maxWait)
		}
		if !sleepOrDone(ctx, wait) {
			return res
		}
		res.Err = nil
	}
	if r.journal != nil {
		if err := r.journal.record(key, res); err != nil {
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
