package l3redis

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/storetest"
)

func TestCacheKeepsTheStoreContract(t *testing.T) {
	_, rdb := redisFor(t)
	storetest.CacheStore(t, func(t *testing.T, maxBytes, maxEntryBytes int64) level3.CacheStore {
		c, err := NewCache(rdb, &CacheOptions{StoreOptions: StoreOptions{Prefix: newPrefix()},
			MaxBytes: maxBytes, MaxEntryBytes: maxEntryBytes})
		require.NoError(t, err)
		return c
	})
}

func TestNewCacheChecksItsOptions(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never used
	defer rdb.Close()
	_, err := NewCache(nil, nil)
	assert.ErrorIs(t, err, level3.ErrInvalidUse)
	for _, o := range []CacheOptions{{MaxBytes: -1}, {MaxEntryBytes: -1}, {TTL: -time.Second},
		{StoreOptions: StoreOptions{Prefix: "}"}}} {
		_, err = NewCache(rdb, &o)
		assert.Error(t, err, "%+v", o)
	}
	c, err := NewCache(rdb, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(level3.DefaultCacheEntrySize), c.MaxEntrySize())
	assert.Equal(t, int64(64<<20), c.maxBytes)
	assert.Equal(t, 24*time.Hour, c.ttl)
	assert.Equal(t, "level3:{cache}:", c.cfg.tag)

	var zero *Cache
	zero.Set("k", &level3.CachedResponse{})
	zero.Delete("k")
	_, ok := zero.Get("k")
	assert.False(t, ok)
	assert.Zero(t, zero.MaxEntrySize())
	_, ok = new(Cache).Get("k")
	assert.False(t, ok)
}

// cacheState reads a cache's bookkeeping: the total it counts, the sizes it
// holds, the members of its order, and the responses in Redis with their
// lengths.
func cacheState(t *testing.T, rdb *redis.Client, c *Cache) (total int64, sizes map[string]int64, order []string, stored map[string]int64) {
	t.Helper()
	ctx := context.Background()
	tag := c.cfg.tag
	total, _ = rdb.Get(ctx, tag+"bytes").Int64()
	sizes = map[string]int64{}
	for m, v := range rdb.HGetAll(ctx, tag+"sizes").Val() {
		n, err := strconv.ParseInt(v, 10, 64)
		require.NoError(t, err)
		sizes[m] = n
	}
	order = rdb.ZRange(ctx, tag+"lru", 0, -1).Val()
	stored = map[string]int64{}
	for _, kind := range []string{"e:", "b:"} {
		keys, err := rdb.Keys(ctx, tag+kind+"*").Result()
		require.NoError(t, err)
		for _, k := range keys {
			stored[strings.TrimPrefix(k, tag+kind)] += rdb.StrLen(ctx, k).Val()
		}
	}
	return total, sizes, order, stored
}

// assertConsistent checks that the bookkeeping of c agrees with what Redis
// holds and stays within its bound.
func assertConsistent(t *testing.T, rdb *redis.Client, c *Cache) {
	t.Helper()
	total, sizes, order, stored := cacheState(t, rdb, c)
	var sum int64
	for _, n := range sizes {
		sum += n
	}
	assert.Equal(t, sum, total, "the total is the sum of the sizes")
	assert.Equal(t, stored, sizes, "every response is counted at its length, and nothing else")
	assert.ElementsMatch(t, order, keysOf(sizes), "the order lists every response once")
	assert.LessOrEqual(t, total, c.maxBytes)
}

func keysOf(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Two processes writing one cache at once keep its count exact and within
// its bound: every read-modify-write is one Lua script.
func TestCacheBoundsHoldUnderConcurrentProcesses(t *testing.T) {
	srv, rdb := redisFor(t)
	opts := &CacheOptions{StoreOptions: StoreOptions{Prefix: newPrefix()}, MaxBytes: 20_000, MaxEntryBytes: 3000}
	var caches []*Cache
	for _, conn := range []*redis.Client{rdb, dialFor(t, srv)} {
		c, err := NewCache(conn, opts)
		require.NoError(t, err)
		caches = append(caches, c)
	}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			c := caches[w%2]
			for i := range 80 {
				k := fmt.Sprintf("http://a/%d", (i*7+w)%40)
				switch i % 5 {
				case 0:
					c.Delete(k)
				case 1:
					c.Get(k)
				default:
					r := &level3.CachedResponse{Header: http.Header{"Etag": {`"x"`}}, Body: bytes.Repeat([]byte("y"), 200+(i*37)%2500),
						Vary: map[string]string{"(credentials)": ""}}
					c.Set(k, r)
				}
			}
		})
	}
	wg.Wait()
	assertConsistent(t, rdb, caches[0])
	total, _, _, _ := cacheState(t, rdb, caches[0])
	assert.Greater(t, total, int64(10_000), "the cache is in use, near its bound")
}

func TestCacheTTL(t *testing.T) {
	_, rdb := redisFor(t)
	ctx := context.Background()
	c, err := NewCache(rdb, &CacheOptions{StoreOptions: StoreOptions{Prefix: newPrefix()}, TTL: time.Hour})
	require.NoError(t, err)
	c.Set("http://a/x", respOf("x", 10))
	for _, kind := range []string{"e:", "b:"} {
		ttl, err := rdb.PTTL(ctx, c.cfg.tag+kind+storeMember("http://a/x")).Result()
		require.NoError(t, err)
		assert.InDelta(t, time.Hour.Seconds(), ttl.Seconds(), 60, "a response expires TTL after it was stored")
	}

	short, err := NewCache(rdb, &CacheOptions{StoreOptions: StoreOptions{Prefix: newPrefix()}, TTL: 50 * time.Millisecond})
	require.NoError(t, err)
	short.Set("http://a/x", respOf("x", 10))
	short.Set("http://a/y", respOf("y", 10))
	require.Eventually(t, func() bool {
		_, ok := short.Get("http://a/x")
		return !ok
	}, 10*time.Second, 10*time.Millisecond, "Redis drops a response after its TTL")
	total, sizes, _, _ := cacheState(t, rdb, short)
	assert.Len(t, sizes, 1, "the response read after it expired left the count")
	assert.Equal(t, sizes[storeMember("http://a/y")], total)
	short.Set("http://a/z", respOf("z", 10))
	_, sizes, _, _ = cacheState(t, rdb, short)
	assert.Equal(t, []string{storeMember("http://a/z")}, keysOf(sizes), "a write drops what was unused for longer than TTL")
	assertConsistent(t, rdb, short)
}

// respOf returns a response with etag tag and a body of n bytes.
func respOf(tag string, n int) *level3.CachedResponse {
	return &level3.CachedResponse{Header: http.Header{"Etag": {`"` + tag + `"`}}, Body: bytes.Repeat([]byte("b"), n),
		Vary: map[string]string{"(credentials)": ""}, Stored: time.Now()}
}

func TestCacheWritesNoURLNorCookie(t *testing.T) {
	_, rdb := redisFor(t)
	prefix := newPrefix()
	c, err := NewCache(rdb, &CacheOptions{StoreOptions: StoreOptions{Prefix: prefix}})
	require.NoError(t, err)
	r := respOf("x", 10)
	r.Header.Set("Set-Cookie", "session=SESSIONVALUE")
	r.Header.Set("Set-Cookie2", "old=OLDVALUE")
	c.Set("https://ann:PASSVALUE@api.example/private?token=TOKVALUE", r)
	got, ok := c.Get("https://ann:PASSVALUE@api.example/private?token=TOKVALUE")
	require.True(t, ok)
	assert.Empty(t, got.Header.Values("Set-Cookie"))
	assert.Equal(t, "session=SESSIONVALUE", r.Header.Get("Set-Cookie"), "the caller's response is left as it was")
	for k, v := range dump(t, rdb, prefix) {
		assert.True(t, strings.HasPrefix(k, prefix+"{cache}:"), k)
		for _, secret := range []string{"PASSVALUE", "TOKVALUE", "private", "SESSIONVALUE", "OLDVALUE"} {
			assert.NotContains(t, k+v, secret)
		}
	}
}

func TestCacheIgnoresValuesItCannotRead(t *testing.T) {
	_, rdb := redisFor(t)
	c, err := NewCache(rdb, &CacheOptions{StoreOptions: StoreOptions{Prefix: newPrefix()}})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, rdb.Set(ctx, c.cfg.tag+"e:"+storeMember("http://a/x"), "garbage", 0).Err())
	require.NoError(t, rdb.Set(ctx, c.cfg.tag+"b:"+storeMember("http://a/x"), "body", 0).Err())
	_, ok := c.Get("http://a/x")
	assert.False(t, ok)
	c.Set("http://a/y", respOf("y", 10))
	require.NoError(t, rdb.Del(ctx, c.cfg.tag+"b:"+storeMember("http://a/y")).Err())
	_, ok = c.Get("http://a/y")
	assert.False(t, ok, "a response without its body is none")
}

// etagServer serves one version of /doc, different per user (the Cookie),
// answers If-None-Match with 304, and counts full bodies sent.
func etagServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var full atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		_, _ = io.WriteString(w, "body for "+r.Header.Get("Cookie")+strings.Repeat(".", 1000))
	}))
	t.Cleanup(srv.Close)
	return srv, &full
}

// What one Client fetched is revalidated by another (as in another
// process): the body crosses the network once. A Client with other
// credentials never gets it.
func TestCacheSharedByTwoClients(t *testing.T) {
	rsrv, rdb := redisFor(t)
	api, full := etagServer(t)
	opts := &CacheOptions{StoreOptions: StoreOptions{Prefix: newPrefix()}}
	client := func(rdb *redis.Client, cookie string) *level3.Client {
		c, err := NewCache(rdb, opts)
		require.NoError(t, err)
		cl, err := level3.New(level3.WithCache(c), level3.WithHTTPClient(api.Client()), level3.WithHeader("Cookie", cookie))
		require.NoError(t, err)
		return cl
	}
	ann, annElsewhere, bob := client(rdb, "ann"), client(dialFor(t, rsrv), "ann"), client(dialFor(t, rsrv), "bob")

	first := get(t, ann, api.URL+"/doc")
	resp, err := annElsewhere.Get(context.Background(), api.URL+"/doc", nil)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.True(t, level3.FromCache(resp), "answered 304 and served from Redis")
	assert.Equal(t, first, string(body))
	assert.Equal(t, int64(1), full.Load(), "one full body for two Clients")

	assert.True(t, strings.HasPrefix(get(t, bob, api.URL+"/doc"), "body for bob"), "never another user's response")
	assert.Equal(t, int64(2), full.Load())
}

// With Redis down, GETs succeed with whole bodies, one warning is logged,
// and the cache works again once Redis is back.
func TestCacheWhenRedisIsDown(t *testing.T) {
	rsrv, rdb := redisFor(t)
	api, full := etagServer(t)
	logs := &countingHandler{counts: map[slog.Level]int{}, buf: new(bytes.Buffer)}
	c, err := NewCache(rdb, &CacheOptions{StoreOptions: StoreOptions{Prefix: newPrefix(), Cooldown: -1,
		Timeout: 200 * time.Millisecond, Logger: slog.New(logs)}})
	require.NoError(t, err)
	cl, err := level3.New(level3.WithCache(c), level3.WithHTTPClient(api.Client()))
	require.NoError(t, err)

	rsrv.Stop()
	for range 3 {
		assert.True(t, strings.HasPrefix(get(t, cl, api.URL+"/doc"), "body for"))
	}
	assert.Equal(t, int64(3), full.Load(), "whole bodies, as without a cache")
	assert.Equal(t, 1, logs.counts[slog.LevelWarn], "one warning for the outage:\n%s", logs.buf)

	rsrv.Restart(t)
	require.Eventually(t, func() bool { // go-redis dials again within a second
		c.Set("http://a/probe", respOf("p", 1))
		_, ok := c.Get("http://a/probe")
		return ok
	}, 10*time.Second, 20*time.Millisecond)
	get(t, cl, api.URL+"/doc")
	get(t, cl, api.URL+"/doc")
	assert.Equal(t, int64(4), full.Load(), "revalidated from Redis once it is back")
	assert.Equal(t, 1, logs.counts[slog.LevelInfo], "one note that Redis is back:\n%s", logs.buf)
}

// commandLog records the names and sizes of the commands a client sends.
type commandLog struct {
	mu    sync.Mutex
	names []string
	bytes int
}

func (l *commandLog) record(cmd redis.Cmder) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.names = append(l.names, cmd.Name())
	for _, a := range cmd.Args() {
		switch v := a.(type) {
		case string:
			l.bytes += len(v)
		case []byte:
			l.bytes += len(v)
		}
	}
}

func (l *commandLog) DialHook(next redis.DialHook) redis.DialHook { return next }
func (l *commandLog) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { l.record(cmd); return next(ctx, cmd) }
}
func (l *commandLog) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			l.record(c)
		}
		return next(ctx, cmds)
	}
}

// A revalidated response (the body Get returned, with the header a 304
// refreshed) has only its meta value written; if another process replaced
// the body meanwhile, the response is written whole, so a header never
// describes another body.
func TestCacheRevalidationWritesOnlyTheHeader(t *testing.T) {
	srv, rdb := redisFor(t)
	log := new(commandLog)
	rdb.AddHook(log)
	opts := &CacheOptions{StoreOptions: StoreOptions{Prefix: newPrefix()}}
	c, err := NewCache(rdb, opts)
	require.NoError(t, err)
	other, err := NewCache(dialFor(t, srv), opts)
	require.NoError(t, err)
	const key = "http://a/doc"

	c.Set(key, respOf("v1", 100_000))
	got, ok := c.Get(key)
	require.True(t, ok)
	refreshed := &level3.CachedResponse{Header: got.Header.Clone(), Body: got.Body, Vary: got.Vary, Stored: time.Now()}
	refreshed.Header.Set("X-Refreshed", "1")
	log.bytes = 0
	c.Set(key, refreshed)
	assert.Less(t, log.bytes, 5000, "the body is not sent again: %v", log.names)
	again, ok := c.Get(key)
	require.True(t, ok)
	assert.Equal(t, "1", again.Header.Get("X-Refreshed"))
	assert.Equal(t, got.Body, again.Body)
	assertConsistent(t, rdb, c)

	// Another process writes another body between our Get and our Set.
	mine, ok := c.Get(key)
	require.True(t, ok)
	other.Set(key, respOf("v2", 50))
	fresh := &level3.CachedResponse{Header: mine.Header.Clone(), Body: mine.Body, Vary: mine.Vary, Stored: time.Now()}
	fresh.Header.Set("X-Refreshed", "2")
	c.Set(key, fresh)
	final, ok := other.Get(key)
	require.True(t, ok)
	assert.Equal(t, "2", final.Header.Get("X-Refreshed"))
	assert.Equal(t, `"v1"`, final.Header.Get("Etag"))
	assert.Len(t, final.Body, 100_000, "the header and the body it describes, together")
	assertConsistent(t, rdb, c)

	// A response Get did not hand out is written whole.
	log.bytes = 0
	copied := &level3.CachedResponse{Header: final.Header, Body: bytes.Clone(final.Body), Vary: final.Vary}
	c.Set(key, copied)
	assert.Greater(t, log.bytes, 100_000)
}
