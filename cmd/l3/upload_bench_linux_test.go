//go:build linux

package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/l3go/level3/internal/bench"
)

// BenchmarkPutSparseRSS measures the peak memory (resident set size) of
// `l3 put` uploading a 4 GiB sparse file, beside `curl -T` of the same file
// in the same run: both are child processes, measured by GNU time
// (bench.PeakRSS). The server, on loopback, reads and discards the
// body. It reports peak-MiB for each, and MB/s.
//
//	go test -run '^$' -bench BenchmarkPutSparseRSS -benchtime 1x ./cmd/l3
//
// The file is sparse: it takes no disk, and reads back as zeros from the page
// cache, so the figure is the client's own memory, not the disk's speed.
func BenchmarkPutSparseRSS(b *testing.B) {
	bench.RequireGNUTime(b)
	const size = 4 << 30
	tmp := b.TempDir()
	l3 := filepath.Join(tmp, "l3")
	if out, err := exec.Command("go", "build", "-o", l3, ".").CombinedOutput(); err != nil {
		b.Fatalf("building l3: %v\n%s", err, out)
	}
	sparse := filepath.Join(tmp, "sparse.bin")
	f, err := os.Create(sparse)
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		b.Fatal(err)
	}
	// Read it once, so that neither contender pays for filling the page
	// cache with the file's (zero) pages.
	if _, err := io.Copy(io.Discard, f); err != nil {
		b.Fatal(err)
	}
	f.Close()

	var received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			return // l3 put sends a HEAD for the validators afterwards
		}
		n, _ := io.Copy(io.Discard, r.Body)
		received.Store(n)
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()

	run := func(b *testing.B, name string, args ...string) {
		b.SetBytes(size)
		var peakKiB float64
		for i := 0; i < b.N; i++ {
			received.Store(0)
			kib, err := bench.PeakRSS(nil, name, args...)
			if err != nil {
				b.Fatal(err)
			}
			if received.Load() != size {
				b.Fatalf("the server received %d bytes, want %d", received.Load(), size)
			}
			peakKiB = max(peakKiB, kib)
		}
		b.ReportMetric(peakKiB/1024, "peak-MiB")
	}
	b.Run("l3-put", func(b *testing.B) { run(b, l3, "put", srv.URL+"/big.bin", sparse) })
	b.Run("curl-T", func(b *testing.B) {
		if _, err := exec.LookPath("curl"); err != nil {
			b.Skip("curl not installed")
		}
		run(b, "curl", "-sSf", "-o", "/dev/null", "-T", sparse, srv.URL+"/big.bin")
	})
}
