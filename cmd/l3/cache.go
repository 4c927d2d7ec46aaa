// This file holds the caches l3 keeps: where the memory of 308 Permanent
// Redirects lives (the user cache directory, or Redis with --store), and the
// Client options for it and for the response cache, both of which --no-cache
// turns off. flags.go registers --no-cache and --store; redirects.go is the
// command that shows and edits the redirect memory.

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/redact"
	"github.com/l3go/level3/l3redis"
	"github.com/l3go/level3/redirects"
	"github.com/redis/go-redis/v9"
)

// cacheDirEnv names the environment variable that puts l3's cache files in
// another directory than level3/ under the user's cache directory
// (os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on
// macOS, %LocalAppData% on Windows).
const cacheDirEnv = "L3_CACHE_DIR"

// redirectsPath returns the path of the file that remembers 308s.
func redirectsPath() (string, error) {
	if dir := os.Getenv(cacheDirEnv); dir != "" {
		return filepath.Join(dir, "redirects.json"), nil
	}
	return redirects.DefaultPath()
}

// openRedirects opens the file that remembers 308s.
func openRedirects() (*redirects.File, error) {
	path, err := redirectsPath()
	if err != nil {
		return nil, err
	}
	return redirects.OpenFile(path, 0)
}

// noCacheUsage describes --no-cache: every cache it turns off.
const noCacheUsage = "keep no cache: neither the permanent redirects remembered in the user's cache directory (or $" + cacheDirEnv + ", or --store) nor the responses kept to revalidate a repeated GET (sent again without If-None-Match)"

// storeUsage describes --store.
const storeUsage = "keep the permanent redirects and the responses to revalidate in Redis at `URL` (redis://[:PASSWORD@]HOST:PORT/DB, or rediss:// for TLS), shared by every l3 that uses it, instead of the user's cache directory and this run's memory"

// storeDialTimeout bounds the connection to --store's Redis at start: what
// a run waits for a Redis that is down before it carries on without it.
const storeDialTimeout = 2 * time.Second

// checkStoreURL returns the usage error for a --store value that is not a
// Redis URL.
func checkStoreURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return usagef("--store wants a Redis URL, redis://HOST:PORT/DB or rediss://HOST:PORT/DB, got %q", redact.String(raw))
	}
	return nil
}

// cacheOptions returns the options that give the Client its caches, which
// --no-cache turns off together:
//   - the 308 memory: the file in the cache directory, so that a permanent
//     redirect learned by one command saves a round trip in the next (a
//     memory for this run only when the file cannot be used, with a warning
//     saying why);
//   - the response cache (the library's default, in memory), so that a URL
//     fetched twice in one run (`l3 get URL URL`) is revalidated, 304 Not
//     Modified answered from it.
//
// With --store both live in Redis instead (see storeOptions).
//
// The demo keeps both in memory (inMemory): its stages show them at work,
// and its server is gone when it ends.
func (c *commonFlags) cacheOptions(errOut io.Writer) []level3.Option {
	switch {
	case c.inMemory:
		return []level3.Option{level3.WithRedirectStore(redirects.NewMemory(0))}
	case c.noCache:
		return []level3.Option{level3.WithRedirectStore(nil), level3.WithCache(nil)}
	case c.store != "":
		return c.storeOptions(errOut)
	}
	f, err := openRedirects()
	if err != nil {
		fmt.Fprintf(errOut, "l3: warning: redirect memory not used: %v (delete the file, or use --no-cache)\n", err)
		return []level3.Option{level3.WithRedirectStore(redirects.NewMemory(0))}
	}
	return []level3.Option{level3.WithRedirectStore(f)}
}

// logRedis sends go-redis's own log (every failed dial while Redis is away)
// to the -v log, and nowhere without -v: the commands report what matters
// themselves.
func (c *commonFlags) logRedis(errOut io.Writer) {
	if c.verbose {
		l3redis.LogRedisTo(c.verboseLogger(errOut))
	} else {
		l3redis.LogRedisTo(nil)
	}
}

// storeOptions connects to --store's Redis and returns the options that
// keep the 308 memory and the response cache there, under l3redis's
// default prefix, so every l3 (and every program using l3redis's defaults)
// on that Redis shares them. The connection is closed by the command's
// cancel function (commonFlags.context). When Redis cannot be reached the
// command carries on with both in memory for this run, with a warning; an
// outage later in the run is one warning too, and never fails a request.
func (c *commonFlags) storeOptions(errOut io.Writer) []level3.Option {
	fallback := []level3.Option{level3.WithRedirectStore(redirects.NewMemory(0))}
	c.logRedis(errOut) // without -v, its failed dials are this warning and the stores'
	rdb, err := dialStore(c.store)
	if err != nil {
		fmt.Fprintf(errOut, "l3: warning: --store not used, keeping this run's caches in memory: %s\n", inertLines(err.Error()))
		return fallback
	}
	c.release = append(c.release, func() { _ = rdb.Close() })
	shared := l3redis.StoreOptions{Logger: c.storeLogger(errOut)}
	memory, err := l3redis.NewRedirectStore(rdb, &l3redis.RedirectStoreOptions{StoreOptions: shared})
	if err != nil {
		fmt.Fprintf(errOut, "l3: warning: --store not used: %v\n", err)
		return fallback
	}
	cache, err := l3redis.NewCache(rdb, &l3redis.CacheOptions{StoreOptions: shared})
	if err != nil {
		fmt.Fprintf(errOut, "l3: warning: --store not used: %v\n", err)
		return fallback
	}
	return []level3.Option{level3.WithRedirectStore(memory), level3.WithCache(cache)}
}

// dialStore connects to the Redis of --store, waiting at most
// storeDialTimeout for it.
func dialStore(rawURL string) (*redis.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), storeDialTimeout)
	defer cancel()
	return l3redis.Dial(ctx, rawURL)
}

// storeLogger returns where the stores in Redis log an outage and its end:
// with -v, the Client's log; otherwise "l3: warning: ..." and "l3: note:
// ..." lines on errOut.
func (c *commonFlags) storeLogger(errOut io.Writer) *slog.Logger {
	if c.verbose {
		return c.verboseLogger(errOut)
	}
	return slog.New(&warningHandler{out: errOut, level: slog.LevelInfo, mu: new(sync.Mutex)})
}

// verboseLogger returns the -v log, made once per command.
func (c *commonFlags) verboseLogger(errOut io.Writer) *slog.Logger {
	if c.vlog == nil {
		c.vlog = slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return c.vlog
}

// warningHandler prints log records as l3's other warnings: one line,
// "l3: warning: MESSAGE (key=value, ...)", escaped as server text is.
type warningHandler struct {
	out   io.Writer
	level slog.Level
	attrs []slog.Attr
	mu    *sync.Mutex
}

func (h *warningHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *warningHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(strings.TrimPrefix(r.Message, "l3redis: "))
	var attrs []string
	for _, a := range h.attrs {
		attrs = append(attrs, a.String())
	}
	r.Attrs(func(a slog.Attr) bool { attrs = append(attrs, a.String()); return true })
	if len(attrs) > 0 {
		b.WriteString(" (" + strings.Join(attrs, ", ") + ")")
	}
	kind := "warning"
	if r.Level < slog.LevelWarn {
		kind = "note"
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := fmt.Fprintf(h.out, "l3: %s: %s\n", kind, inert(b.String()))
	return err
}

func (h *warningHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

func (h *warningHandler) WithGroup(string) slog.Handler { return h }

// redirectMemory is the memory `l3 redirects` shows and edits: the file in
// the cache directory, or the store in Redis with --store.
type redirectMemory interface {
	redirects.Store
	Clear() error
}

// openRedirectMemory opens the redirect memory of store ("" for the file)
// and returns it with where it lives, as printed, and the function that
// closes it.
func openRedirectMemory(store string) (m redirectMemory, where string, closeFn func(), err error) {
	if store == "" {
		f, err := openRedirects()
		if err != nil {
			return nil, "", nil, fmt.Errorf("%w (delete the file to start afresh)", err)
		}
		return f, f.Path(), func() {}, nil
	}
	if err := checkStoreURL(store); err != nil {
		return nil, "", nil, err
	}
	l3redis.LogRedisTo(nil)
	rdb, err := dialStore(store)
	if err != nil {
		return nil, "", nil, err
	}
	s, err := l3redis.NewRedirectStore(rdb, nil)
	if err != nil {
		_ = rdb.Close()
		return nil, "", nil, err
	}
	return s, redact.String(store), func() { _ = rdb.Close() }, nil
}
