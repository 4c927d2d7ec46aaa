// This file holds the workload of the tests and benchmarks of a fleet:
// polite Clients (Client) uploading files at once to a QuotaServer (Upload,
// Fleet), and the figures of a run (Figures, Impolite).

package politetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/l3go/level3"
	"github.com/l3go/level3/polite"
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

// Client returns a Client whose requests go through a Limiter of its own
// made with opts, as a process of a fleet would have.
func Client(tb testing.TB, opts polite.Options) *level3.Client {
	tb.Helper()
	lim, err := polite.New(&opts)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := level3.New(lim.ClientOptions(level3.RetryPolicy{})...)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Upload has each client upload files (PUT below its own path of s, /w0/,
// /w1/...) with UploadAll at concurrency 4 and the given retries, all
// clients at once, and returns what each UploadAll returned.
func Upload(ctx context.Context, s *QuotaServer, clients []*level3.Client, files []string, retry level3.Schedule) ([]level3.BulkSummary, []error) {
	var wg sync.WaitGroup
	errs := make([]error, len(clients))
	sums := make([]level3.BulkSummary, len(clients))
	for i, c := range clients {
		wg.Go(func() {
			sums[i], errs[i] = c.UploadAll(ctx, fmt.Sprintf("%s/w%d/", s.URL, i), files,
				&level3.BulkOptions{Put: true, Concurrency: 4, Retry: retry})
		})
	}
	wg.Wait()
	return sums, errs
}

// Fleet runs Upload with the default retries and returns the time from the
// first request the server got to the end of the last upload. Every file
// must be uploaded.
func Fleet(tb testing.TB, s *QuotaServer, clients []*level3.Client, files []string) time.Duration {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sums, errs := Upload(ctx, s, clients, files, level3.Schedule{})
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
// ("x_ideal"; the aim is at most 1.2) and the 429s in the first window and
// after it ("429s_after"; the aim is 0). It reports and checks nothing:
// the tests of a shared quota (polite's TestThreeClientsOfOneStoreStayWithinTheQuota,
// l3redis's TestThreeProcessesSharingRedisStayWithinTheQuota) assert the aims.
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
		var clients []*level3.Client
		for range 3 {
			c, err := level3.New()
			if err != nil {
				b.Fatal(err)
			}
			clients = append(clients, c)
		}
		sums, _ := Upload(context.Background(), s, clients, files, level3.Schedule{})
		failed := 0
		for _, sum := range sums {
			failed += sum.Failed
		}
		_, first, after := s.Counts()
		b.ReportMetric(float64(first), "429s_first")
		b.ReportMetric(float64(after), "429s_after")
		b.ReportMetric(float64(failed), "failed")
	}
}

// Ideal returns the shortest time in which n requests can go within the
// quota of s: all of a window's quota at its start, so the last batch at
// the start of window ⌈n/quota⌉.
func Ideal(s *QuotaServer, n int) time.Duration {
	return time.Duration((n+s.Quota-1)/s.Quota-1) * s.Window
}
