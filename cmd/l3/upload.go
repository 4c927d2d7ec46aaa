// This file holds `l3 upload URL FILE_OR_DIR...` (POST to an Upload resource,
// or PUT below a collection with --put) and `l3 put URL FILE` (replace a
// Content resource). The progress display is in progress.go; runs shared
// through Redis (--queue, --run, --worker, --status) are upload_queue.go.

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/l3go/level3"
	"github.com/l3go/level3/l3redis"
	"github.com/l3go/level3/polite"
	"github.com/redis/go-redis/v9"
)

// uploadOptions are the parsed arguments of `l3 upload`.
type uploadOptions struct {
	common      commonFlags
	async       asyncFlags
	polite      politeFlags
	url         string
	paths       []string
	concurrency int
	retries     int
	contentType string
	slug        string
	journal     string
	noPreflight bool
	put         bool
	json        bool
	queue       queueFlags      // upload_queue.go
	given       map[string]bool // the flags given on the command line
}

// The flags' defaults are the library's (zero BulkOptions), spelled out
// for the usage text.
const (
	defaultConcurrency = 4
	defaultRetries     = 3
)

// parseUpload parses the arguments of `l3 upload`.
func parseUpload(args []string, s streams) (*uploadOptions, error) {
	o := &uploadOptions{}
	fs := newFlagSet("upload", "URL FILE_OR_DIR... [flags]\n       l3 upload --queue redis://HOST:PORT/DB --run NAME [--put] URL FILE_OR_DIR...\n       l3 upload --queue redis://HOST:PORT/DB --run NAME --worker | --status", s.err)
	o.common.register(fs)
	o.async.register(fs)
	o.polite.register(fs)
	fs.IntVar(&o.concurrency, "concurrency", defaultConcurrency, "files to upload at once")
	fs.IntVar(&o.retries, "retries", defaultRetries, "times to send a failed file again, where safe (0: never)")
	fs.StringVar(&o.contentType, "content-type", "", "content type of every file (default: detected per file)")
	fs.StringVar(&o.slug, "slug", "", "name hint sent as slug (one file only; default: the file's name)")
	fs.StringVar(&o.journal, "journal", "", "record uploads in FILE and skip files it records (to continue a run)")
	fs.BoolVar(&o.noPreflight, "no-preflight", false, "send bodies at once, never with expect: 100-continue")
	fs.BoolVar(&o.put, "put", false, "PUT each file to URL joined with its path (WebDAV, object stores) instead of POSTing it to URL")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per file: file, status, location, etag, bytes, error")
	o.queue.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if err := o.polite.check(); err != nil {
		return nil, err
	}
	o.given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.given[f.Name] = true })
	if o.queue.url != "" || o.queue.run != "" || o.queue.worker || o.queue.status || o.given["lease"] {
		return o, o.queue.check(o, pos)
	}
	if len(pos) < 2 {
		return nil, usagef("upload: want a URL and at least one file or directory, got %d arguments", len(pos))
	}
	o.url, o.paths = pos[0], pos[1:]
	switch {
	case o.concurrency < 1:
		return nil, usagef("upload: --concurrency must be at least 1")
	case o.retries < 0:
		return nil, usagef("upload: --retries must not be negative")
	case o.slug != "" && (len(o.paths) != 1 || o.put):
		return nil, usagef("upload: --slug names a single file; it cannot go with several files or --put")
	}
	return o, nil
}

func uploadCmd(ctx context.Context, args []string, s streams) error {
	o, err := parseUpload(args, s)
	if err != nil {
		return err
	}
	return runUpload(ctx, o, s)
}

// fileJSON is the --json line of one file.
type fileJSON struct {
	File     string `json:"file"`
	Status   int    `json:"status"`
	Location string `json:"location"`
	ETag     string `json:"etag"`
	Bytes    int64  `json:"bytes"`
	Error    string `json:"error"`
	Skipped  bool   `json:"skipped,omitempty"`
}

// runUpload uploads every file of o.paths. It returns an error (exit 1) when
// any file failed.
func runUpload(ctx context.Context, o *uploadOptions, s streams) error {
	ctx, cancel := o.common.context(ctx)
	defer cancel()
	// A distributed run shares its Redis with the polite layer, so that the
	// whole fleet stays within the server's limits together.
	var rdb *redis.Client
	var limits polite.Store
	if o.queue.url != "" {
		var err error
		o.common.logRedis(s.err) // a worker waits out an outage: its failed dials are for -v only
		if rdb, err = l3redis.Dial(ctx, o.queue.url); err != nil {
			return err
		}
		defer rdb.Close()
		limits = l3redis.NewLimits(rdb, "")
	}
	politeOpts, err := o.polite.clientOptions(limits, &o.common, s.err)
	if err != nil {
		return err
	}
	client, err := o.common.client(s.err, politeOpts...)
	if err != nil {
		return err
	}
	up := level3.UploadOptions{ContentType: o.contentType}
	if o.noPreflight {
		up.Preflight = level3.PreflightNever
	}
	if o.async.enabled() {
		return uploadAsync(ctx, client, http.MethodPost, o.url, o.paths, &up, &o.async, s)
	}
	// A line per file: gathered into few writes when stdout is no terminal.
	out, flush := batched(s.out, o.common.verbose)
	defer flush()
	s.out = out
	if o.queue.url != "" {
		return runQueue(ctx, client, rdb, o, up, s)
	}
	bar := newProgressBar(s.err)
	print := resultPrinter(s, o.json, bar)

	if o.slug != "" {
		up.Slug = o.slug
		up.Progress = bar.progressOf(o.paths[0])
		res, err := client.UploadFile(ctx, o.url, o.paths[0], &up)
		return printOne(s, o.json, bar, fileResult(o.paths[0], o.slug, o.url, res, err))
	}

	retries := o.retries
	if retries == 0 {
		retries = -1 // Schedule: negative means none, 0 the default
	}
	sum, err := client.UploadAll(ctx, o.url, o.paths, &level3.BulkOptions{
		UploadOptions: up,
		Concurrency:   o.concurrency,
		Retry:         level3.Schedule{Attempts: retries},
		Put:           o.put,
		Journal:       o.journal,
		OnResult:      print,
		OnProgress:    bar.onProgress(),
	})
	bar.clear()
	flushOut(s.out)
	fmt.Fprintf(s.err, "%d uploaded, %d skipped, %d failed: %s in %s (%s/s)\n",
		sum.Uploaded, sum.Skipped, sum.Failed, byteSize(sum.Bytes), sum.Elapsed.Round(time.Millisecond),
		byteSize(int64(float64(sum.Bytes)/max(sum.Elapsed.Seconds(), 1e-9))))
	if errors.Is(err, level3.ErrBulkFailed) {
		return fmt.Errorf("%d of %d files failed", sum.Failed, sum.Files)
	}
	return err
}

// fileResult returns the FileResult of a single upload of file to target
// (named name), for resultPrinter.
func fileResult(file, name, target string, res *level3.Result, err error) level3.FileResult {
	r := level3.FileResult{File: file, Name: name, Err: err}
	if res != nil {
		r.Result = *res
	}
	if r.URL == nil {
		r.URL, _ = url.Parse(target)
	}
	return r
}

// resultPrinter returns the OnResult of a command: a JSON line or a line of
// text per file on stdout, failures also on stderr in text mode.
func resultPrinter(s streams, asJSON bool, bar *progressBar) func(level3.FileResult) {
	return func(r level3.FileResult) {
		bar.done(r.Name)
		if asJSON {
			line := fileJSON{File: r.File, Status: r.Status, Location: urlText(r.Location), ETag: r.Validators.ETag, Bytes: r.Sent, Skipped: r.Skipped}
			if r.Err != nil {
				line.Error = r.Err.Error()
			}
			b, _ := json.Marshal(line)
			fmt.Fprintf(s.out, "%s\n", inertJSON(b))
			return
		}
		bar.clear()
		switch {
		case r.Skipped:
			fmt.Fprintf(s.out, "skipped  %s (in the journal)\n", inert(r.File))
		case r.Err != nil:
			fmt.Fprintf(s.out, "FAILED   %s: %s\n", inert(r.File), inertLines(message(r.Err)))
		default:
			where := urlText(r.Location)
			if where == "" {
				where = urlText(r.URL)
			}
			etag := ""
			if r.Validators.ETag != "" {
				etag = " etag " + r.Validators.ETag
			}
			fmt.Fprintf(s.out, "%s  %s -> %s (%s%s)\n", statusText(r.Status), inert(r.File), inert(where), byteSize(r.Sent), inert(etag))
		}
	}
}

// urlText returns u as text, "" for nil.
func urlText(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}

// putOptions are the parsed arguments of `l3 put`.
type putOptions struct {
	common      commonFlags
	async       asyncFlags
	url, file   string
	ifMatch     string
	force       bool
	contentType string
	noPreflight bool
	json        bool
}

// parsePut parses the arguments of `l3 put`.
func parsePut(args []string, s streams) (*putOptions, error) {
	o := &putOptions{}
	fs := newFlagSet("put", "URL FILE [--if-match ETAG | --force]", s.err)
	o.common.register(fs)
	o.async.register(fs)
	fs.StringVar(&o.ifMatch, "if-match", "", "replace only if the resource still has this entity tag (else 412)")
	fs.BoolVar(&o.force, "force", false, "replace whatever is there (if-match: *); fails if the resource does not exist")
	fs.StringVar(&o.contentType, "content-type", "", "content type (default: detected)")
	fs.BoolVar(&o.noPreflight, "no-preflight", false, "send the body at once, never with expect: 100-continue")
	fs.BoolVar(&o.json, "json", false, "print a JSON object: file, status, location, etag, bytes, error")
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 2 {
		return nil, usagef("put: want a URL and a file, got %d arguments", len(pos))
	}
	if o.force && o.ifMatch != "" {
		return nil, usagef("put: --force and --if-match exclude each other")
	}
	o.url, o.file = pos[0], pos[1]
	return o, nil
}

func putCmd(ctx context.Context, args []string, s streams) error {
	o, err := parsePut(args, s)
	if err != nil {
		return err
	}
	return runPut(ctx, o, s)
}

// runPut replaces o.url with the bytes of o.file and prints the new
// validators (fetched with HEAD when the server sends none).
func runPut(ctx context.Context, o *putOptions, s streams) error {
	client, err := o.common.client(s.err)
	if err != nil {
		return err
	}
	ctx, cancel := o.common.context(ctx)
	defer cancel()
	bar := newProgressBar(s.err)
	up := &level3.UploadOptions{
		RequestOptions:  level3.RequestOptions{IfVersion: level3.Validators{ETag: o.ifMatch}, Force: o.force},
		ContentType:     o.contentType,
		FetchValidators: true,
		Progress:        bar.progressOf(o.file),
	}
	if o.noPreflight {
		up.Preflight = level3.PreflightNever
	}
	if o.async.enabled() {
		return uploadAsync(ctx, client, http.MethodPut, o.url, []string{o.file}, up, &o.async, s)
	}
	res, err := client.PutFile(ctx, o.url, o.file, up)
	var stale *level3.PreconditionFailedError
	if errors.As(err, &stale) && o.ifMatch != "" {
		err = fmt.Errorf("%w (the resource changed since %s: fetch it again, or use --force to overwrite)", err, o.ifMatch)
	}
	return printOne(s, o.json, bar, fileResult(o.file, "", o.url, res, err))
}

// printOne shows the result of a command that sends one file (put, upload
// --slug) and returns its error, so that a failure is shown once: in text,
// by report on stderr; with --json, in the JSON record only.
func printOne(s streams, asJSON bool, bar *progressBar, r level3.FileResult) error {
	if r.Err == nil || asJSON {
		resultPrinter(s, asJSON, bar)(r)
	}
	bar.clear()
	if r.Err != nil && asJSON {
		return &shownError{err: r.Err}
	}
	return r.Err
}

// byteSize formats n bytes for people: 512 B, 1.5 KiB, 20.0 MiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// statusText returns "201 Created".
func statusText(code int) string { return fmt.Sprintf("%d %s", code, http.StatusText(code)) }

// uploadAsync sends one file with prefer: respond-async (--async, --wait,
// --detach) and follows a 202 to completion as `l3 send --async` does.
// Bulk uploads stay synchronous: a poller per file is not what a directory
// upload wants.
func uploadAsync(ctx context.Context, client *level3.Client, method, url string, paths []string, up *level3.UploadOptions, a *asyncFlags, s streams) error {
	if len(paths) != 1 {
		return usagef("--async sends one file, got %d arguments (a directory upload is synchronous)", len(paths))
	}
	if st, err := os.Stat(paths[0]); err == nil && st.IsDir() {
		return usagef("--async sends one file, and %s is a directory", paths[0])
	}
	req, f, err := level3.NewUploadRequest(ctx, method, url, paths[0], up)
	if err != nil {
		return err
	}
	defer f.Close()
	return a.do(ctx, client, req, s)
}
