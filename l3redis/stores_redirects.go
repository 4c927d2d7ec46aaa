// This file holds RedirectStore, the memory of permanent redirects
// (redirects.Store) kept in Redis, and its Lua scripts. stores.go holds what
// it shares with the response cache: options, key layout, health gate.

package l3redis

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/l3go/level3/redirects"
)

// RedirectStoreOptions configure [NewRedirectStore]; nil means the
// defaults.
type RedirectStoreOptions struct {
	StoreOptions
	// MaxEntries bounds the entries kept in Redis: a write beyond it
	// evicts the least recently used. 0 means [redirects.DefaultSize]; it
	// must not be negative. Processes sharing a store with different
	// bounds each trim to their own when they write.
	MaxEntries int
}

// RedirectStore is a [redirects.Store] kept in Redis: every level3.Client
// (in any process, on any machine) that uses the same Redis and prefix
// shares the 308s one of them learned, so the others go straight to the
// target. Plug it in with level3.WithRedirectStore.
//
// In Redis an entry is a string key holding its JSON (kind, version, and
// the fields of [redirects.Entry]), named after a digest of its URL, never
// the URL itself; it expires on its own at [redirects.Entry.Expires]
// (PXAT). A sorted set orders the entries by last use (read or written);
// a write beyond MaxEntries evicts the least recently used, in the same
// Lua script, so concurrent processes never leave the set and the entries
// out of step. With the default prefix the keys are
//
//	level3:{redirects}:lru        sorted set: entry digest -> last use (µs, server clock)
//	level3:{redirects}:e:DIGEST   string: the entry's JSON, with its expiry
//
// An entry whose URLs carry a credential ([redirects.Entry.HasCredentials])
// is never written to Redis: as [redirects.File] does, the store keeps it
// in this process's memory only, and removes what Redis said about its URL.
// Entries read from Redis that carry one, or do not belong to the key
// asked for, are ignored.
//
// When Redis does not answer, Get, Put, Delete and Entries return an error
// (the Client then proceeds as without an entry, logging a warning) and
// the store leaves Redis alone for [StoreOptions.Cooldown]; the entries
// kept in memory still answer.
//
// RedirectStore is safe for concurrent use. It does not implement Len: the
// Client would ask Redis once more per request to learn it.
type RedirectStore struct {
	storeConn
	max     int
	private *redirects.Memory // entries with credentials: never written
}

// NewRedirectStore returns the redirect memory kept in rdb under the
// options' prefix. It sends nothing to Redis; rdb stays the caller's to
// close, after the Clients that use the store are done.
func NewRedirectStore(rdb redis.UniversalClient, opts *RedirectStoreOptions) (*RedirectStore, error) {
	if rdb == nil {
		return nil, misuse("NewRedirectStore", "nil Redis client")
	}
	var o RedirectStoreOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxEntries < 0 {
		return nil, errors.New("l3redis: NewRedirectStore: MaxEntries must not be negative")
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = redirects.DefaultSize
	}
	cfg, err := o.config("redirects")
	if err != nil {
		return nil, err
	}
	return &RedirectStore{storeConn: newStoreConn(rdb, cfg, "redirect store"), max: o.MaxEntries,
		private: redirects.NewMemory(o.MaxEntries)}, nil
}

// Key names of the store; entry keys are entryKey's.
func (s *RedirectStore) lruKey() string                { return s.cfg.tag + "lru" }
func (s *RedirectStore) entryPrefix() string           { return s.cfg.tag + "e:" }
func (s *RedirectStore) entryKey(member string) string { return s.entryPrefix() + member }

// usable reports whether s was made by NewRedirectStore.
func (s *RedirectStore) usable() bool { return s != nil && s.rdb != nil }

// redirectFormat is an entry's JSON in Redis:
//
//	{"kind":"level3.redirect","version":1,"from":"https://api.example:443/old",
//	 "to":"https://api.example/new","created":"2026-11-25T10:00:00Z"}
type redirectFormat struct {
	Kind    string `json:"kind"`
	Version int    `json:"version"`
	redirects.Entry
}

// Format identifiers of redirectFormat.
const (
	redirectKind    = "level3.redirect"
	redirectVersion = 1
)

// redirectGetLua returns the entry at KEYS[2] and marks member ARGV[1]
// used in the sorted set KEYS[1]; a missing entry (expired) leaves the set.
var redirectGetLua = redis.NewScript(storeClockLua + `
local v = redis.call('GET', KEYS[2])
if not v then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return false
end
redis.call('ZADD', KEYS[1], clock(KEYS[1]), ARGV[1])
return v
`)

// redirectPutLua writes the entry ARGV[2] at KEYS[2], expiring at ARGV[3]
// (Unix ms; 0 never), marks member ARGV[1] used in KEYS[1], and evicts the
// least recently used entries (named ARGV[5] .. member) beyond ARGV[4].
var redirectPutLua = redis.NewScript(storeClockLua + `
if ARGV[3] ~= '0' then
  redis.call('SET', KEYS[2], ARGV[2], 'PXAT', ARGV[3])
else
  redis.call('SET', KEYS[2], ARGV[2])
end
redis.call('ZADD', KEYS[1], clock(KEYS[1]), ARGV[1])
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[4])
if over > 0 then
  local old = redis.call('ZPOPMIN', KEYS[1], over)
  for i = 1, #old, 2 do redis.call('DEL', ARGV[5] .. old[i]) end
end
return 1
`)

// redirectDeleteLua removes the entry KEYS[2] and its member ARGV[1].
var redirectDeleteLua = redis.NewScript(`
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
`)

// redirectEntriesLua returns the ARGV[2] most recently used entries (named
// ARGV[1] .. member), most recent first, dropping members whose entry has
// expired.
var redirectEntriesLua = redis.NewScript(`
local members = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local out = {}
for _, m in ipairs(members) do
  local v = redis.call('GET', ARGV[1] .. m)
  if v then out[#out + 1] = v else redis.call('ZREM', KEYS[1], m) end
end
return out
`)

// redirectClearLua deletes every entry of the set KEYS[1] and the set.
var redirectClearLua = redis.NewScript(`
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, m in ipairs(members) do redis.call('DEL', ARGV[1] .. m) end
redis.call('DEL', KEYS[1])
return #members
`)

// Get returns the entry for key, from this process's memory for an entry
// with credentials, else from Redis, and marks it recently used. An entry
// Redis holds that is not well formed, carries a credential, or was written
// for another key is no entry.
func (s *RedirectStore) Get(key string) (redirects.Entry, bool, error) {
	if !s.usable() {
		return redirects.Entry{}, false, errStoreMisuse("RedirectStore.Get")
	}
	if e, ok, _ := s.private.Get(key); ok {
		return e, true, nil
	}
	member := storeMember(key)
	v, err := s.run(redirectGetLua, []string{s.lruKey(), s.entryKey(member)}, member).Text()
	switch {
	case errors.Is(err, redis.Nil):
		return redirects.Entry{}, false, nil
	case err != nil:
		return redirects.Entry{}, false, err
	}
	e, ok := decodeRedirect(v)
	if !ok || e.From != key {
		return redirects.Entry{}, false, nil
	}
	return e, true, nil
}

// decodeRedirect parses an entry's JSON, refusing other kinds and
// versions, entries without From or To, and entries with credentials.
func decodeRedirect(v string) (redirects.Entry, bool) {
	var f redirectFormat
	if err := json.Unmarshal([]byte(v), &f); err != nil || f.Kind != redirectKind || f.Version != redirectVersion {
		return redirects.Entry{}, false
	}
	e := f.Entry
	if e.From == "" || e.To == "" || e.HasCredentials() {
		return redirects.Entry{}, false
	}
	return e, true
}

// Put records e, replacing any entry for e.From and evicting the least
// recently used entries beyond MaxEntries; an entry with credentials is
// kept in this process's memory only (see [RedirectStore]). It fails when
// e has no From or To, or when Redis fails.
func (s *RedirectStore) Put(e redirects.Entry) error {
	if !s.usable() {
		return errStoreMisuse("RedirectStore.Put")
	}
	if e.From == "" || e.To == "" {
		return errors.New("l3redis: RedirectStore.Put: entry needs From and To")
	}
	member := storeMember(e.From)
	if e.HasCredentials() {
		if err := s.private.Put(e); err != nil {
			return err
		}
		// What Redis says about e.From is stale now.
		return s.run(redirectDeleteLua, []string{s.lruKey(), s.entryKey(member)}, member).Err()
	}
	_ = s.private.Delete(e.From)
	data, err := json.Marshal(redirectFormat{Kind: redirectKind, Version: redirectVersion, Entry: e})
	if err != nil {
		return err
	}
	expires := "0"
	if !e.Expires.IsZero() {
		expires = strconv.FormatInt(max(e.Expires.UnixMilli(), 1), 10)
	}
	return s.run(redirectPutLua, []string{s.lruKey(), s.entryKey(member)},
		member, data, expires, s.max, s.entryPrefix()).Err()
}

// Delete forgets the entry for key, in memory and in Redis. Deleting a
// missing key is not an error; Redis failing is.
func (s *RedirectStore) Delete(key string) error {
	if !s.usable() {
		return errStoreMisuse("RedirectStore.Delete")
	}
	_ = s.private.Delete(key)
	member := storeMember(key)
	return s.run(redirectDeleteLua, []string{s.lruKey(), s.entryKey(member)}, member).Err()
}

// Entries returns every entry: those kept in memory only first, then at
// most MaxEntries of Redis's, each most recently used first. When Redis
// fails it returns the entries in memory and the error.
func (s *RedirectStore) Entries() ([]redirects.Entry, error) {
	if !s.usable() {
		return nil, errStoreMisuse("RedirectStore.Entries")
	}
	out, _ := s.private.Entries()
	values, err := s.run(redirectEntriesLua, []string{s.lruKey()}, s.entryPrefix(), s.max).StringSlice()
	if err != nil {
		return out, err
	}
	for _, v := range values {
		if e, ok := decodeRedirect(v); ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// Clear forgets every entry, in memory and in Redis (under this store's
// prefix only).
func (s *RedirectStore) Clear() error {
	if !s.usable() {
		return errStoreMisuse("RedirectStore.Clear")
	}
	s.private.Clear()
	return s.run(redirectClearLua, []string{s.lruKey()}, s.entryPrefix()).Err()
}
