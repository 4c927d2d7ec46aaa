// This file holds the distributed form of `l3 upload`: a run kept in Redis
// (package l3redis) that any number of l3 processes, on any number of
// machines, drain together.
//
//	l3 upload --queue redis://HOST:PORT/DB --run NAME [--put] [--concurrency N] [--lease DUR] URL FILE_OR_DIR...
//	l3 upload --queue URL --run NAME --worker [--concurrency N] [--lease DUR]
//	l3 upload --queue URL --run NAME --status [--json]
//
// The first adds the files to the run (made with URL and the options given,
// or joined if it exists with the same ones), then works on it; the second
// only works; both exit 0 when every item of the run is done, 1 when any
// failed. The third prints the run's counts as one JSON object.

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/l3go/level3"
	"github.com/l3go/level3/l3redis"
	"github.com/redis/go-redis/v9"
)

// queueFlags are the flags of `l3 upload` that share a run through Redis.
type queueFlags struct {
	url    string
	run    string
	worker bool
	status bool
	lease  time.Duration
}

// register adds the queue flags to fs.
func (q *queueFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&q.url, "queue", "", "keep the upload as run --run in the Redis at `URL` (redis://HOST:PORT/DB), where any number of l3 processes drain it together")
	fs.StringVar(&q.run, "run", "", "the `NAME` of the run in --queue")
	fs.BoolVar(&q.worker, "worker", false, "with --queue: work on an existing run until it is drained (its URL and options come from the run)")
	fs.BoolVar(&q.status, "status", false, `with --queue: print the run's counts, {"total":N,"done":N,"failed":N,"pending":N,"in_flight":N}`)
	fs.DurationVar(&q.lease, "lease", 0, "with --queue: how long an item stays with a worker that stopped renewing it before others take it over (default: the run's, 30s)")
}

// check validates the queue forms of o, whose positional arguments are pos,
// and sets o.url and o.paths for the form that adds files.
func (q *queueFlags) check(o *uploadOptions, pos []string) error {
	mode := "worker"
	if q.status {
		mode = "status"
	}
	switch {
	case q.url == "" || q.run == "":
		return usagef("upload: --queue and --run go together (and --worker, --status and --lease need both)")
	case q.worker && q.status:
		return usagef("upload: --worker and --status exclude each other")
	case (q.worker || q.status) && len(pos) > 0:
		return usagef("upload: --%s takes no URL or files: they are the run's", mode)
	case !q.worker && !q.status && len(pos) < 2:
		return usagef("upload: want a URL and at least one file or directory, got %d arguments (or --worker, or --status)", len(pos))
	case q.lease < 0 || (q.lease > 0 && q.lease < l3redis.MinLease):
		return usagef("upload: --lease must be at least %v", l3redis.MinLease)
	case o.concurrency < 1:
		return usagef("upload: --concurrency must be at least 1")
	case o.retries < 0:
		return usagef("upload: --retries must not be negative")
	}
	for _, name := range []string{"journal", "slug", "async", "wait", "detach"} {
		if o.given[name] {
			return usagef("upload: --%s does not go with --queue (a run keeps its results in Redis)", name)
		}
	}
	if q.worker || q.status {
		for _, name := range []string{"put", "content-type", "retries", "no-preflight"} {
			if o.given[name] {
				return usagef("upload: --%s is the run's, set when it was made; --%s takes it from there", name, mode)
			}
		}
	} else {
		o.url, o.paths = pos[0], pos[1:]
	}
	return nil
}

// runQueue runs the queue form o asks for, uploading with client and the
// options up.
func runQueue(ctx context.Context, client *level3.Client, rdb *redis.Client, o *uploadOptions, up level3.UploadOptions, s streams) error {
	q := l3redis.NewQueue(rdb)
	var run *l3redis.Run
	var err error
	switch {
	case o.queue.status:
		if run, err = openRun(ctx, q, o.queue.run); err != nil {
			return err
		}
		st, err := run.Status(ctx)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(st)
		fmt.Fprintf(s.out, "%s\n", b)
		return nil
	case o.queue.worker:
		if run, err = openRun(ctx, q, o.queue.run); err != nil {
			return err
		}
	default:
		retries := o.retries
		if retries == 0 {
			retries = -1 // Schedule: negative means none, 0 the default
		}
		run, err = q.Create(ctx, o.queue.run, o.url, &l3redis.RunOptions{
			Put:         o.put,
			ContentType: up.ContentType,
			Preflight:   up.Preflight,
			Retry:       level3.Schedule{Attempts: retries},
			Lease:       o.queue.lease,
		})
		if err != nil {
			return err
		}
		added, err := run.Add(ctx, o.paths...)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.err, "run %s: %d files found, %d new\n", inert(run.Name()), added.Found, added.Added)
	}

	bar := newProgressBar(s.err)
	sum, err := run.Work(ctx, client, &l3redis.WorkOptions{
		Concurrency: o.concurrency,
		Lease:       o.queue.lease,
		OnResult:    resultPrinter(s, o.json, bar),
		OnProgress:  bar.onProgress(),
		Logger:      o.common.workerLogger(s.err),
	})
	bar.clear()
	flushOut(s.out)
	st := sum.Run
	fmt.Fprintf(s.err, "%d uploaded, %d failed here (%d taken over, %d sent again): %s in %s; run %s: %d of %d done, %d failed\n",
		sum.Uploaded, sum.Failed, sum.Reclaimed, sum.Redone, byteSize(sum.Bytes), sum.Elapsed.Round(time.Millisecond),
		inert(run.Name()), st.Done, st.Total, st.Failed)
	if errors.Is(err, level3.ErrBulkFailed) {
		return fmt.Errorf("%d of %d items of run %s failed (see l3 upload --queue URL --run NAME --status)", st.Failed, st.Total, run.Name())
	}
	return err
}

// openRun opens an existing run, with a hint when there is none.
func openRun(ctx context.Context, q *l3redis.Queue, name string) (*l3redis.Run, error) {
	run, err := q.Open(ctx, name)
	if errors.Is(err, l3redis.ErrNoRun) {
		return nil, fmt.Errorf("%w (make it by adding files: l3 upload --queue URL --run %s TARGET FILE_OR_DIR...)", err, name)
	}
	return run, err
}

// workerLogger returns the logger of a worker: its warnings (Redis
// unavailable, items taken over) on errOut; with -v, the command's -v log,
// debug messages included.
func (c *commonFlags) workerLogger(errOut io.Writer) *slog.Logger {
	if c.verbose {
		return c.verboseLogger(errOut)
	}
	return slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
