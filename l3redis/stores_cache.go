// This file holds Cache, the response cache (level3.CacheStore) kept in
// Redis, and its Lua scripts. stores.go holds what it shares with the
// redirect memory; stores_codec.go the format of a response in Redis.

package l3redis

import (
	"context"
	"errors"
	"sync"
	"time"
	"unsafe"
	"weak"

	"github.com/redis/go-redis/v9"

	"github.com/l3go/level3"
)

// Defaults of CacheOptions.
const (
	cacheDefaultMaxBytes = 64 << 20
	cacheDefaultTTL      = 24 * time.Hour
)

// CacheOptions configure [NewCache]; nil means the defaults. No bound may
// be negative.
type CacheOptions struct {
	StoreOptions
	// MaxBytes bounds the responses kept, all together, in bytes as
	// stored in Redis (body, header and a small JSON line); a write
	// beyond it evicts the least recently used. 0 means 64 MiB.
	MaxBytes int64
	// MaxEntryBytes bounds one response, as
	// [level3.CachedResponse.Size] counts it; the Client neither caches
	// nor buffers a longer one. 0 means [level3.DefaultCacheEntrySize].
	// It is capped at MaxBytes.
	MaxEntryBytes int64
	// TTL is how long a response stays after it was stored or last
	// revalidated (a 304 stores it again); 0 means 24 hours.
	TTL time.Duration
}

// Cache is a [level3.CacheStore] kept in Redis: every level3.Client that
// uses the same Redis and prefix revalidates what one of them fetched, so
// a fleet downloads each unchanged body once. Plug it in with
// level3.WithCache. As with the Client's own cache, every GET still goes
// to the server: a response is only ever served after the server answered
// 304 Not Modified for it.
//
// Responses are kept apart by user: the Client stores, with each response,
// a digest of the credentials of the request that fetched it (the
// "(credentials)" member of [level3.CachedResponse.Vary]) and serves it
// only to a request with the same credentials; Cache keeps that member as
// it is. Key names hold a digest of the URL, never the URL, and a response
// is written without its Set-Cookie fields.
//
// Each response is two string keys expiring after TTL: its meta value
// (header, vary, dates, and the id of its body) and its body. A GET reads
// both and marks the response used in one round trip; a revalidation (a
// 304 refreshed the header of a body Get returned) rewrites the meta value
// only, after checking in the same script that the body in Redis is still
// that one. A sorted set orders the responses by last use, a hash holds
// their sizes and a counter their total; a write beyond MaxBytes evicts the
// least recently used, and drops those unused for longer than TTL, in the
// same Lua script (the body and meta value written with it in one
// MULTI/EXEC transaction), so concurrent processes keep the count exact.
// With the default prefix the keys are
//
//	level3:{cache}:lru        sorted set: URL digest -> last use (µs, server clock)
//	level3:{cache}:sizes      hash: URL digest -> bytes in Redis (meta value + body)
//	level3:{cache}:bytes      the total of sizes
//	level3:{cache}:e:DIGEST   string: the meta value (see stores_codec.go), with its TTL
//	level3:{cache}:b:DIGEST   string: the body, with the same TTL
//
// The Client reads a URL's stored response before it asks the server, so
// a body that changed is read from Redis as well as downloaded (the
// CacheStore interface hands over whole responses).
//
// Cache bounds itself, so Redis needs no maxmemory for it. When one Redis
// also holds state that must not be lost (distributed runs), give it a
// maxmemory-policy that evicts only keys with a TTL (volatile-lru,
// volatile-ttl) or none (noeviction, the default: a write that would pass
// maxmemory then fails, and Cache carries on without storing); allkeys-*
// policies could evict the index and leave the responses to their TTL.
//
// When Redis does not answer, Get misses, Set and Delete do nothing, a
// warning is logged (once per outage; see [StoreOptions.Logger]) and the
// store leaves Redis alone for [StoreOptions.Cooldown]: the Client fetches
// whole bodies, as without a cache.
//
// Cache is safe for concurrent use.
type Cache struct {
	storeConn
	maxBytes, maxEntry int64
	ttl                time.Duration

	mu       sync.Mutex
	handouts map[string]cacheHandout // bodies Get returned, by key
}

// NewCache returns the response cache kept in rdb under the options'
// prefix. It sends nothing to Redis; rdb stays the caller's to close,
// after the Clients that use the cache are done.
func NewCache(rdb redis.UniversalClient, opts *CacheOptions) (*Cache, error) {
	if rdb == nil {
		return nil, misuse("NewCache", "nil Redis client")
	}
	var o CacheOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxBytes < 0 || o.MaxEntryBytes < 0 || o.TTL < 0 {
		return nil, errors.New("l3redis: NewCache: MaxBytes, MaxEntryBytes and TTL must not be negative")
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = cacheDefaultMaxBytes
	}
	if o.MaxEntryBytes == 0 {
		o.MaxEntryBytes = level3.DefaultCacheEntrySize
	}
	if o.TTL == 0 {
		o.TTL = cacheDefaultTTL
	}
	cfg, err := o.config("cache")
	if err != nil {
		return nil, err
	}
	return &Cache{storeConn: newStoreConn(rdb, cfg, "response cache"), maxBytes: o.MaxBytes,
		maxEntry: min(o.MaxEntryBytes, o.MaxBytes), ttl: max(o.TTL, time.Millisecond),
		handouts: make(map[string]cacheHandout)}, nil
}

// keys returns the keys every script of c takes, for the response to key,
// and its member: the order, the sizes, the total, the meta value and the
// body.
func (c *Cache) keys(key string) (keys []string, member string) {
	member = storeMember(key)
	t := c.cfg.tag
	return []string{t + "lru", t + "sizes", t + "bytes", t + "e:" + member, t + "b:" + member}, member
}

// usable reports whether c was made by NewCache.
func (c *Cache) usable() bool { return c != nil && c.rdb != nil }

// cacheHandout remembers a body Get handed out, so that Set can tell a
// revalidated response (a 304 refreshes the header and keeps the very same
// body slice) from a new one without comparing bytes. The weak pointer
// keeps nothing alive and compares equal only to a pointer into the same
// body, even after it was freed and its memory reused.
type cacheHandout struct {
	body weak.Pointer[byte]
	n    int
	id   string // the body's id in Redis
}

// maxHandouts bounds the bodies a Cache remembers handing out; beyond it,
// it forgets them all (a revalidation then writes the body again).
const maxHandouts = 1024

// handOut records that Get returned body, with id, for key.
func (c *Cache) handOut(key string, body []byte, id string) {
	if len(body) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.handouts) >= maxHandouts {
		clear(c.handouts)
	}
	c.handouts[key] = cacheHandout{body: weak.Make(&body[0]), n: len(body), id: id}
}

// handedOut returns the id of body when Get handed it out for key, and
// forgets the handout.
func (c *Cache) handedOut(key string, body []byte) (id string, ok bool) {
	c.mu.Lock()
	h, found := c.handouts[key]
	delete(c.handouts, key)
	c.mu.Unlock()
	if !found || len(body) != h.n || h.n == 0 || weak.Make(&body[0]) != h.body {
		return "", false
	}
	return h.id, true
}

// The scripts of a Cache take the keys keys returns, then ARGV[1] the tag
// that starts every key and ARGV[2] the member. cacheLua defines:
//   - drop(m): forget member m and delete its meta value and body;
//   - account(size, ttl, limit): count member ARGV[2] at size bytes, mark
//     it used, drop (at most 100 of) the members unused for ttl ms, then
//     evict the least recently used until the total is at most limit.
const cacheLua = storeClockLua + `
local function drop(m)
  local s = redis.call('HGET', KEYS[2], m)
  if s then
    redis.call('HDEL', KEYS[2], m)
    if redis.call('DECRBY', KEYS[3], s) < 0 then redis.call('SET', KEYS[3], 0) end
  end
  redis.call('ZREM', KEYS[1], m)
  redis.call('DEL', ARGV[1] .. 'e:' .. m, ARGV[1] .. 'b:' .. m)
end
local function account(size, ttl, limit)
  local old = tonumber(redis.call('HGET', KEYS[2], ARGV[2])) or 0
  redis.call('HSET', KEYS[2], ARGV[2], size)
  redis.call('INCRBY', KEYS[3], size - old)
  local now = clock(KEYS[1])
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - ttl * 1000, 'LIMIT', 0, 100)
  for _, m in ipairs(dead) do drop(m) end
  local total = tonumber(redis.call('GET', KEYS[3]))
  while total > limit do
    local oldest = redis.call('ZPOPMIN', KEYS[1])
    if #oldest == 0 then
      redis.call('DEL', KEYS[2])
      redis.call('SET', KEYS[3], 0)
      break
    end
    drop(oldest[1])
    total = tonumber(redis.call('GET', KEYS[3]))
  end
end
`

// cacheTouchLua marks the response used after Get read it; a response gone
// (expired, evicted) is forgotten, and one found uncounted is counted.
const cacheTouchLua = cacheLua + `
if redis.call('EXISTS', KEYS[4]) == 0 or redis.call('EXISTS', KEYS[5]) == 0 then
  drop(ARGV[2])
  return 0
end
if not redis.call('HGET', KEYS[2], ARGV[2]) then
  local size = redis.call('STRLEN', KEYS[4]) + redis.call('STRLEN', KEYS[5])
  redis.call('HSET', KEYS[2], ARGV[2], size)
  redis.call('INCRBY', KEYS[3], size)
end
redis.call('ZADD', KEYS[1], clock(KEYS[1]), ARGV[2])
return 1
`

// cacheStoreLua counts the response whose meta value and body the same
// transaction has just written: ARGV[3] bytes, ARGV[4] ms of TTL, ARGV[5]
// bytes in all.
const cacheStoreLua = cacheLua + `
account(tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]))
return 1
`

// cacheRefreshLua replaces the meta value with ARGV[4] when the body in
// Redis is still the one with id ARGV[3], and gives both ARGV[5] ms to
// live again; ARGV[6] is the bound in bytes. It returns 0, changing
// nothing, when the body is another (or gone).
var cacheRefreshLua = redis.NewScript(cacheLua + `
local cur = redis.call('GET', KEYS[4])
if not cur or string.sub(cur, 1, 16) ~= ARGV[3] or redis.call('EXISTS', KEYS[5]) == 0 then
  return 0
end
local ttl = tonumber(ARGV[5])
redis.call('SET', KEYS[4], ARGV[4], 'PX', ttl)
redis.call('PEXPIRE', KEYS[5], ttl)
account(#ARGV[4] + redis.call('STRLEN', KEYS[5]), ttl, tonumber(ARGV[6]))
return 1
`)

// cacheDeleteLua forgets the response.
var cacheDeleteLua = redis.NewScript(cacheLua + `
drop(ARGV[2])
return 1
`)

// Get returns the response stored under key and marks it recently used,
// in one round trip. Redis failing, or a value this version cannot read,
// is a miss.
func (c *Cache) Get(key string) (*level3.CachedResponse, bool) {
	if !c.usable() {
		return nil, false
	}
	keys, member := c.keys(key)
	var values []any
	err := c.do(func(ctx context.Context) error {
		pipe := c.rdb.Pipeline()
		get := pipe.MGet(ctx, keys[3], keys[4])
		pipe.Eval(ctx, cacheTouchLua, keys, c.cfg.tag, member)
		_, err := pipe.Exec(ctx)
		values = get.Val()
		return err
	})
	if err != nil || len(values) != 2 {
		return nil, false
	}
	meta, ok1 := values[0].(string)
	body, ok2 := values[1].(string)
	if !ok1 || !ok2 {
		return nil, false
	}
	// The body's bytes are the string go-redis read, which nothing else
	// holds, so they are handed out without a copy (1 MiB less per GET of
	// a 1 MiB response); neither the Client nor a store writes to a
	// CachedResponse.
	r, id, err := decodeCached([]byte(meta), unsafe.Slice(unsafe.StringData(body), len(body)))
	if err != nil {
		return nil, false
	}
	c.handOut(key, r.Body, id)
	return r, true
}

// Set stores r under key for TTL, evicting the least recently used
// responses beyond MaxBytes. A response whose body Get returned (a 304
// refreshed its header) has only its meta value written, when the body in
// Redis is still that one; any other is written whole, body and meta value
// in one transaction. A response larger than MaxEntryBytes is not stored,
// and removes what key held. Redis failing stores nothing.
func (c *Cache) Set(key string, r *level3.CachedResponse) {
	if !c.usable() || r == nil {
		return
	}
	if r.Size() > c.maxEntry {
		c.Delete(key)
		return
	}
	keys, member := c.keys(key)
	ttl := c.ttl.Milliseconds()
	if id, ok := c.handedOut(key, r.Body); ok {
		meta, err := encodeMeta(r, id)
		if err != nil {
			return
		}
		n, err := c.run(cacheRefreshLua, keys, c.cfg.tag, member, id, meta, ttl, c.maxBytes).Int()
		if err != nil || n == 1 {
			return
		}
	}
	meta, err := encodeMeta(r, newBodyID())
	if err != nil {
		return
	}
	_ = c.do(func(ctx context.Context) error {
		_, err := c.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.Set(ctx, keys[4], r.Body, c.ttl)
			pipe.Set(ctx, keys[3], meta, c.ttl)
			pipe.Eval(ctx, cacheStoreLua, keys, c.cfg.tag, member, len(meta)+len(r.Body), ttl, c.maxBytes)
			return nil
		})
		return err
	})
}

// Delete removes the response stored under key, if any. Redis failing
// removes nothing; the Client still never serves a response the server
// has not just confirmed.
func (c *Cache) Delete(key string) {
	if !c.usable() {
		return
	}
	c.handedOut(key, nil)
	keys, member := c.keys(key)
	c.run(cacheDeleteLua, keys, c.cfg.tag, member)
}

// MaxEntrySize returns the per-response bound, MaxEntryBytes.
func (c *Cache) MaxEntrySize() int64 {
	if c == nil {
		return 0
	}
	return c.maxEntry
}
