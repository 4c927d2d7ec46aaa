// This file connects package l3redis's distributed bulk runs to the
// machinery of UploadAll (bulk.go) through internal/bulkhook: the per-file
// upload (bulkRun.one, without a journal), the directory walk (walkAll) and
// the waits of a Schedule, so that a file sent by a worker of a run is sent
// exactly as UploadAll sends it.

package level3

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/l3go/level3/internal/bulkhook"
)

func init() {
	bulkhook.NewUploader = newHookUploader
	bulkhook.Walk = hookWalk
	bulkhook.Waits = hookWaits
	bulkhook.Sleep = sleep
}

// hookUploader is the bulkhook.Uploader of one prepared bulkRun.
type hookUploader struct{ run *bulkRun }

// newHookUploader prepares a bulkRun as UploadAll does: client must be a
// *Client, opts a *BulkOptions without a journal.
func newHookUploader(ctx context.Context, client any, target string, opts any) (bulkhook.Uploader, error) {
	c, _ := client.(*Client)
	if err := c.check(ctx, "l3redis.Run.Work"); err != nil {
		return nil, err
	}
	var o BulkOptions
	if p, _ := opts.(*BulkOptions); p != nil {
		o = *p
	}
	if o.Journal != "" {
		return nil, errors.New("level3: a distributed run keeps no journal: its results are the run's")
	}
	run, err := c.newBulkRun(ctx, target, &o)
	if err != nil {
		return nil, err
	}
	return &hookUploader{run: run}, nil
}

// Upload sends one file as UploadAll sends each of its files: looked at
// (os.Stat, following symbolic links) when its turn comes, then uploaded
// with the run's retries, with f.Key as its idempotency key.
func (u *hookUploader) Upload(ctx context.Context, f bulkhook.File) any {
	job := bulkJob{path: f.Path, name: f.Name, key: f.Key}
	job.info, job.err = os.Stat(f.Path)
	return u.run.one(ctx, job)
}

func (u *hookUploader) Close() error { return u.run.close() }

// hookWalk reports the files under paths as walkAll finds them.
func hookWalk(ctx context.Context, paths []string, fn func(path, name string, err error) bool) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan bulkJob)
	go func() {
		defer close(jobs)
		walkAll(ctx, paths, jobs)
	}()
	for j := range jobs {
		if ctx.Err() != nil {
			continue // draining after a stop
		}
		if !fn(j.path, j.name, j.err) {
			cancel()
		}
	}
}

// hookWaits returns the waits of schedule with def's defaults.
func hookWaits(schedule, def any, what string) (func() time.Duration, int, error) {
	s, _ := schedule.(Schedule)
	d, _ := def.(Schedule)
	if err := s.validate(what); err != nil {
		return nil, 0, err
	}
	s = s.or(d)
	b := s.backOff()
	return func() time.Duration {
		w, _ := s.wait(b, "", 0)
		return w
	}, s.Attempts, nil
}
