// This file holds Fleet, the workload of the tests and benchmarks of a
// fleet: workers uploading files at once to a QuotaServer.

package politetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/l3go/level3"
)

// Files writes n small files in a temporary directory and returns their
// paths.
func Files(tb testing.TB, n int) []string {
	tb.Helper()
	dir := tb.TempDir()
	paths := make([]string, n)
	for i := range paths {
		paths[i] = filepath.Join(dir, fmt.Sprintf("f%04d.txt", i))
		if err := os.WriteFile(paths[i], []byte("polite\n"), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return paths
}

// Fleet has each client upload files (PUT below its own path of s) with
// UploadAll at concurrency 4, all clients at once, and returns the time from
// the first request the server got to the end of the last upload. Every
// file must be uploaded.
func Fleet(tb testing.TB, s *QuotaServer, clients []*level3.Client, files []string) time.Duration {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(clients))
	sums := make([]level3.BulkSummary, len(clients))
	for i, c := range clients {
		wg.Go(func() {
			sums[i], errs[i] = c.UploadAll(ctx, fmt.Sprintf("%s/w%d/", s.URL, i), files,
				&level3.BulkOptions{Put: true, Concurrency: 4})
		})
	}
	wg.Wait()
	end := time.Now()
	for i, err := range errs {
		if err != nil || sums[i].Uploaded != len(files) {
			tb.Fatalf("worker %d: %d of %d uploaded: %v", i, sums[i].Uploaded, len(files), err)
		}
	}
	return end.Sub(s.Started())
}

// Figures runs Fleet as a benchmark of the polite clients made by newClient
// against a QuotaServer of quota requests per window, each of three workers
// uploading perWorker files, and reports the time over Ideal
// ("x_ideal", the figure: at most 1.2) and the 429s in the first window and
// after it ("429s_after" must be 0).
func Figures(b *testing.B, quota int, window time.Duration, perWorker int, newClient func(b *testing.B) *level3.Client) {
	files := Files(b, perWorker)
	for b.Loop() {
		s := NewQuotaServer(b, quota, window)
		clients := []*level3.Client{newClient(b), newClient(b), newClient(b)}
		took := Fleet(b, s, clients, files)
		_, first, after := s.Counts()
		b.ReportMetric(took.Seconds()/Ideal(s, 3*perWorker).Seconds(), "x_ideal")
		b.ReportMetric(took.Seconds(), "s_wall")
		b.ReportMetric(float64(first), "429s_first")
		b.ReportMetric(float64(after), "429s_after")
	}
}

// Impolite is the baseline of Figures: the same fleet with plain Clients
// (their own retries only). It reports the 429s and the files that failed.
func Impolite(b *testing.B, quota int, window time.Duration, perWorker int) {
	files := Files(b, perWorker)
	for b.Loop() {
		s := NewQuotaServer(b, quota, window)
		var wg sync.WaitGroup
		var failed atomic.Int64
		for i := range 3 {
			c, err := level3.New()
			if err != nil {
				b.Fatal(err)
			}
			wg.Go(func() {
				sum, _ := c.UploadAll(context.Background(), fmt.Sprintf("%s/w%d/", s.URL, i), files,
					&level3.BulkOptions{Put: true, Concurrency: 4})
				failed.Add(int64(sum.Failed))
			})
		}
		wg.Wait()
		_, first, after := s.Counts()
		b.ReportMetric(float64(first), "429s_first")
		b.ReportMetric(float64(after), "429s_after")
		b.ReportMetric(float64(failed.Load()), "failed")
	}
}

// Ideal returns the shortest time in which n requests can go within the
// quota of s: all of a window's quota at its start, so the last batch at
// the start of window ⌈n/quota⌉.
func Ideal(s *QuotaServer, n int) time.Duration {
	return time.Duration((n+s.Quota-1)/s.Quota-1) * s.Window
}
