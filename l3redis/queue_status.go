// This file holds what can be asked of a run while it is worked on and
// after: its counts (Run.Status) and each item's state and result (Run.Item,
// Run.Items), and the encoding of a result in the items hash.

package l3redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"path/filepath"

	"github.com/redis/go-redis/v9"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/redact"
)

// Status counts the items of a run. Its JSON form is what
// `l3 upload --status` prints.
type Status struct {
	Total    int64 `json:"total"`     // items added
	Done     int64 `json:"done"`      // uploaded
	Failed   int64 `json:"failed"`    // given up on
	Pending  int64 `json:"pending"`   // waiting for a worker
	InFlight int64 `json:"in_flight"` // leased to a worker (alive or not)
}

// Drained reports whether every item of the run is done or failed.
func (s Status) Drained() bool { return s.Done+s.Failed >= s.Total }

// Status returns the run's counts, read in one step.
func (r *Run) Status(ctx context.Context) (Status, error) {
	if err := r.check(ctx, "Run.Status"); err != nil {
		return Status{}, err
	}
	return r.status(ctx)
}

// status is Status without the checks.
func (r *Run) status(ctx context.Context) (Status, error) {
	v, err := statusScript.Run(ctx, r.q.rdb, []string{r.keys.counts, r.keys.stream}, group).Int64Slice()
	if err != nil {
		if redis.HasErrorPrefix(err, "NOGROUP") {
			return Status{}, fmt.Errorf("%w: %s is gone from Redis", ErrNoRun, r.name)
		}
		return Status{}, fmt.Errorf("l3redis: status of run %s: %w", r.name, err)
	}
	s := Status{Total: v[0], Done: v[1], Failed: v[2], InFlight: v[3]}
	s.Pending = max(s.Total-s.Done-s.Failed-s.InFlight, 0)
	return s, nil
}

// ItemState is where an item of a run stands.
type ItemState string

// The states of an item.
const (
	ItemPending ItemState = "pending" // waiting for a worker, or being sent
	ItemDone    ItemState = "done"    // uploaded
	ItemFailed  ItemState = "failed"  // given up on
)

// Item is one file of a run: its state and, once done or failed, the
// result of its upload, as the worker that finished it recorded it.
type Item struct {
	Path     string    `json:"file"`               // absolute path on disk
	Name     string    `json:"name"`               // the slug, or the path below a PUT target
	State    ItemState `json:"state"`              // pending, done or failed
	Status   int       `json:"status,omitempty"`   // HTTP status of the last attempt; 0 without an answer
	Location string    `json:"location,omitempty"` // where the bytes are (credentials hidden)
	ETag     string    `json:"etag,omitempty"`     // the entity tag of the upload's answer
	Error    string    `json:"error,omitempty"`    // why it failed
	Attempts int       `json:"attempts,omitempty"` // times the finishing worker sent it
	Bytes    int64     `json:"bytes,omitempty"`    // body bytes sent
}

// result is the JSON of a finished item in the items hash: short names,
// since a run may hold millions.
type result struct {
	Name     string `json:"n"`
	Status   int    `json:"s,omitempty"`
	Location string `json:"l,omitempty"`
	ETag     string `json:"e,omitempty"`
	Error    string `json:"x,omitempty"`
	Attempts int    `json:"a,omitempty"`
	Bytes    int64  `json:"b,omitempty"`
}

// resultOf is what is stored of a FileResult: its location with
// credentials hidden (a presigned URL must not reach Redis).
func resultOf(name string, fr level3.FileResult) result {
	r := result{Name: name, Status: fr.Status, ETag: fr.Validators.ETag, Attempts: fr.Attempts, Bytes: fr.Sent}
	if fr.Location != nil {
		r.Location = redact.URL(fr.Location)
	}
	if fr.Err != nil {
		r.Error = fr.Err.Error()
	}
	return r
}

// decodeItem reads the items hash's value v for path.
func decodeItem(path, v string) (Item, error) {
	it := Item{Path: path}
	if v == "" {
		return it, fmt.Errorf("l3redis: item %s: empty state", path)
	}
	switch v[0] {
	case 'q':
		it.State, it.Name = ItemPending, v[1:]
		return it, nil
	case 'd':
		it.State = ItemDone
	case 'f':
		it.State = ItemFailed
	default:
		return it, fmt.Errorf("l3redis: item %s: unknown state %q", path, v[:1])
	}
	var r result
	if err := json.Unmarshal([]byte(v[1:]), &r); err != nil {
		return it, fmt.Errorf("l3redis: item %s: %w", path, err)
	}
	it.Name, it.Status, it.Location, it.ETag, it.Error, it.Attempts, it.Bytes = r.Name, r.Status, r.Location, r.ETag, r.Error, r.Attempts, r.Bytes
	return it, nil
}

// ErrNoItem is returned (wrapped) by [Run.Item] for a file the run does not
// have.
var ErrNoItem = errors.New("l3redis: no such item")

// Item returns the state and result of the file at path (made absolute as
// [Run.Add] does).
func (r *Run) Item(ctx context.Context, path string) (Item, error) {
	if err := r.check(ctx, "Run.Item"); err != nil {
		return Item{}, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Item{}, fmt.Errorf("l3redis: %w", err)
	}
	v, err := r.q.rdb.HGet(ctx, r.keys.items, abs).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return Item{}, fmt.Errorf("%w: %s in run %s", ErrNoItem, abs, r.name)
	case err != nil:
		return Item{}, fmt.Errorf("l3redis: item of run %s: %w", r.name, err)
	}
	return decodeItem(abs, v)
}

// itemsPage is how many items Items asks Redis for at a time.
const itemsPage = 500

// Items yields every item of the run, in no particular order, reading them
// from Redis a page at a time (HSCAN): an item added or finished meanwhile
// may or may not be seen, but none present throughout is missed. It stops
// at the first error, which it yields.
func (r *Run) Items(ctx context.Context) iter.Seq2[Item, error] {
	return func(yield func(Item, error) bool) {
		if err := r.check(ctx, "Run.Items"); err != nil {
			yield(Item{}, err)
			return
		}
		var cursor uint64
		for {
			kv, next, err := r.q.rdb.HScan(ctx, r.keys.items, cursor, "", itemsPage).Result()
			if err != nil {
				yield(Item{}, fmt.Errorf("l3redis: items of run %s: %w", r.name, err))
				return
			}
			for i := 0; i+1 < len(kv); i += 2 {
				it, err := decodeItem(kv[i], kv[i+1])
				if !yield(it, err) || err != nil {
					return
				}
			}
			if cursor = next; cursor == 0 {
				return
			}
		}
	}
}

// itemKey is the idempotency key of the item at path, the same for every
// worker that sends it: a UUID (version 5, RFC 9562 §5.5) of the run's
// random id and the path, so that a run made again under the same name gets
// new keys.
func (r *Run) itemKey(path string) string {
	return uuid5(r.meta.ID + "\x00" + path)
}
