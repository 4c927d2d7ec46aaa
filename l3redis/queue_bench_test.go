package l3redis

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/realpeers"
)

// BenchmarkWorkOverhead: 1,000 small files PUT to a loopback server that
// discards them, 12 at a time, by Client.UploadAll (the baseline) and by one
// worker of a Redis run: what coordination costs per file, without a real
// server's work to hide it.
//
//	go test -run '^$' -bench BenchmarkWorkOverhead -count 5 ./l3redis
func BenchmarkWorkOverhead(b *testing.B) {
	const n = 1000
	dir, _ := files(b, n)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	q, _ := queueOn(b)
	c := client(b)
	ctx := context.Background()

	b.Run("UploadAll", func(b *testing.B) {
		for range b.N {
			if _, err := c.UploadAll(ctx, srv.URL+"/put/", []string{dir}, &level3.BulkOptions{Put: true, Concurrency: 12}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Work", func(b *testing.B) {
		for i := range b.N {
			r, err := q.Create(ctx, fmt.Sprintf("overhead-%d", i), srv.URL+"/put/", &RunOptions{Put: true})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.Add(ctx, dir); err != nil {
				b.Fatal(err)
			}
			if _, err := r.Work(ctx, c, &WorkOptions{Concurrency: 12}); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			_ = r.Delete(ctx)
			b.StartTimer()
		}
	})
}

// BenchmarkWorkOverheadNginx is BenchmarkWorkOverhead with 500 files of
// 64 KiB PUT to real nginx WebDAV, which does the work a server does.
//
//	go test -run '^$' -bench BenchmarkWorkOverheadNginx -count 5 ./l3redis
func BenchmarkWorkOverheadNginx(b *testing.B) {
	n := 500
	if v, err := strconv.Atoi(os.Getenv("QUEUE_BENCH_FILES")); err == nil {
		n = v
	}
	dir := b.TempDir()
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d.bin", i)), bytes.Repeat([]byte("x"), 64<<10), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	nginx := realpeers.Nginx(b)
	q, _ := queueOn(b)
	c := client(b)
	ctx := context.Background()
	runs := 0
	b.Run("UploadAll", func(b *testing.B) {
		for range b.N {
			runs++
			if _, err := c.UploadAll(ctx, fmt.Sprintf("%s/dav/all-%d/", nginx.URL, runs), []string{dir}, &level3.BulkOptions{Put: true, Concurrency: 12}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Work", func(b *testing.B) {
		for range b.N {
			runs++
			r, err := q.Create(ctx, fmt.Sprintf("nginx-%d", runs), fmt.Sprintf("%s/dav/work-%d/", nginx.URL, runs), &RunOptions{Put: true})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.Add(ctx, dir); err != nil {
				b.Fatal(err)
			}
			if _, err := r.Work(ctx, c, &WorkOptions{Concurrency: 12}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRunMemory measures what a run costs Redis per item, with MEMORY
// USAGE (every element counted: SAMPLES 0) of each of its keys and the
// server's used_memory, for 100,000 items with paths of 50 bytes and names
// of 25 (/srv/archive/photos/2026/batch-0042/IMG_000123.jpg): once added
// (waiting), and once every item is done with a typical result (201, a
// 55-byte location, an entity tag, 1 attempt, a size). It reports bytes per
// item, and the wall time per item of adding them (batches of 256) and of
// claiming and recording them (batches of 64) from one client; docs/scale.md
// multiplies them out.
//
//	go test -run '^$' -bench BenchmarkRunMemory -benchtime 1x ./l3redis
func BenchmarkRunMemory(b *testing.B) {
	const n = 100_000
	for range b.N {
		b.StopTimer()
		redisSrv := realpeers.Redis(b)
		rdb, err := Dial(context.Background(), redisSrv.URL)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		q := NewQueue(rdb)
		r, err := q.Create(ctx, "memory", "https://dav.example.com/photos/", &RunOptions{Put: true})
		if err != nil {
			b.Fatal(err)
		}
		usage := func() (keys, used float64) {
			for _, k := range []string{r.keys.meta, r.keys.items, r.keys.counts, r.keys.stream} {
				v, err := rdb.MemoryUsage(ctx, k, 0).Result()
				if err == nil {
					keys += float64(v)
				}
			}
			info := rdb.InfoMap(ctx, "memory").Val()
			used, _ = strconv.ParseFloat(info["Memory"]["used_memory"], 64)
			return keys, used
		}
		_, before := usage()
		keys := []string{r.keys.items, r.keys.counts, r.keys.stream}
		name := func(i int) string { return fmt.Sprintf("batch-%04d/IMG_%06d.jpg", i/1000, i) }
		path := func(i int) string { return "/srv/archive/photos/2026/" + name(i) }
		t0 := time.Now()
		for i := 0; i < n; i += addBatch {
			args := make([]any, 0, 2*addBatch)
			for j := i; j < min(i+addBatch, n); j++ {
				args = append(args, path(j), name(j))
			}
			if err := addScript.Run(ctx, rdb, keys, args...).Err(); err != nil {
				b.Fatal(err)
			}
		}
		added := time.Since(t0)
		queuedKeys, queuedUsed := usage()
		t0 = time.Now()
		// Claim and complete them all, as workers would.
		for done := 0; done < n; {
			streams, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "w", Streams: []string{r.keys.stream, ">"}, Count: recordBatch, Block: -1}).Result()
			if err != nil {
				b.Fatal(err)
			}
			args := []any{group}
			for _, m := range streams[0].Messages {
				p := m.Values["p"].(string)
				res, _ := jsonString(result{Name: m.Values["n"].(string), Status: 201, Location: "https://dav.example.com/photos/" + m.Values["n"].(string), ETag: `"66f2a1b3-25dc52"`, Attempts: 1, Bytes: 2481234})
				args = append(args, p, "d", res, m.ID)
				done++
			}
			if err := completeScript.Run(ctx, rdb, keys, args...).Err(); err != nil {
				b.Fatal(err)
			}
		}
		completed := time.Since(t0)
		doneKeys, doneUsed := usage()
		b.ReportMetric(float64(added.Microseconds())/n, "µs/item-add")
		b.ReportMetric(float64(completed.Microseconds())/n, "µs/item-claim+record")
		b.ReportMetric(queuedKeys/n, "B/item-queued-keys")
		b.ReportMetric((queuedUsed-before)/n, "B/item-queued-used")
		b.ReportMetric(doneKeys/n, "B/item-done-keys")
		b.ReportMetric((doneUsed-before)/n, "B/item-done-used")
		_ = rdb.Close()
		redisSrv.Stop()
		b.StartTimer()
	}
}
