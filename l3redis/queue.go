// This file holds Queue and Run, the distributed bulk uploads kept in Redis:
// creating a run (its target and options stored with it) or opening one,
// its key layout, and deleting it. Adding files is in queue_add.go, working
// on a run in queue_work.go, its progress and results in queue_status.go,
// the Lua scripts that change a run atomically in queue_scripts.go, and
// waiting out an unavailable Redis in queue_redis.go.

package l3redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/bulkhook"
	"github.com/l3go/level3/internal/redact"
)

// ErrNoRun is returned (wrapped) by [Queue.Open] for a run that does not
// exist, and by a worker that finds its run gone from Redis (deleted, or
// lost by a Redis restarted without persistence).
var ErrNoRun = errors.New("l3redis: no such run")

// Defaults of a run.
const (
	// DefaultLease is how long a worker holds an item it claimed before
	// others may reclaim it, when [RunOptions].Lease is zero. A live worker
	// renews the leases of the items it is sending every third of it, so
	// a lease bounds how long a dead worker's items wait, not how long an
	// upload may take.
	DefaultLease = 30 * time.Second
	// MinLease is the shortest lease a run or a worker accepts.
	MinLease = 100 * time.Millisecond
	// maxRunName bounds the length of a run's name.
	maxRunName = 200
	// group is the name of the consumer group of every run's stream.
	group = "workers"
)

// Queue holds distributed bulk upload runs in one Redis database (or Redis
// Cluster). Each run is a work list that any number of processes, on any
// number of machines, drain together: see [Run]. A Queue is safe for
// concurrent use; it does not own the Redis client.
type Queue struct {
	rdb redis.UniversalClient
}

// NewQueue returns the Queue of runs kept through rdb: a *redis.Client
// (from [Dial]), a *redis.ClusterClient, or any redis.UniversalClient.
func NewQueue(rdb redis.UniversalClient) *Queue { return &Queue{rdb: rdb} }

// RunOptions are what a run does with each file, stored with the run when
// [Queue.Create] makes it, so that a worker needs only the run's name. The
// zero value of each field means the default of [level3.BulkOptions].
//
// Nothing that may carry a credential is stored: headers (authorization,
// cookies) are the Client's own, given to each worker by whoever starts it.
type RunOptions struct {
	// Put sends each file by PUT below the target, as
	// [level3.BulkOptions].Put; otherwise each is POSTed to the target.
	Put bool `json:"put,omitempty"`
	// ContentType, Preflight and FetchValidators are those of
	// [level3.UploadOptions], for every file.
	ContentType     string               `json:"content_type,omitempty"`
	Preflight       level3.PreflightMode `json:"preflight,omitempty"`
	FetchValidators bool                 `json:"fetch_validators,omitempty"`
	// Retry is [level3.BulkOptions].Retry: how often a failed file is sent
	// again, where that is safe, by the worker that holds it.
	Retry level3.Schedule `json:"retry"`
	// Lease is how long a worker holds a claimed item without renewing it
	// before another worker may take it over; 0 means [DefaultLease]. A
	// worker may use another lease ([WorkOptions].Lease).
	Lease time.Duration `json:"lease"`
}

// runMeta is what Redis keeps of a run's definition (the meta key): an
// explicit kind and version, the run's random id (from which idempotency
// keys are derived), its target and options.
type runMeta struct {
	Kind    string    `json:"kind"`
	Version int       `json:"version"`
	ID      string    `json:"id"`
	Target  string    `json:"target"`
	Created time.Time `json:"created"`
	RunOptions
}

const (
	metaKind    = "l3-bulk-run"
	metaVersion = 1
)

// Run is one distributed bulk upload: a work list of files (each added once,
// however often it is added), the leases of the workers sending them, and a
// result per file, all kept in Redis under the run's name. Get one from
// [Queue.Create] or [Queue.Open]; it is safe for concurrent use.
//
// All keys of a run share one Redis Cluster hash tag, {run:NAME}, so they
// live on one shard and change together in Lua scripts: l3:{run:NAME}:meta
// (target and options), :items (a hash from each file's absolute path to
// its state and result), :counts (total, done, failed) and :stream (the
// work list: a stream whose consumer group "workers" holds the leases).
type Run struct {
	q    *Queue
	name string
	meta runMeta
	keys runKeys
}

// runKeys are the Redis keys of one run.
type runKeys struct {
	meta, items, counts, stream string
}

// runKeysOf returns the keys of the run called name.
func runKeysOf(name string) runKeys {
	base := "l3:{run:" + name + "}:"
	return runKeys{meta: base + "meta", items: base + "items", counts: base + "counts", stream: base + "stream"}
}

// checkName refuses a run name that is empty, too long, or holds anything
// but printable ASCII other than space and braces (which would break the
// hash tag).
func checkName(name string) error {
	if name == "" || len(name) > maxRunName {
		return fmt.Errorf("l3redis: a run's name must have 1 to %d characters", maxRunName)
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || c == '{' || c == '}' {
			return fmt.Errorf("l3redis: run name %q: only printable ASCII without spaces or braces", name)
		}
	}
	return nil
}

// check reports a call on a Queue that can never work.
func (q *Queue) check(ctx context.Context, op string) error {
	switch {
	case q == nil || q.rdb == nil:
		return misuse(op, "nil Queue or Redis client (make one with NewQueue)")
	case ctx == nil:
		return misuse(op, "nil Context")
	}
	return nil
}

// check reports a call on a Run that can never work.
func (r *Run) check(ctx context.Context, op string) error {
	switch {
	case r == nil || r.q == nil:
		return misuse(op, "nil Run (get one from Queue.Create or Queue.Open)")
	case ctx == nil:
		return misuse(op, "nil Context")
	}
	return nil
}

// misuse returns an error for a call op that can never work, wrapping
// level3.ErrInvalidUse.
func misuse(op, what string) error {
	return fmt.Errorf("l3redis: %s: %s: %w", op, what, level3.ErrInvalidUse)
}

// Create makes the run called name, uploading to target with opts (nil
// means defaults), or joins it if it exists with the same target and
// options (its lease stays the first one's). It fails if a run of that name
// exists with another target or other options.
//
// target is stored in Redis, where every worker reads it: it must be an
// http(s) URL without credentials (no user:password, no signature or token
// in its query). Give credentials to each worker's Client instead
// ([level3.WithHeader]).
func (q *Queue) Create(ctx context.Context, name, target string, opts *RunOptions) (*Run, error) {
	if err := q.check(ctx, "Queue.Create"); err != nil {
		return nil, err
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	var o RunOptions
	if opts != nil {
		o = *opts
	}
	if err := checkTarget(target); err != nil {
		return nil, err
	}
	if _, _, err := bulkhook.Waits(o.Retry, level3.Schedule{}, "RunOptions.Retry"); err != nil {
		return nil, err
	}
	switch {
	case o.Lease == 0:
		o.Lease = DefaultLease
	case o.Lease < MinLease:
		return nil, fmt.Errorf("l3redis: RunOptions.Lease %v is shorter than %v", o.Lease, MinLease)
	}
	var id [16]byte
	_, _ = rand.Read(id[:]) // never fails (crypto/rand, Go 1.24)
	meta := runMeta{Kind: metaKind, Version: metaVersion, ID: hex.EncodeToString(id[:]), Target: target, Created: time.Now().UTC().Truncate(time.Second), RunOptions: o}
	data, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("l3redis: %w", err)
	}
	r := &Run{q: q, name: name, keys: runKeysOf(name)}
	old, err := createScript.Run(ctx, q.rdb, []string{r.keys.meta, r.keys.stream}, data, group).Text()
	switch {
	case errors.Is(err, redis.Nil): // made now
		r.meta = meta
		return r, nil
	case err != nil:
		return nil, fmt.Errorf("l3redis: creating run %s: %w", name, err)
	}
	if r.meta, err = decodeMeta(name, old); err != nil {
		return nil, err
	}
	if r.meta.Target != target {
		return nil, fmt.Errorf("l3redis: run %s exists with another target, %s", name, redact.String(r.meta.Target))
	}
	mine, theirs := o, r.meta.RunOptions
	mine.Lease, theirs.Lease = 0, 0
	if !reflect.DeepEqual(mine, theirs) {
		return nil, fmt.Errorf("l3redis: run %s exists with other options (%+v)", name, theirs)
	}
	return r, nil
}

// Open returns the existing run called name, with the target and options
// it was created with. A run that does not exist fails with an error
// wrapping [ErrNoRun].
func (q *Queue) Open(ctx context.Context, name string) (*Run, error) {
	if err := q.check(ctx, "Queue.Open"); err != nil {
		return nil, err
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	r := &Run{q: q, name: name, keys: runKeysOf(name)}
	data, err := q.rdb.Get(ctx, r.keys.meta).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, fmt.Errorf("%w: %s", ErrNoRun, name)
	case err != nil:
		return nil, fmt.Errorf("l3redis: opening run %s: %w", name, err)
	}
	if r.meta, err = decodeMeta(name, data); err != nil {
		return nil, err
	}
	return r, nil
}

// decodeMeta reads a run's stored definition.
func decodeMeta(name, data string) (runMeta, error) {
	var m runMeta
	if err := json.Unmarshal([]byte(data), &m); err != nil || m.Kind != metaKind {
		return m, fmt.Errorf("l3redis: %s does not hold a bulk run", runKeysOf(name).meta)
	}
	if m.Version != metaVersion {
		return m, fmt.Errorf("l3redis: run %s has version %d; this program reads version %d", name, m.Version, metaVersion)
	}
	return m, nil
}

// checkTarget refuses a target that is not an http(s) URL, or that carries
// credentials, which must not be stored in Redis.
func checkTarget(target string) error {
	u, err := url.Parse(target)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("l3redis: target %q is not an http(s) URL", redact.String(target))
	case redact.Needed(u):
		return fmt.Errorf("l3redis: target %s carries credentials, which a run would store in Redis: give them to each worker's Client (-H) instead", redact.URL(u))
	}
	return nil
}

// Name returns the run's name.
func (r *Run) Name() string {
	if r == nil {
		return ""
	}
	return r.name
}

// Target returns the URL the run uploads to.
func (r *Run) Target() string {
	if r == nil {
		return ""
	}
	return r.meta.Target
}

// Options returns the options the run was created with.
func (r *Run) Options() RunOptions {
	if r == nil {
		return RunOptions{}
	}
	return r.meta.RunOptions
}

// Delete removes the run and its results from Redis (UNLINK: a run of
// millions of items is freed in the background, without stalling Redis).
// Workers still on it stop with an error wrapping [ErrNoRun].
func (r *Run) Delete(ctx context.Context) error {
	if err := r.check(ctx, "Run.Delete"); err != nil {
		return err
	}
	k := r.keys
	if err := r.q.rdb.Unlink(ctx, k.meta, k.items, k.counts, k.stream).Err(); err != nil {
		return fmt.Errorf("l3redis: deleting run %s: %w", r.name, err)
	}
	return nil
}
