// This file holds LogRedisTo, which takes go-redis's own log lines off
// stderr; the stores log their outages through StoreOptions.Logger
// (stores.go).

package l3redis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

// LogRedisTo sends the lines go-redis logs itself (a failed dial, pool
// trouble), which by default it prints to stderr, to l at Debug level; nil
// discards them. go-redis has one logger per program, so this applies to
// every Redis client of the program: call it once, at start. The stores'
// own warnings go to [StoreOptions.Logger] whatever this says.
func LogRedisTo(l *slog.Logger) {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	redis.SetLogger(redisLogger{l})
}

// redisLogger adapts a slog.Logger to go-redis's logging interface.
type redisLogger struct{ l *slog.Logger }

// Printf logs one go-redis line at Debug level.
func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	if r.l.Enabled(ctx, slog.LevelDebug) {
		r.l.LogAttrs(ctx, slog.LevelDebug, strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "))
	}
}
