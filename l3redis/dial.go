// This file holds Dial, the one way this package connects to Redis.

package l3redis

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/l3go/level3/internal/redact"
)

// dialTimeout bounds the first PING of Dial.
const dialTimeout = 5 * time.Second

// Dial connects to the Redis server named by rawURL
// (redis://[user:password@]host:port/db, or rediss:// for TLS) and checks it
// answers PING within ctx (and at most 5 s). The caller closes the client.
// Errors name the URL with its password (and any credential-like query
// value) removed.
func Dial(ctx context.Context, rawURL string) (*redis.Client, error) {
	if ctx == nil {
		return nil, misuse("Dial", "nil Context")
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("l3redis: %s: %w", redact.String(rawURL), err)
	}
	c := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("l3redis: %s: %w", redact.String(rawURL), err)
	}
	return c, nil
}
