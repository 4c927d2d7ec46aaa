// This file holds a worker's recorder: the goroutine that records the
// results of the items the worker sent, many in one script call when
// several ended meanwhile, so that recording costs one round trip to Redis
// per batch rather than per file. queue_work.go sends it what ended.

package l3redis

import (
	"context"
	"fmt"

	"github.com/l3go/level3"
)

// recordBatch bounds how many results one call of the complete script
// records.
const recordBatch = 64

// sent is an item whose upload ended, on its way to be recorded.
type sent struct {
	it claimed
	fr level3.FileResult
}

// recordAll records what comes in, in batches of what has arrived while
// the last batch was recorded, until in is closed. For each item it sends
// one recorded event, with the error that must stop the worker if there is
// one. After such an error it records nothing more (the items stay leased,
// for other workers to take over) and passes the error on for each item.
func (w *worker) recordAll(ctx context.Context, in <-chan sent, events chan<- workEvent) {
	batch := make([]sent, 0, recordBatch)
	var failed error
	for s := range in {
		if failed != nil {
			w.unhold(s.it.id)
			events <- workEvent{kind: recorded, err: failed}
			continue
		}
		batch = append(batch[:0], s)
	more:
		for len(batch) < recordBatch {
			select {
			case s, ok := <-in:
				if !ok {
					break more
				}
				batch = append(batch, s)
			default:
				break more
			}
		}
		failed = w.record(ctx, batch)
		for range batch {
			events <- workEvent{kind: recorded, err: failed}
		}
	}
}

// record records the results of batch in one step (waiting out an
// unavailable Redis, and still trying for a while once ctx ended, since the
// uploads happened), then counts them and calls OnResult for those recorded
// now. It returns an error only when the worker must stop.
func (w *worker) record(ctx context.Context, batch []sent) error {
	args := make([]any, 0, 1+4*len(batch))
	args = append(args, group)
	for _, s := range batch {
		state := "d"
		if s.fr.Err != nil {
			state = "f"
		}
		data, err := jsonString(resultOf(s.it.name, s.fr))
		if err != nil {
			return err
		}
		args = append(args, s.it.path, state, data, s.it.id)
	}
	keys := []string{w.run.keys.items, w.run.keys.counts, w.run.keys.stream}
	var ns []int64
	rctx, cancel := afterCancel(ctx)
	err := w.redis.do(rctx, "recording results", func(ctx context.Context) (err error) {
		ns, err = completeScript.Run(ctx, w.run.q.rdb, keys, args...).Int64Slice()
		return err
	})
	cancel()
	for _, s := range batch {
		w.unhold(s.it.id)
	}
	if err != nil {
		return fmt.Errorf("l3redis: %d items were sent but could not be recorded (other workers will send them again): %w", len(batch), err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, s := range batch {
		switch {
		case i >= len(ns) || ns[i] < 0:
			return fmt.Errorf("%w: %s no longer has %s", ErrNoRun, w.run.name, s.it.path)
		case ns[i] == 0:
			w.sum.Redone++
			continue
		case s.fr.Err != nil:
			w.sum.Failed++
		default:
			w.sum.Uploaded++
			w.sum.Bytes += s.fr.Sent
		}
		if w.onResult != nil {
			w.onResult(s.fr)
		}
	}
	return nil
}
