// This file holds Limits, the polite.Store of a fleet: the pauses and quota
// budgets of each origin in one Redis hash, read and changed only by the two
// Lua scripts of limits_lua.go, so that every process of a fleet takes from
// the same budget atomically, on Redis's clock.

package l3redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/l3go/level3/polite"
)

// DefaultLimitsPrefix is the prefix of the keys of [Limits] made with an
// empty prefix.
const DefaultLimitsPrefix = "l3:polite:"

// Limits is a [polite.Store] in Redis: give one (on the same server and
// prefix) to the polite.Limiter of every process of a fleet, and the fleet
// is one client in the eyes of each server it calls: a Retry-After pauses
// every process, and the quota a server announces is spent once, not once
// per process.
//
// Each origin is one hash, PREFIX + origin, holding the pause, the probe
// mark and one field per quota policy ("b:" + policy: quota, window,
// requests left, reset and carried, in milliseconds on the Redis server's
// clock, so that the machines' clocks do not matter). The rules are those
// of polite.MemoryStore, applied by a Lua script per call; a key expires
// polite.IdleTTL after its last pause or window ends. One key per call
// keeps it usable on Redis Cluster.
//
// Limits is safe for concurrent use. It does not close the client.
type Limits struct {
	c      redis.UniversalClient
	prefix string
}

// NewLimits returns the Limits kept by c under keys starting with prefix
// ([DefaultLimitsPrefix] when empty).
func NewLimits(c redis.UniversalClient, prefix string) *Limits {
	if prefix == "" {
		prefix = DefaultLimitsPrefix
	}
	return &Limits{c: c, prefix: prefix}
}

// Take implements [polite.Store].
func (l *Limits) Take(ctx context.Context, origin string) (polite.Grant, error) {
	if err := l.check(ctx, "Take"); err != nil {
		return polite.Grant{}, err
	}
	res, err := takeScript.Run(ctx, l.c, []string{l.prefix + origin},
		polite.ProbeTTL.Milliseconds(), polite.IdleTTL.Milliseconds(), polite.Guard.Milliseconds()).Int64Slice()
	if err != nil {
		return polite.Grant{}, fmt.Errorf("l3redis: Limits.Take: %w", err)
	}
	if len(res) != 2 {
		return polite.Grant{}, fmt.Errorf("l3redis: Limits.Take: unexpected answer %v", res)
	}
	return polite.Grant{Wait: time.Duration(res[0]) * time.Millisecond, Probe: res[1] == 1}, nil
}

// Observe implements [polite.Store].
func (l *Limits) Observe(ctx context.Context, origin string, o polite.Observation) error {
	if err := l.check(ctx, "Observe"); err != nil {
		return err
	}
	args := make([]any, 0, 4+5*len(o.Limits))
	args = append(args, polite.IdleTTL.Milliseconds(), polite.Tolerance.Milliseconds(), o.Pause.Milliseconds(), o.Spent)
	for _, lim := range o.Limits {
		reset := int64(-1)
		if lim.Reset >= 0 {
			reset = lim.Reset.Milliseconds()
		}
		args = append(args, lim.Policy, strconv.FormatInt(lim.Quota, 10), lim.Window.Milliseconds(),
			strconv.FormatInt(lim.Remaining, 10), reset)
	}
	if err := observeScript.Run(ctx, l.c, []string{l.prefix + origin}, args...).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("l3redis: Limits.Observe: %w", err)
	}
	return nil
}

// check reports a call that cannot work.
func (l *Limits) check(ctx context.Context, op string) error {
	switch {
	case l == nil || l.c == nil:
		return misuse("Limits."+op, "Limits not made by NewLimits with a client")
	case ctx == nil:
		return misuse("Limits."+op, "nil Context")
	}
	return nil
}
