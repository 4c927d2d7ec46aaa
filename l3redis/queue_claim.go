// This file holds how a worker claims items (queue_work.go runs the loop):
// new ones with XREADGROUP, those of dead workers with XAUTOCLAIM once their
// lease ran out, and its own whose delivery it never heard of.

package l3redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// reclaim takes over up to n items whose lease ran out (XAUTOCLAIM),
// scanning the pending entries from cursor; it returns the next cursor.
// First it takes back its own orphans: entries leased to this worker that
// it is not sending, because the answer that delivered them was lost with
// a connection (Redis stopped, a network failure), so that they wait for no
// lease. An item this worker is already sending is never started twice.
func (w *worker) reclaim(ctx context.Context, cursor string, n int) ([]claimed, string, error) {
	orphans, err := w.orphans(ctx, n)
	if err != nil || len(orphans) >= n {
		return orphans, cursor, err
	}
	var msgs []redis.XMessage
	next := cursor
	err = w.redis.do(ctx, "reclaiming items", func(ctx context.Context) (err error) {
		msgs, next, err = w.run.q.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: w.run.keys.stream, Group: group, Consumer: w.consumer,
			MinIdle: w.lease, Start: cursor, Count: int64(n - len(orphans)),
		}).Result()
		return err
	})
	if err != nil {
		return nil, cursor, w.gone(err)
	}
	fresh := w.notHeld(w.items(ctx, msgs))
	w.mu.Lock()
	w.sum.Reclaimed += len(fresh)
	w.mu.Unlock()
	if len(fresh) > 0 {
		w.log.Warn("l3redis: took over items whose lease ran out", "items", len(fresh))
	}
	return append(orphans, fresh...), next, nil
}

// orphans returns up to n entries leased to this worker that it is not
// sending. The loop that claims is the only one that adds to held, and an
// entry leaves held only once acknowledged or handed back, so an entry of
// this worker's missing from held was delivered by an answer it never got.
func (w *worker) orphans(ctx context.Context, n int) ([]claimed, error) {
	var pending []redis.XPendingExt
	err := w.redis.do(ctx, "looking for lost items", func(ctx context.Context) (err error) {
		pending, err = w.run.q.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: w.run.keys.stream, Group: group, Consumer: w.consumer,
			Start: "-", End: "+", Count: int64(w.maxHeld() + n),
		}).Result()
		return err
	})
	if err != nil {
		return nil, w.gone(err)
	}
	var ids []string
	w.mu.Lock()
	for _, p := range pending {
		if !w.held[p.ID] && len(ids) < n {
			ids = append(ids, p.ID)
		}
	}
	w.mu.Unlock()
	if len(ids) == 0 {
		return nil, nil
	}
	var msgs []redis.XMessage
	err = w.redis.do(ctx, "taking back lost items", func(ctx context.Context) (err error) {
		msgs, err = w.run.q.rdb.XClaim(ctx, &redis.XClaimArgs{
			Stream: w.run.keys.stream, Group: group, Consumer: w.consumer, Messages: ids,
		}).Result()
		return err
	})
	if err != nil {
		return nil, w.gone(err)
	}
	w.log.Warn("l3redis: took back items whose delivery was lost", "items", len(msgs))
	return w.items(ctx, msgs), nil
}

// notHeld returns the items of items not in flight here.
func (w *worker) notHeld(items []claimed) []claimed {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []claimed
	for _, it := range items {
		if !w.held[it.id] {
			out = append(out, it)
		}
	}
	return out
}

// claim takes up to n new items (XREADGROUP), waiting up to block for some
// (not at all for 0).
func (w *worker) claim(ctx context.Context, n int, block time.Duration) ([]claimed, error) {
	if block <= 0 {
		block = -1 // go-redis: no BLOCK argument
	}
	var streams []redis.XStream
	err := w.redis.do(ctx, "claiming items", func(ctx context.Context) (err error) {
		streams, err = w.run.q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: group, Consumer: w.consumer,
			Streams: []string{w.run.keys.stream, ">"},
			Count:   int64(n), Block: block,
		}).Result()
		if errors.Is(err, redis.Nil) {
			return nil // nothing within block
		}
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil // the loop ends on ctx
		}
		return nil, w.gone(err)
	}
	var items []claimed
	for _, s := range streams {
		items = append(items, w.items(ctx, s.Messages)...)
	}
	return items, nil
}

// gone turns the error of a run whose stream or group disappeared into
// ErrNoRun.
func (w *worker) gone(err error) error {
	if redis.HasErrorPrefix(err, "NOGROUP") || redis.HasErrorPrefix(err, "UNBLOCKED") {
		return fmt.Errorf("%w: %s is gone from Redis (deleted, or Redis restarted without its data)", ErrNoRun, w.run.name)
	}
	return err
}

// items reads stream entries. An entry without a path (not written by
// Run.Add) is acknowledged and dropped, so it cannot stall the run.
func (w *worker) items(ctx context.Context, msgs []redis.XMessage) []claimed {
	out := make([]claimed, 0, len(msgs))
	for _, m := range msgs {
		path, _ := m.Values["p"].(string)
		name, _ := m.Values["n"].(string)
		if path == "" {
			w.log.Error("l3redis: dropping a stream entry that is not an item", "id", m.ID)
			_ = w.run.q.rdb.XAck(ctx, w.run.keys.stream, group, m.ID).Err()
			continue
		}
		out = append(out, claimed{id: m.ID, path: path, name: name})
	}
	return out
}
