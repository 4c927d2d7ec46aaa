// This file holds Cache, the response cache (level3.CacheStore) kept in
// Redis, and its Lua scripts. stores.go holds what it shares with the
// redirect memory; stores_codec.go the format of a response in Redis.

package l3redis

import (
	"errors"
	"time"

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
// Each response is a string key expiring after TTL. A sorted set orders the
// responses by last use, a hash holds their sizes and a counter their
// total; a write beyond MaxBytes evicts the least recently used, and drops
// those unused for longer than TTL, in the same Lua script, so concurrent
// processes keep the count exact. With the default prefix the keys are
//
//	level3:{cache}:lru        sorted set: URL digest -> last use (µs, server clock)
//	level3:{cache}:sizes      hash: URL digest -> bytes in Redis
//	level3:{cache}:bytes      the total of sizes
//	level3:{cache}:e:DIGEST   string: the response (see stores_codec.go), with its TTL
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
}

// NewCache returns the response cache kept in rdb under the options'
// prefix. It sends nothing to Redis; rdb stays the caller's to close,
// after the Clients that use the cache are done.
func NewCache(rdb redis.UniversalClient, opts *CacheOptions) (*Cache, error) {
	if rdb == nil {
		return nil, errStoreMisuse("NewCache: nil Redis client")
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
		maxEntry: min(o.MaxEntryBytes, o.MaxBytes), ttl: max(o.TTL, time.Millisecond)}, nil
}

// keys returns the keys every script of c takes, for the response to key,
// and its member.
func (c *Cache) keys(key string) (keys []string, member string) {
	member = storeMember(key)
	t := c.cfg.tag
	return []string{t + "lru", t + "sizes", t + "bytes", t + "e:" + member}, member
}

// usable reports whether c was made by NewCache.
func (c *Cache) usable() bool { return c != nil && c.rdb != nil }

// cacheDropLua defines drop(m): forget member m (KEYS[1] lru, KEYS[2]
// sizes, KEYS[3] bytes) and delete its response (ARGV[1] .. m).
const cacheDropLua = storeClockLua + `
local function drop(m)
  local s = redis.call('HGET', KEYS[2], m)
  if s then
    redis.call('HDEL', KEYS[2], m)
    if redis.call('DECRBY', KEYS[3], s) < 0 then redis.call('SET', KEYS[3], 0) end
  end
  redis.call('ZREM', KEYS[1], m)
  redis.call('DEL', ARGV[1] .. m)
end
`

// cacheGetLua returns the response KEYS[4] of member ARGV[2] and marks it
// used; a response gone (expired, evicted) is forgotten, and one found
// without an index entry is indexed.
var cacheGetLua = redis.NewScript(cacheDropLua + `
local v = redis.call('GET', KEYS[4])
if not v then
  drop(ARGV[2])
  return false
end
if not redis.call('HGET', KEYS[2], ARGV[2]) then
  redis.call('HSET', KEYS[2], ARGV[2], #v)
  redis.call('INCRBY', KEYS[3], #v)
end
redis.call('ZADD', KEYS[1], clock(KEYS[1]), ARGV[2])
return v
`)

// cacheSetLua stores ARGV[3] as the response of member ARGV[2] for
// ARGV[4] ms, drops (at most 100 of) the members unused for that long,
// then evicts the least recently used until the total is at most ARGV[5].
var cacheSetLua = redis.NewScript(cacheDropLua + `
drop(ARGV[2])
local now = clock(KEYS[1])
local ttl = tonumber(ARGV[4])
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - ttl * 1000, 'LIMIT', 0, 100)
for _, m in ipairs(dead) do drop(m) end
local size = #ARGV[3]
redis.call('SET', KEYS[4], ARGV[3], 'PX', ttl)
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], size)
local total = redis.call('INCRBY', KEYS[3], size)
local limit = tonumber(ARGV[5])
while total > limit do
  local old = redis.call('ZPOPMIN', KEYS[1])
  if #old == 0 then
    redis.call('DEL', KEYS[2])
    redis.call('SET', KEYS[3], 0)
    break
  end
  drop(old[1])
  total = tonumber(redis.call('GET', KEYS[3]))
end
return 1
`)

// cacheDeleteLua forgets member ARGV[2] and deletes its response.
var cacheDeleteLua = redis.NewScript(cacheDropLua + `
drop(ARGV[2])
return 1
`)

// Get returns the response stored under key and marks it recently used.
// Redis failing, or a value this version cannot read, is a miss.
func (c *Cache) Get(key string) (*level3.CachedResponse, bool) {
	if !c.usable() {
		return nil, false
	}
	keys, member := c.keys(key)
	v, err := c.run(cacheGetLua, keys, c.cfg.tag+"e:", member).Text()
	if err != nil {
		return nil, false
	}
	r, err := decodeCached([]byte(v))
	if err != nil {
		return nil, false
	}
	return r, true
}

// Set stores r under key for TTL, evicting the least recently used
// responses beyond MaxBytes. A response larger than MaxEntryBytes is not
// stored, and removes what key held. Redis failing stores nothing.
func (c *Cache) Set(key string, r *level3.CachedResponse) {
	if !c.usable() || r == nil {
		return
	}
	if r.Size() > c.maxEntry {
		c.Delete(key)
		return
	}
	data, err := encodeCached(r)
	if err != nil {
		return
	}
	keys, member := c.keys(key)
	c.run(cacheSetLua, keys, c.cfg.tag+"e:", member, data, c.ttl.Milliseconds(), c.maxBytes)
}

// Delete removes the response stored under key, if any. Redis failing
// removes nothing; the Client still never serves a response the server
// has not just confirmed.
func (c *Cache) Delete(key string) {
	if !c.usable() {
		return
	}
	keys, member := c.keys(key)
	c.run(cacheDeleteLua, keys, c.cfg.tag+"e:", member)
}

// MaxEntrySize returns the per-response bound, MaxEntryBytes.
func (c *Cache) MaxEntrySize() int64 {
	if c == nil {
		return 0
	}
	return c.maxEntry
}
