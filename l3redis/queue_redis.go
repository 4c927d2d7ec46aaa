// This file holds how a worker waits out an unavailable Redis (stopped,
// restarting, loading its data, unreachable): which errors mean "try again
// later" (unavailable) and the loop that tries again on a level3.Schedule
// (patient). A worker's other Redis errors end its work. go-redis's own log
// lines (one per failed dial while Redis is down) go where LogRedisTo
// (stores_log.go) sends them.

package l3redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/bulkhook"
)

// defaultRedisRetry is the Schedule on which a worker waits out an
// unavailable Redis when [WorkOptions].RedisRetry leaves a field zero: waits
// from 100ms doubling up to 5s, ±20%, and 60 attempts (about 5 minutes)
// before it gives up.
var defaultRedisRetry = level3.Schedule{Initial: 100 * time.Millisecond, Max: 5 * time.Second, Multiplier: 2, Jitter: 0.2, Attempts: 60}

// unavailable reports whether err means Redis cannot answer now but may
// later: no connection, a connection lost, or an answer saying it is
// loading, busy or (in a cluster) moving. An error of the command itself
// (a wrong type, a missing group) is not.
func unavailable(err error) bool {
	switch {
	case err == nil, errors.Is(err, redis.Nil), errors.Is(err, redis.ErrClosed),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	}
	var re redis.Error
	if !errors.As(err, &re) {
		return true // the network, or the pool waiting for a connection
	}
	for _, prefix := range []string{"LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "NOREPLICAS"} {
		if redis.HasErrorPrefix(err, prefix) {
			return true
		}
	}
	return false
}

// patience runs Redis calls, waiting out unavailability on a schedule.
type patience struct {
	schedule level3.Schedule // as given; defaults from defaultRedisRetry
	log      *slog.Logger
}

// do calls fn until it succeeds, fails for another reason than Redis being
// unavailable, the schedule's attempts are used up, or ctx ends. what names
// the call in logs and errors.
func (p patience) do(ctx context.Context, what string, fn func(context.Context) error) error {
	var (
		next     func() time.Duration
		attempts int
	)
	for tries := 0; ; tries++ {
		err := fn(ctx)
		if !unavailable(err) || ctx.Err() != nil {
			if err == nil && tries > 0 {
				p.log.Info("l3redis: Redis answers again", "op", what, "after", tries)
			}
			return err
		}
		if next == nil {
			// validated by Work: cannot fail
			next, attempts, _ = bulkhook.Waits(p.schedule, defaultRedisRetry, "WorkOptions.RedisRetry")
		}
		if tries >= attempts {
			return fmt.Errorf("l3redis: %s: Redis unavailable after %d attempts: %w", what, tries+1, err)
		}
		wait := next()
		p.log.Warn("l3redis: Redis unavailable; waiting", "op", what, "wait", wait, "err", err)
		if err := bulkhook.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}
