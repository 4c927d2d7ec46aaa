package l3redis

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/realpeers"
	"github.com/l3go/level3/mocks"
)

// queueOn returns a Queue on a fresh real Redis (started with opts).
func queueOn(t testing.TB, opts ...realpeers.RedisOption) (*Queue, *realpeers.RedisServer) {
	t.Helper()
	srv := realpeers.Redis(t, opts...)
	return NewQueue(dialFor(t, srv)), srv
}

// files writes n small files, each with its own bytes, under a new
// directory (a few in a subdirectory) and returns the directory and the
// names relative to it.
func files(t testing.TB, n int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("f%04d.txt", i)
		if i%10 == 9 {
			names[i] = "sub/" + names[i]
		}
		p := filepath.Join(dir, filepath.FromSlash(names[i]))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("file "+names[i]), 0o644))
	}
	return dir, names
}

// client returns a level3 Client for tests.
func client(t testing.TB) *level3.Client {
	t.Helper()
	c, err := level3.New()
	require.NoError(t, err)
	return c
}

// putTarget serves a Content resource at /put/NAME for each name, so a PUT
// run can replace them; the server counts the requests per path.
func putTarget(t *testing.T, names []string) *mocks.Server {
	srv := mocks.NewServer(t, mocks.Strict(t))
	for _, n := range names {
		srv.Handle("/put/"+n, mocks.Content([]byte("old"), "text/plain"))
	}
	return srv
}

// keyedTarget serves an Upload resource at /up that honours idempotency
// keys.
func keyedTarget(t *testing.T) *mocks.Server {
	srv := mocks.NewServer(t, mocks.Strict(t))
	up := mocks.Upload()
	up.IdempotencyKey = "optional"
	srv.Handle("/up", up)
	return srv
}

// created returns the paths of the resources POSTs created under /up.
func created(srv *mocks.Server) []string {
	var out []string
	for _, p := range srv.Paths() {
		if strings.HasPrefix(p, "/up/") {
			out = append(out, p)
		}
	}
	return out
}

func TestCreateOpenAndOptions(t *testing.T) {
	q, _ := queueOn(t)
	ctx := context.Background()
	opts := &RunOptions{Put: true, ContentType: "text/plain", Lease: time.Second}
	r, err := q.Create(ctx, "nightly", "http://127.0.0.1:1/dav/", opts)
	require.NoError(t, err)
	assert.Equal(t, "nightly", r.Name())
	assert.Equal(t, "http://127.0.0.1:1/dav/", r.Target())

	again, err := q.Create(ctx, "nightly", "http://127.0.0.1:1/dav/", &RunOptions{Put: true, ContentType: "text/plain", Lease: 5 * time.Second})
	require.NoError(t, err, "joining with the same target and options")
	assert.Equal(t, time.Second, again.Options().Lease, "the first lease stays")

	_, err = q.Create(ctx, "nightly", "http://127.0.0.1:1/other/", opts)
	assert.ErrorContains(t, err, "another target")
	_, err = q.Create(ctx, "nightly", "http://127.0.0.1:1/dav/", &RunOptions{Lease: time.Second})
	assert.ErrorContains(t, err, "other options")

	opened, err := q.Open(ctx, "nightly")
	require.NoError(t, err)
	assert.Equal(t, *opts, opened.Options())
	_, err = q.Open(ctx, "nope")
	assert.ErrorIs(t, err, ErrNoRun)

	for name, target := range map[string]string{
		"":                       "http://h/",
		"a b":                    "http://h/",
		"a{b}":                   "http://h/",
		"ok":                     "ftp://h/",
		"ok2":                    "http://user:secret@h/",
		"ok3":                    "https://h/up?X-Amz-Signature=abc",
		strings.Repeat("x", 201): "http://h/",
	} {
		_, err := q.Create(ctx, name, target, nil)
		require.Error(t, err, "%q %q", name, target)
		assert.NotContains(t, err.Error(), "secret")
		assert.NotContains(t, err.Error(), "abc")
	}
	_, err = q.Create(ctx, "short", "http://h/", &RunOptions{Lease: time.Millisecond})
	assert.ErrorContains(t, err, "Lease")
	_, err = q.Create(ctx, "sched", "http://h/", &RunOptions{Retry: level3.Schedule{Initial: -1}})
	assert.ErrorContains(t, err, "RunOptions.Retry")

	require.NoError(t, r.Delete(ctx))
	_, err = q.Open(ctx, "nightly")
	assert.ErrorIs(t, err, ErrNoRun)
}

// TestAddIsIdempotent: a file added twice, from two adders at once, is one
// item; the names are UploadAll's.
func TestAddIsIdempotent(t *testing.T) {
	q, _ := queueOn(t)
	ctx := context.Background()
	dir, names := files(t, 600) // more than two batches
	r, err := q.Create(ctx, "add", "http://127.0.0.1:1/up", nil)
	require.NoError(t, err)

	var wg sync.WaitGroup
	sums := make([]AddSummary, 2)
	for i := range sums {
		wg.Go(func() {
			var err error
			sums[i], err = r.Add(ctx, dir)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, 600, sums[0].Found)
	assert.Equal(t, 600, sums[0].Added+sums[1].Added, "each file added once between the two")
	sum, err := r.Add(ctx, filepath.Join(dir, names[0]), dir)
	require.NoError(t, err)
	assert.Equal(t, AddSummary{Found: 601, Added: 0}, sum)

	st, err := r.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, Status{Total: 600, Pending: 600}, st)
	it, err := r.Item(ctx, filepath.Join(dir, "sub", "f0009.txt"))
	require.NoError(t, err)
	assert.Equal(t, Item{Path: filepath.Join(dir, "sub", "f0009.txt"), Name: "sub/f0009.txt", State: ItemPending}, it)
	_, err = r.Item(ctx, filepath.Join(dir, "nope"))
	assert.ErrorIs(t, err, ErrNoItem)
	n := 0
	for it, err := range r.Items(ctx) {
		require.NoError(t, err)
		assert.Equal(t, ItemPending, it.State)
		n++
	}
	assert.Equal(t, 600, n)
}

// TestWorkersPostWithKeys: two workers drain a POST run together; each
// file is created once, with the key derived from the run and the file.
func TestWorkersPostWithKeys(t *testing.T) {
	q, _ := queueOn(t)
	srv := keyedTarget(t)
	ctx := context.Background()
	dir, names := files(t, 40)
	r, err := q.Create(ctx, "post", srv.URL+"/up", nil)
	require.NoError(t, err)
	_, err = r.Add(ctx, dir)
	require.NoError(t, err)

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		results []level3.FileResult
		sums    [2]WorkSummary
	)
	for i := range sums {
		wg.Go(func() {
			var err error
			sums[i], err = r.Work(ctx, client(t), &WorkOptions{Concurrency: 3, OnResult: func(fr level3.FileResult) {
				mu.Lock()
				results = append(results, fr)
				mu.Unlock()
			}})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, 40, sums[0].Uploaded+sums[1].Uploaded)
	assert.Equal(t, Status{Total: 40, Done: 40}, sums[0].Run)
	assert.Len(t, results, 40, "OnResult once per item, in the worker that finished it")
	assert.Len(t, created(srv), 40, "one resource per file")

	for _, name := range names {
		it, err := r.Item(ctx, filepath.Join(dir, filepath.FromSlash(name)))
		require.NoError(t, err)
		assert.Equal(t, ItemDone, it.State)
		assert.Equal(t, name, it.Name)
		assert.Equal(t, http.StatusCreated, it.Status)
		assert.True(t, strings.HasPrefix(it.Location, srv.URL+"/up/"), it.Location)
		assert.Equal(t, 1, it.Attempts)
		assert.Equal(t, int64(len("file "+name)), it.Bytes)
		key := `"` + r.itemKey(it.Path) + `"`
		n, ok := srv.Submissions("/up", key)
		assert.True(t, ok, "sent with the run's key for %s", name)
		assert.Equal(t, 1, n)
	}
	// The same run worked again changes nothing.
	sum, err := r.Work(ctx, client(t), nil)
	require.NoError(t, err)
	assert.Zero(t, sum.Uploaded)
}

// TestWorkPutAndFailures: a PUT run sends each file once to its URL; a file
// the server refuses and one that vanished are failed items, and Work says
// the run failed.
func TestWorkPutAndFailures(t *testing.T) {
	q, _ := queueOn(t)
	dir, names := files(t, 12)
	srv := putTarget(t, names)
	srv.Fail("/put/"+names[3], mocks.Status(http.StatusForbidden))
	ctx := context.Background()
	r, err := q.Create(ctx, "put", srv.URL+"/put", &RunOptions{Put: true})
	require.NoError(t, err)
	_, err = r.Add(ctx, dir, filepath.Join(dir, "missing.txt"))
	require.NoError(t, err)
	require.NoError(t, os.Remove(filepath.Join(dir, names[5]))) // gone before a worker takes it

	sum, err := r.Work(ctx, client(t), &WorkOptions{Concurrency: 2})
	require.ErrorIs(t, err, level3.ErrBulkFailed)
	assert.Equal(t, Status{Total: 13, Done: 10, Failed: 3}, sum.Run)
	assert.Equal(t, 10, sum.Uploaded)
	assert.Equal(t, 3, sum.Failed)
	for i, name := range names {
		if i == 5 {
			continue
		}
		assert.Equal(t, 1, srv.Count("/put/"+name), name)
	}
	refused, err := r.Item(ctx, filepath.Join(dir, names[3]))
	require.NoError(t, err)
	assert.Equal(t, ItemFailed, refused.State)
	assert.Equal(t, http.StatusForbidden, refused.Status)
	assert.NotEmpty(t, refused.Error)
	gone, err := r.Item(ctx, filepath.Join(dir, "missing.txt"))
	require.NoError(t, err)
	assert.Equal(t, ItemFailed, gone.State)
	assert.Contains(t, gone.Error, "missing.txt")
	res, _ := srv.Resource("/put/" + names[0])
	assert.Equal(t, "file "+names[0], string(res.Body))
}

// TestWorkOnNginxWebDAV: a PUT run against real nginx WebDAV, collections
// made on the way.
func TestWorkOnNginxWebDAV(t *testing.T) {
	q, _ := queueOn(t)
	srv := realpeers.Nginx(t)
	dir, names := files(t, 30)
	ctx := context.Background()
	r, err := q.Create(ctx, "dav", srv.URL+"/dav/run/", &RunOptions{Put: true})
	require.NoError(t, err)
	_, err = r.Add(ctx, dir)
	require.NoError(t, err)
	sum, err := r.Work(ctx, client(t), nil)
	require.NoError(t, err)
	assert.Equal(t, 30, sum.Uploaded)
	for _, name := range names {
		got, err := os.ReadFile(filepath.Join(srv.DAVRoot, "run", filepath.FromSlash(name)))
		require.NoError(t, err)
		assert.Equal(t, "file "+name, string(got))
	}
	for _, e := range srv.AccessLog(t) {
		if e.Method == http.MethodPut {
			assert.Equal(t, 201, e.Status, e.URI)
		}
	}
	assert.Equal(t, 1, srv.Count(t, http.MethodPut, "/dav/run/"+names[0]))
}

// TestWorkTakesOverADeadWorkersItems: items claimed by a worker that never
// finishes them are taken over once their lease ran out, and the run
// completes.
func TestWorkTakesOverADeadWorkersItems(t *testing.T) {
	q, _ := queueOn(t)
	srv := keyedTarget(t)
	ctx := context.Background()
	dir, _ := files(t, 10)
	r, err := q.Create(ctx, "dead", srv.URL+"/up", &RunOptions{Lease: 200 * time.Millisecond})
	require.NoError(t, err)
	_, err = r.Add(ctx, dir)
	require.NoError(t, err)
	// A worker that claims four items and dies.
	got, err := q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "dead", Streams: []string{r.keys.stream, ">"}, Count: 4, Block: -1}).Result()
	require.NoError(t, err)
	require.Len(t, got[0].Messages, 4)
	st, err := r.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, Status{Total: 10, Pending: 6, InFlight: 4}, st)

	sum, err := r.Work(ctx, client(t), nil)
	require.NoError(t, err)
	assert.Equal(t, 10, sum.Uploaded)
	assert.Equal(t, 4, sum.Reclaimed)
	assert.Equal(t, Status{Total: 10, Done: 10}, sum.Run)
	assert.Len(t, created(srv), 10)
}

// TestRedoIsRecordedOnce: an item finished by two workers (the first's
// lease ran out while it was sending) keeps the first result and is counted
// once.
func TestRedoIsRecordedOnce(t *testing.T) {
	q, _ := queueOn(t)
	ctx := context.Background()
	dir, _ := files(t, 1)
	r, err := q.Create(ctx, "redo", "http://127.0.0.1:1/up", nil)
	require.NoError(t, err)
	_, err = r.Add(ctx, dir)
	require.NoError(t, err)
	msgs, err := q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "a", Streams: []string{r.keys.stream, ">"}, Count: 1, Block: -1}).Result()
	require.NoError(t, err)
	m := msgs[0].Messages[0]
	keys := []string{r.keys.items, r.keys.counts, r.keys.stream}
	path := m.Values["p"].(string)
	n, err := completeScript.Run(ctx, q.rdb, keys, group, path, "d", `{"n":"f0000.txt","s":201}`, m.ID).Int64Slice()
	require.NoError(t, err)
	assert.Equal(t, []int64{1}, n)
	n, err = completeScript.Run(ctx, q.rdb, keys, group, path, "f", `{"n":"f0000.txt","s":500}`, m.ID).Int64Slice()
	require.NoError(t, err)
	assert.Equal(t, []int64{0}, n, "recorded before")
	st, err := r.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, Status{Total: 1, Done: 1}, st)
	it, err := r.Item(ctx, path)
	require.NoError(t, err)
	assert.Equal(t, 201, it.Status)
	assert.Zero(t, q.rdb.XLen(ctx, r.keys.stream).Val(), "the entry is deleted once done")
	n, err = completeScript.Run(ctx, q.rdb, keys, group, "/not/an/item", "d", `{}`, m.ID, path, "d", `{}`, m.ID).Int64Slice()
	require.NoError(t, err)
	assert.Equal(t, []int64{-1, 0}, n)
}

// TestCancelHandsItemsBack: a worker whose context ends hands back what it
// was sending, and another takes it at once, without waiting for a lease.
func TestCancelHandsItemsBack(t *testing.T) {
	q, _ := queueOn(t)
	ctx := context.Background()
	dir, _ := files(t, 3)
	arrived := make(chan struct{}, 3)
	release := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-req.Context().Done():
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	srv := serve(t, slow)
	r, err := q.Create(ctx, "cancel", srv+"/dav/", &RunOptions{Put: true, Lease: time.Hour})
	require.NoError(t, err)
	_, err = r.Add(ctx, dir)
	require.NoError(t, err)

	wctx, cancel := context.WithCancel(ctx)
	done := make(chan WorkSummary)
	go func() {
		sum, err := r.Work(wctx, client(t), &WorkOptions{Concurrency: 3})
		assert.ErrorIs(t, err, context.Canceled)
		done <- sum
	}()
	for range 3 {
		<-arrived
	}
	cancel()
	sum := <-done
	assert.Equal(t, 3, sum.Released)
	assert.Equal(t, Status{Total: 3, InFlight: 3}, sum.Run)

	close(release)
	sum, err = r.Work(ctx, client(t), &WorkOptions{Concurrency: 3})
	require.NoError(t, err, "taken over at once though the lease is an hour")
	assert.Equal(t, 3, sum.Reclaimed)
	assert.Equal(t, Status{Total: 3, Done: 3}, sum.Run)
}

// TestWorkStopsWhenTheRunIsDeleted: a run deleted under its workers ends
// their work with ErrNoRun.
func TestWorkStopsWhenTheRunIsDeleted(t *testing.T) {
	q, _ := queueOn(t)
	ctx := context.Background()
	dir, _ := files(t, 2)
	started := make(chan struct{}, 2)
	release := make(chan struct{})
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		started <- struct{}{}
		<-release
		w.WriteHeader(http.StatusCreated)
	}))
	r, err := q.Create(ctx, "deleted", srv+"/dav/", &RunOptions{Put: true})
	require.NoError(t, err)
	_, err = r.Add(ctx, dir)
	require.NoError(t, err)
	errc := make(chan error)
	go func() {
		_, err := r.Work(ctx, client(t), nil)
		errc <- err
	}()
	<-started
	<-started
	require.NoError(t, r.Delete(ctx))
	close(release)
	assert.ErrorIs(t, <-errc, ErrNoRun)
}

// TestMisuse: calls that can never work fail with level3.ErrInvalidUse and
// never panic.
func TestMisuse(t *testing.T) {
	var nilCtx context.Context
	q, _ := queueOn(t)
	r, err := q.Create(context.Background(), "m", "http://h/", nil)
	require.NoError(t, err)
	var nilQ *Queue
	var nilR *Run
	calls := map[string]func() error{
		"nil Queue Create": func() error { _, err := nilQ.Create(context.Background(), "a", "http://h/", nil); return err },
		"zero Queue Open":  func() error { _, err := (&Queue{}).Open(context.Background(), "a"); return err },
		"nil ctx Create":   func() error { _, err := q.Create(nilCtx, "a", "http://h/", nil); return err },
		"nil ctx Open":     func() error { _, err := q.Open(nilCtx, "a"); return err },
		"nil Run Add":      func() error { _, err := nilR.Add(context.Background(), "x"); return err },
		"nil ctx Add":      func() error { _, err := r.Add(nilCtx, "x"); return err },
		"nil Run Work":     func() error { _, err := nilR.Work(context.Background(), client(t), nil); return err },
		"nil client Work":  func() error { _, err := r.Work(context.Background(), nil, nil); return err },
		"zero client Work": func() error { _, err := r.Work(context.Background(), &level3.Client{}, nil); return err },
		"nil ctx Status":   func() error { _, err := r.Status(nilCtx); return err },
		"nil Run Item":     func() error { _, err := nilR.Item(context.Background(), "x"); return err },
		"nil Run Delete":   func() error { return nilR.Delete(context.Background()) },
		"nil ctx Items": func() error {
			for _, err := range r.Items(nilCtx) {
				return err
			}
			return nil
		},
	}
	for name, call := range calls {
		assert.NotPanics(t, func() {
			assert.ErrorIs(t, call(), level3.ErrInvalidUse, name)
		}, name)
	}
	assert.Empty(t, nilR.Name())
	assert.Empty(t, nilR.Target())
	assert.Zero(t, nilR.Options())
	for name, o := range map[string]*WorkOptions{
		"concurrency": {Concurrency: -1},
		"lease":       {Lease: time.Millisecond},
		"redis retry": {RedisRetry: level3.Schedule{Multiplier: 0.5}},
	} {
		_, err := r.Work(context.Background(), client(t), o)
		assert.Error(t, err, name)
	}
}

// serve starts an HTTP server with h for the test and returns its URL.
func serve(t *testing.T, h http.Handler) string {
	if h == nil {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestWorkTakesBackItsLostDeliveries: items delivered to a worker whose
// answer it never got (a connection lost with Redis) are its own at once,
// without waiting for the lease.
func TestWorkTakesBackItsLostDeliveries(t *testing.T) {
	q, _ := queueOn(t)
	srv := keyedTarget(t)
	ctx := context.Background()
	dir, _ := files(t, 6)
	r, err := q.Create(ctx, "lost", srv.URL+"/up", &RunOptions{Lease: time.Hour})
	require.NoError(t, err)
	_, err = r.Add(ctx, dir)
	require.NoError(t, err)
	// Delivered to "w", whose answer was lost.
	_, err = q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "w", Streams: []string{r.keys.stream, ">"}, Count: 2, Block: -1}).Result()
	require.NoError(t, err)

	sum, err := r.Work(ctx, client(t), &WorkOptions{Consumer: "w"})
	require.NoError(t, err, "done though the lease is an hour")
	assert.Equal(t, 6, sum.Uploaded)
	assert.Zero(t, sum.Reclaimed, "its own, not taken over")
	assert.Len(t, created(srv), 6)
}
