package l3redis

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/realpeers"
)

// storePrefixes makes every store of a test run its own prefix.
var storePrefixes atomic.Int64

// newPrefix returns a prefix no other store of this run uses.
func newPrefix() string { return fmt.Sprintf("t%d:", storePrefixes.Add(1)) }

// redisFor starts a real redis-server for t (or skips, see realpeers) and
// returns it with a client closed when t ends.
func redisFor(t testing.TB) (*realpeers.RedisServer, *redis.Client) {
	t.Helper()
	srv := realpeers.Redis(t)
	return srv, dialFor(t, srv)
}

// dialFor returns a new client of srv, as a second process would have,
// closed when t ends.
func dialFor(t testing.TB, srv *realpeers.RedisServer) *redis.Client {
	t.Helper()
	rdb, err := Dial(context.Background(), srv.URL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// dump returns every key under prefix with its value, as text: strings as
// they are, sorted sets and hashes as their members.
func dump(t *testing.T, rdb *redis.Client, prefix string) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, prefix+"*").Result()
	require.NoError(t, err)
	out := map[string]string{}
	for _, k := range keys {
		switch rdb.Type(ctx, k).Val() {
		case "string":
			out[k] = rdb.Get(ctx, k).Val()
		case "zset":
			out[k] = fmt.Sprint(rdb.ZRange(ctx, k, 0, -1).Val())
		case "hash":
			out[k] = fmt.Sprint(rdb.HGetAll(ctx, k).Val())
		default:
			out[k] = "?"
		}
	}
	return out
}

// go-redis's own log lines (failed dials in the outage tests) stay off the
// test output.
func init() { LogRedisTo(nil) }
