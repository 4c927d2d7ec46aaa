// This file holds what the two stores kept in Redis share: StoreOptions,
// the key layout (a prefix and one hash tag per store), the health gate that
// lets a Client carry on without Redis, and the Lua clock that orders
// entries by last use. stores_redirects.go holds RedirectStore (the 308
// memory), stores_cache.go Cache (the response cache) and stores_codec.go
// the format of a cached response in Redis.

package l3redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of StoreOptions.
const (
	storeDefaultPrefix   = "level3:"
	storeDefaultTimeout  = 500 * time.Millisecond
	storeDefaultCooldown = 5 * time.Second
)

// StoreOptions are the settings [NewRedirectStore] and [NewCache] share.
// The zero value means the defaults.
type StoreOptions struct {
	// Prefix begins the name of every key the store writes; "" means
	// "level3:". The store adds one hash tag of its own after it
	// ("level3:{redirects}:...", "level3:{cache}:..."), so all its keys
	// live on one node of a Redis Cluster and its scripts can run there;
	// a Prefix must therefore not contain "{" or "}". Give each fleet
	// that must not share what it learned a prefix of its own.
	Prefix string
	// Timeout bounds each call to Redis, go-redis's own retries
	// included, through its context; 0 means 500 ms, a negative value no
	// bound. A go-redis client applies a context's deadline to its socket
	// reads only when made with ContextTimeoutEnabled; otherwise its
	// ReadTimeout (3 s by default) bounds a server that stops answering.
	Timeout time.Duration
	// Cooldown is how long the store leaves Redis alone after a call
	// failed: meanwhile every call answers at once as if the store were
	// empty (see [RedirectStore] and [Cache]), so a Client whose Redis is
	// down waits for it at most once per Cooldown. 0 means 5 s, a
	// negative value none (every call tries Redis).
	Cooldown time.Duration
	// Logger receives a warning when a call to Redis fails and a note
	// when it answers again (once per outage, never per call), without
	// URLs or passwords; nil discards them, as level3.WithLogger does.
	Logger *slog.Logger
}

// storeConfig is StoreOptions with the defaults applied.
type storeConfig struct {
	tag      string // "<prefix>{<store>}:", the start of every key
	timeout  time.Duration
	cooldown time.Duration
	logger   *slog.Logger
}

// config validates o for the store named name and applies the defaults.
func (o StoreOptions) config(name string) (storeConfig, error) {
	prefix := o.Prefix
	if prefix == "" {
		prefix = storeDefaultPrefix
	}
	if strings.ContainsAny(prefix, "{}") {
		return storeConfig{}, fmt.Errorf("l3redis: Prefix %q must not contain { or }: the store adds its own hash tag", prefix)
	}
	c := storeConfig{tag: prefix + "{" + name + "}:", timeout: o.Timeout, cooldown: o.Cooldown, logger: o.Logger}
	if c.timeout == 0 {
		c.timeout = storeDefaultTimeout
	}
	if c.cooldown == 0 {
		c.cooldown = storeDefaultCooldown
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// context returns the context of one command.
func (c *storeConfig) context() (context.Context, context.CancelFunc) {
	if c.timeout < 0 {
		return context.WithCancel(context.Background())
	}
	return context.WithTimeout(context.Background(), c.timeout)
}

// storeMember returns the name an entry has in Redis for key (a URL): a
// digest, so that key names are bounded in length and never show a URL,
// nor anything a URL carries.
func storeMember(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// errStoreMisuse is the error of a method called on a nil store or one not
// made by its constructor.
func errStoreMisuse(op string) error {
	return misuse(op, "nil store, or one not made by its constructor")
}

// storeConn is what a store needs to send commands: the client, the
// configuration and the health gate.
type storeConn struct {
	rdb    redis.UniversalClient
	cfg    storeConfig
	health *storeHealth
}

// newStoreConn returns the connection of the store called name.
func newStoreConn(rdb redis.UniversalClient, cfg storeConfig, name string) storeConn {
	return storeConn{rdb: rdb, cfg: cfg,
		health: &storeHealth{name: name, cooldown: cfg.cooldown, logger: cfg.logger, now: time.Now}}
}

// do runs f under the health gate, with the command timeout.
func (c *storeConn) do(f func(ctx context.Context) error) error {
	if err := c.health.allow(); err != nil {
		return err
	}
	ctx, cancel := c.cfg.context()
	defer cancel()
	return c.health.done(f(ctx))
}

// run runs script with keys and args under the health gate, with the
// command timeout.
func (c *storeConn) run(script *redis.Script, keys []string, args ...any) *redis.Cmd {
	var cmd *redis.Cmd
	err := c.do(func(ctx context.Context) error {
		cmd = script.Run(ctx, c.rdb, keys, args...)
		return cmd.Err()
	})
	if cmd == nil {
		cmd = redis.NewCmd(context.Background())
	}
	cmd.SetErr(err)
	return cmd
}

// storeHealth is the gate in front of Redis: after a failed command it
// refuses calls for the cooldown, and it logs each outage once.
type storeHealth struct {
	name     string // "redirect store", "response cache"
	cooldown time.Duration
	logger   *slog.Logger
	now      func() time.Time

	mu      sync.Mutex
	down    bool
	retryAt time.Time
	lastErr error
}

// allow returns nil when a command may be sent, or the error to answer
// with during a cooldown.
func (h *storeHealth) allow() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down && h.now().Before(h.retryAt) {
		return fmt.Errorf("l3redis: %s unavailable (Redis failed less than %v ago): %w", h.name, h.cooldown, h.lastErr)
	}
	return nil
}

// done records how a command ended: err nil or redis.Nil is an answer.
// It returns err, wrapped with the store's name when it is a failure.
func (h *storeHealth) done(err error) error {
	failed := err != nil && !errors.Is(err, redis.Nil)
	h.mu.Lock()
	was := h.down
	h.down = failed
	if failed {
		h.lastErr = err
		h.retryAt = h.now().Add(max(h.cooldown, 0))
	}
	h.mu.Unlock()
	switch {
	case failed && !was:
		h.logger.LogAttrs(context.Background(), slog.LevelWarn, "l3redis: Redis failed; carrying on without the "+h.name,
			slog.Any("error", err))
	case !failed && was:
		h.logger.LogAttrs(context.Background(), slog.LevelInfo, "l3redis: Redis answers again; using the "+h.name)
	}
	if failed {
		return fmt.Errorf("l3redis: %s: %w", h.name, err)
	}
	return err
}

// storeClockLua defines clock(lru): the score of an entry used now, the
// server's time in microseconds, made larger than every score in the sorted
// set lru so that the order of use is exact even within a microsecond and
// across machines whose clocks differ.
const storeClockLua = `
local function clock(lru)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local top = redis.call('ZRANGE', lru, -1, -1, 'WITHSCORES')
  if top[2] and tonumber(top[2]) >= now then now = tonumber(top[2]) + 1 end
  return now
end
`
