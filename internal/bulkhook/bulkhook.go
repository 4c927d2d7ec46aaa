// Package bulkhook lets package l3redis run files through the same per-file
// upload as level3's Client.UploadAll (its retry rules, its collections made
// on the way, its SourceChangedError), walk directories as UploadAll does,
// and wait on a level3.Schedule, without level3 exporting any of it.
//
// Package level3 sets the variables below when it is initialised, which
// happens before any package importing level3 runs: a caller that imports
// level3 finds them set. The values that cross this package are level3's own
// types, passed as any because this package cannot import level3 (level3
// imports it); each side converts them in one place (level3's bulk_hook.go,
// l3redis's queue_upload.go).
package bulkhook

import (
	"context"
	"time"
)

// File is one file to upload.
type File struct {
	Path string // on disk
	Name string // relative, with slashes: the slug of a POST, or the path below a PUT target
	Key  string // the idempotency key of a POST to a target that takes keys; empty: a fresh one
}

// Uploader uploads files to one target, one call per file, as
// Client.UploadAll uploads each of its files (without a journal). It is
// safe for concurrent use.
type Uploader interface {
	// Upload sends f, with the retries the run's options allow, and
	// returns its level3.FileResult.
	Upload(ctx context.Context, f File) any
	// Close releases what the Uploader holds.
	Close() error
}

var (
	// NewUploader prepares uploads to target: client is a *level3.Client,
	// opts a *level3.BulkOptions (whose Journal must be empty), checked
	// and completed (discovery of a POST target) as UploadAll does.
	NewUploader func(ctx context.Context, client any, target string, opts any) (Uploader, error)

	// Walk calls fn with each file under paths, in the order and with the
	// names UploadAll gives them (err is the problem found on the way, such
	// as a path that does not exist; the file is then still reported). It
	// stops when fn returns false or ctx ends.
	Walk func(ctx context.Context, paths []string, fn func(path, name string, err error) bool)

	// Waits returns the successive waits of schedule (a level3.Schedule)
	// whose zero fields are taken from def (another one), and how many
	// attempts it allows; it fails, naming the schedule as what, when
	// schedule cannot work.
	Waits func(schedule, def any, what string) (next func() time.Duration, attempts int, err error)

	// Sleep is level3's one context-aware wait: d, or less when ctx ends
	// first; it returns ctx.Err().
	Sleep func(ctx context.Context, d time.Duration) error
)
