package l3redis

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/storetest"
	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/redirects"
)

func TestRedirectStoreKeepsTheStoreContract(t *testing.T) {
	_, rdb := redisFor(t)
	storetest.RedirectStore(t, func(t *testing.T, size int) redirects.Store {
		s, err := NewRedirectStore(rdb, &RedirectStoreOptions{StoreOptions: StoreOptions{Prefix: newPrefix()}, MaxEntries: size})
		require.NoError(t, err)
		return s
	})
}

func TestNewRedirectStoreChecksItsOptions(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never used
	defer rdb.Close()
	_, err := NewRedirectStore(nil, nil)
	assert.ErrorIs(t, err, level3.ErrInvalidUse)
	_, err = NewRedirectStore(rdb, &RedirectStoreOptions{MaxEntries: -1})
	assert.Error(t, err)
	_, err = NewRedirectStore(rdb, &RedirectStoreOptions{StoreOptions: StoreOptions{Prefix: "a{b}:"}})
	assert.ErrorContains(t, err, "hash tag")
	s, err := NewRedirectStore(rdb, nil)
	require.NoError(t, err)
	assert.Equal(t, redirects.DefaultSize, s.max)
	assert.Equal(t, "level3:{redirects}:", s.cfg.tag)

	var zero *RedirectStore
	_, _, err = zero.Get("http://a:80/")
	assert.ErrorIs(t, err, level3.ErrInvalidUse)
	assert.ErrorIs(t, zero.Put(entryFor("a")), level3.ErrInvalidUse)
	assert.ErrorIs(t, zero.Delete("http://a:80/"), level3.ErrInvalidUse)
	_, err = zero.Entries()
	assert.ErrorIs(t, err, level3.ErrInvalidUse)
	assert.ErrorIs(t, zero.Clear(), level3.ErrInvalidUse)
	assert.ErrorIs(t, new(RedirectStore).Put(entryFor("a")), level3.ErrInvalidUse)
}

// entryFor returns an entry for path on one origin.
func entryFor(path string) redirects.Entry {
	return redirects.Entry{From: "http://a:80/" + path, To: "http://a/to-" + path, Created: time.Now().UTC()}
}

func TestRedirectStoreEntriesExpireInRedis(t *testing.T) {
	_, rdb := redisFor(t)
	prefix := newPrefix()
	s, err := NewRedirectStore(rdb, &RedirectStoreOptions{StoreOptions: StoreOptions{Prefix: prefix}})
	require.NoError(t, err)
	ctx := context.Background()

	forever, later := entryFor("forever"), entryFor("later")
	later.Expires = time.Now().Add(time.Hour).Truncate(time.Millisecond)
	require.NoError(t, s.Put(forever))
	require.NoError(t, s.Put(later))
	at, err := rdb.PExpireTime(ctx, s.entryKey(storeMember(later.From))).Result()
	require.NoError(t, err)
	assert.Equal(t, later.Expires.UnixMilli(), at.Milliseconds(), "the key expires with the entry")
	ttl, err := rdb.PTTL(ctx, s.entryKey(storeMember(forever.From))).Result()
	require.NoError(t, err)
	assert.Equal(t, time.Duration(-1), ttl, "an entry without expiry never expires")

	soon := entryFor("soon")
	soon.Expires = time.Now().Add(50 * time.Millisecond)
	require.NoError(t, s.Put(soon))
	require.Eventually(t, func() bool {
		_, ok, err := s.Get(soon.From)
		return err == nil && !ok
	}, 10*time.Second, 10*time.Millisecond, "Redis drops the entry when it expires")
	got, err := s.Entries()
	require.NoError(t, err)
	assert.Len(t, got, 2)
	n, err := rdb.ZCard(ctx, s.lruKey()).Result()
	require.NoError(t, err)
	assert.Equal(t, int64(2), n, "the expired entry left the order too")
}

func TestRedirectStoreKeysHoldNoURL(t *testing.T) {
	_, rdb := redisFor(t)
	prefix := newPrefix()
	s, err := NewRedirectStore(rdb, &RedirectStoreOptions{StoreOptions: StoreOptions{Prefix: prefix}})
	require.NoError(t, err)
	require.NoError(t, s.Put(redirects.Entry{From: "https://api.example:443/private/path", To: "https://api.example/new"}))
	for k := range dump(t, rdb, prefix) {
		assert.True(t, strings.HasPrefix(k, prefix+"{redirects}:"), k)
		assert.NotContains(t, k, "private")
	}
}

// secretEntries carry a credential in From or in To.
var secretEntries = []redirects.Entry{
	{From: "https://s3.example:443/b/k?X-Amz-Credential=AKIDCRED&X-Amz-Signature=SIGVALUE", To: "https://s3.example/b/k2"},
	{From: "https://api.example:443/old", To: "https://api.example/new?access_token=TOKVALUE"},
	{From: "https://api.example:443/pw", To: "https://ann:PASSVALUE@api.example/pw2"},
}

func TestRedirectStoreNeverWritesCredentials(t *testing.T) {
	srv, rdb := redisFor(t)
	prefix := newPrefix()
	opts := &RedirectStoreOptions{StoreOptions: StoreOptions{Prefix: prefix}}
	s, err := NewRedirectStore(rdb, opts)
	require.NoError(t, err)
	other, err := NewRedirectStore(dialFor(t, srv), opts) // another process
	require.NoError(t, err)

	// What Redis knew about /old is stale once an entry with credentials replaces it.
	require.NoError(t, s.Put(redirects.Entry{From: "https://api.example:443/old", To: "https://api.example/plain"}))
	for _, e := range secretEntries {
		require.NoError(t, s.Put(e))
		got, ok, err := s.Get(e.From)
		require.NoError(t, err)
		require.True(t, ok, "kept in this process's memory")
		assert.Equal(t, e.To, got.To)
		_, ok, err = other.Get(e.From)
		require.NoError(t, err)
		assert.False(t, ok, "never shared through Redis: %s", e.From)
	}
	all, err := s.Entries()
	require.NoError(t, err)
	assert.Len(t, all, len(secretEntries))
	for k, v := range dump(t, rdb, prefix) {
		for _, secret := range []string{"AKIDCRED", "SIGVALUE", "TOKVALUE", "PASSVALUE"} {
			assert.NotContains(t, k+v, secret)
		}
	}

	// An entry planted in Redis with a credential, or for another URL, is no entry.
	ctx := context.Background()
	planted := `{"kind":"level3.redirect","version":1,"from":"http://a:80/x","to":"https://ann:pw@a/y"}`
	require.NoError(t, rdb.Set(ctx, s.entryKey(storeMember("http://a:80/x")), planted, 0).Err())
	require.NoError(t, rdb.Set(ctx, s.entryKey(storeMember("http://a:80/y")),
		`{"kind":"level3.redirect","version":1,"from":"http://a:80/x","to":"http://a/z"}`, 0).Err())
	require.NoError(t, rdb.Set(ctx, s.entryKey(storeMember("http://a:80/z")), `{"from":"http://a:80/z","to":"http://a/w"}`, 0).Err())
	for _, key := range []string{"http://a:80/x", "http://a:80/y", "http://a:80/z"} {
		_, ok, err := other.Get(key)
		require.NoError(t, err)
		assert.False(t, ok, key)
	}
}

// countingHandler is a slog.Handler that counts records by level.
type countingHandler struct {
	counts map[slog.Level]int
	buf    *bytes.Buffer
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.counts[r.Level]++
	h.buf.WriteString(r.Message + "\n")
	r.Attrs(func(a slog.Attr) bool { h.buf.WriteString(a.String() + "\n"); return true })
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// get fetches url with c and returns the body.
func get(t *testing.T, c *level3.Client, url string) string {
	t.Helper()
	resp, err := c.Get(context.Background(), url, nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

// A 308 learned by one Client is used by another with its own connection
// to Redis, as in another process: one request to the alias in all.
func TestRedirectStoreSharedByTwoClients(t *testing.T) {
	srv, rdb := redisFor(t)
	api := mocks.NewServer(t)
	api.AddCatalog()
	opts := &RedirectStoreOptions{StoreOptions: StoreOptions{Prefix: newPrefix()}}
	client := func(rdb *redis.Client) *level3.Client {
		s, err := NewRedirectStore(rdb, opts)
		require.NoError(t, err)
		c, err := level3.New(level3.WithRedirectStore(s), level3.WithHTTPClient(api.Client()))
		require.NoError(t, err)
		return c
	}
	first, second := client(rdb), client(dialFor(t, srv))
	assert.JSONEq(t, `{"orders":3}`, get(t, first, api.URL+mocks.PathOldOrders))
	assert.JSONEq(t, `{"orders":3}`, get(t, second, api.URL+mocks.PathOldOrders))
	assert.Equal(t, 1, api.Count(mocks.PathOldOrders), "the second Client went straight to the target")
	assert.Equal(t, 2, api.Count(mocks.PathOrders))
}

// With Redis down, requests succeed as without a memory, one warning is
// logged for the outage, and the store is used again once Redis is back.
func TestRedirectStoreWhenRedisIsDown(t *testing.T) {
	srv, rdb := redisFor(t)
	api := mocks.NewServer(t)
	api.AddCatalog()
	logs := &countingHandler{counts: map[slog.Level]int{}, buf: new(bytes.Buffer)}
	s, err := NewRedirectStore(rdb, &RedirectStoreOptions{StoreOptions: StoreOptions{
		Prefix: newPrefix(), Cooldown: -1, Timeout: 200 * time.Millisecond, Logger: slog.New(logs)}})
	require.NoError(t, err)
	c, err := level3.New(level3.WithRedirectStore(s), level3.WithHTTPClient(api.Client()))
	require.NoError(t, err)

	srv.Stop()
	for range 3 {
		assert.JSONEq(t, `{"orders":3}`, get(t, c, api.URL+mocks.PathOldOrders))
	}
	assert.Equal(t, 3, api.Count(mocks.PathOldOrders), "every request asked the alias")
	assert.Equal(t, 1, logs.counts[slog.LevelWarn], "one warning for the outage:\n%s", logs.buf)
	_, _, err = s.Get("http://a:80/x")
	assert.Error(t, err, "the Client is told, and logs it")
	assert.NotContains(t, logs.buf.String(), "/old-orders", "no URL in the store's logs")

	srv.Restart(t)
	require.Eventually(t, func() bool { // go-redis dials again within a second
		_, _, err := s.Get("http://a:80/probe")
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	get(t, c, api.URL+mocks.PathOldOrders) // learns the 308 again
	get(t, c, api.URL+mocks.PathOldOrders)
	assert.Equal(t, 4, api.Count(mocks.PathOldOrders), "remembered again once Redis is back")
	assert.Equal(t, 1, logs.counts[slog.LevelInfo], "one note that Redis is back:\n%s", logs.buf)
}

// During the cooldown the store answers at once without asking Redis.
func TestRedirectStoreCooldown(t *testing.T) {
	srv, rdb := redisFor(t)
	s, err := NewRedirectStore(rdb, &RedirectStoreOptions{StoreOptions: StoreOptions{Prefix: newPrefix(), Cooldown: time.Hour}})
	require.NoError(t, err)
	srv.Stop()
	_, _, err = s.Get("http://a:80/x")
	require.Error(t, err)
	calls := 0
	rdb.AddHook(countHook{&calls})
	for range 5 {
		_, _, err = s.Get("http://a:80/x")
		assert.ErrorContains(t, err, "unavailable")
		assert.Error(t, s.Put(entryFor("x")))
	}
	assert.Zero(t, calls, "no command sent during the cooldown")
	var unwrapped interface{ Unwrap() error }
	assert.True(t, errors.As(err, &unwrapped), "the cause is kept")
}

// countHook counts the commands a client sends.
type countHook struct{ n *int }

func (h countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { *h.n++; return next(ctx, cmd) }
}
func (h countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { *h.n += len(cmds); return next(ctx, cmds) }
}

func TestRedirectStoreClear(t *testing.T) {
	_, rdb := redisFor(t)
	prefix := newPrefix()
	s, err := NewRedirectStore(rdb, &RedirectStoreOptions{StoreOptions: StoreOptions{Prefix: prefix}})
	require.NoError(t, err)
	keep, err := NewRedirectStore(rdb, &RedirectStoreOptions{StoreOptions: StoreOptions{Prefix: newPrefix()}})
	require.NoError(t, err)
	for _, k := range []string{"a", "b"} {
		require.NoError(t, s.Put(entryFor(k)))
		require.NoError(t, keep.Put(entryFor(k)))
	}
	require.NoError(t, s.Put(secretEntries[0]))
	require.NoError(t, s.Clear())
	assert.Empty(t, dump(t, rdb, prefix))
	got, err := s.Entries()
	require.NoError(t, err)
	assert.Empty(t, got)
	got, err = keep.Entries()
	require.NoError(t, err)
	assert.Len(t, got, 2, "another prefix is left alone")
}
