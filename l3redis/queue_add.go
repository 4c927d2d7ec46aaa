// This file holds Run.Add: files and directory trees walked as
// Client.UploadAll walks them, added to the run in batches, each file once.

package l3redis

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/l3go/level3/internal/bulkhook"
)

// addBatch is how many files one call of the add script takes.
const addBatch = 256

// AddSummary counts what [Run.Add] found and added.
type AddSummary struct {
	Found int // files found under the paths given
	Added int // of them, files the run did not have yet
}

// Add adds the files at paths to the run: regular files as they are,
// directories walked recursively, in the order and with the names
// [level3.Client.UploadAll] gives them (the name, relative to the argument
// it was found under, is the slug of a POST or the path below a PUT
// target). A file is known by its absolute path: adding it again, from
// this process or another, adds nothing. Every worker opens the file by that
// path, so on several machines the files must be at the same path on each
// (a shared filesystem mounted at the same place).
//
// Something found on the way that cannot be uploaded (a path that does not
// exist, a named pipe) is added all the same and fails when a worker takes
// it, as UploadAll reports it. Adding is idempotent: if Redis fails midway,
// Add returns the error and calling it again adds what is missing. Workers
// already working may finish the items added so far and return before Add
// does.
func (r *Run) Add(ctx context.Context, paths ...string) (AddSummary, error) {
	var sum AddSummary
	if err := r.check(ctx, "Run.Add"); err != nil {
		return sum, err
	}
	keys := []string{r.keys.items, r.keys.counts, r.keys.stream}
	batch := make([]any, 0, 2*addBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := addScript.Run(ctx, r.q.rdb, keys, batch...).Int()
		if err != nil {
			return fmt.Errorf("l3redis: adding to run %s: %w", r.name, err)
		}
		sum.Added += n
		batch = batch[:0]
		return nil
	}
	var err error
	bulkhook.Walk(ctx, paths, func(path, name string, _ error) bool {
		var abs string
		if abs, err = filepath.Abs(path); err != nil {
			err = fmt.Errorf("l3redis: %w", err)
			return false
		}
		sum.Found++
		batch = append(batch, abs, name)
		if len(batch) == cap(batch) {
			err = flush()
		}
		return err == nil
	})
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = flush()
	}
	return sum, err
}
