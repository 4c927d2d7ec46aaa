package level3

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/l3go/level3/internal/bench"
	"github.com/l3go/level3/internal/realpeers"
)

// Download benchmarks against real servers on loopback. They are heavy
// (hundreds of MiB to 4 GiB per run), so `go test ./...` never runs them;
// bench/downloads.sh runs them with the right -benchtime and prints the
// figures of the README. Each reports ratios against baselines measured
// in the same run.

// writerOnly hides *os.File's ReadFrom, so io.CopyBuffer uses the buffer it
// is given (os.File.ReadFrom copies a non-socket reader 32 KiB at a time).
type writerOnly struct{ io.Writer }

// rawDownload is the tuned net/http baseline: one GET, the body copied to a
// new file through a 1 MiB buffer.
func rawDownload(ctx context.Context, hc *http.Client, url, path string, buf []byte) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	n, err := io.CopyBuffer(writerOnly{f}, resp.Body, buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// BenchmarkDownloadThroughput downloads one file from nginx on loopback to
// disk with curl -o, with a tuned raw net/http copy and with
// Client.Download, in rotating order in every iteration, over each
// transport (http/1.1, https/1.1, https/h2: curl with --http1.1 or --http2
// and --cacert, the others with realpeers' transport for it), and reports
// the median throughput of each and the median over the iterations of
// Client.Download's speed-up against the others (x-curl, x-raw: above 1 is
// faster).
//
//	L3_BENCH_MIB=256 go test -run '^$' -bench DownloadThroughput -benchtime 7x .
func BenchmarkDownloadThroughput(b *testing.B) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		b.Skip("curl not installed")
	}
	size := bench.Size(b, 256)
	srv := realpeers.Nginx(b)
	realpeers.WriteFile(b, srv.DocRoot, "big.bin", content(int(size), 99))
	for _, tr := range realpeers.Transports() {
		b.Run(strings.ReplaceAll(tr.Name, "/", ""), func(b *testing.B) {
			downloadThroughput(b, curl, srv, tr, size)
		})
	}
}

// downloadThroughput is BenchmarkDownloadThroughput over one transport.
func downloadThroughput(b *testing.B, curl string, srv *realpeers.Server, tr realpeers.Transport, size int64) {
	url := srv.URLFor(tr) + "/files/big.bin"
	dir := b.TempDir()
	ctx := context.Background()
	hc := &http.Client{Transport: tr.HTTPTransport()}
	defer hc.CloseIdleConnections()
	c, err := New(WithHTTPClient(&http.Client{Transport: tr.HTTPTransport()}))
	if err != nil {
		b.Fatal(err)
	}
	defer c.HTTPClient().CloseIdleConnections()
	buf := make([]byte, bufferSize)
	curlArgs := append([]string{"-sS"}, srv.On(tr).CurlArgs()...)

	runs := map[string]func(path string) error{
		"curl": func(path string) error {
			out, err := exec.Command(curl, append(curlArgs, "-o", path, url)...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			return nil
		},
		"raw": func(path string) error {
			_, err := rawDownload(ctx, hc, url, path, buf)
			return err
		},
		"level3": func(path string) error {
			_, err := c.Download(ctx, url, path, nil)
			return err
		},
	}
	names := []string{"curl", "raw", "level3"}
	times := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range names {
			name := names[(i+k)%len(names)]
			path := filepath.Join(dir, name+".bin")
			start := time.Now()
			if err := runs[name](path); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
			times[name] = append(times[name], time.Since(start))
			b.StopTimer()
			if fi, err := os.Stat(path); err != nil || fi.Size() != size {
				b.Fatalf("%s: wrote %v bytes, want %d (%v)", name, fi, size, err)
			}
			os.Remove(path) // drop its dirty pages before the next run
			b.StartTimer()
		}
	}
	b.StopTimer()
	mbps := func(name string) float64 { return float64(size) / (1 << 20) / bench.Median(times[name]).Seconds() }
	b.ReportMetric(mbps("curl"), "curl-MiB/s")
	b.ReportMetric(mbps("raw"), "raw-MiB/s")
	b.ReportMetric(mbps("level3"), "level3-MiB/s")
	// The ratios are medians of each round's own ratio: the rounds' three
	// runs are seconds apart, so load from elsewhere on the machine mostly
	// cancels out.
	ratio := func(base string) float64 {
		rs := make([]time.Duration, len(times[base]))
		for i := range rs {
			rs[i] = time.Duration(float64(time.Second) * times[base][i].Seconds() / times["level3"][i].Seconds())
		}
		return bench.Median(rs).Seconds()
	}
	b.ReportMetric(ratio("curl"), "x-curl")
	b.ReportMetric(ratio("raw"), "x-raw")
}

// BenchmarkDownloadThrottled downloads a file from /slow/ (each connection
// throttled to about 1 MiB/s) with one connection and with four, and
// reports both times and their ratio (x4-vs-1: above 1 is faster), against
// nginx and Apache, over each transport (over h2 the four connections are
// four TCP connections, see DownloadOptions.Connections).
//
//	L3_BENCH_MIB=32 go test -run '^$' -bench DownloadThrottled -benchtime 1x .
func BenchmarkDownloadThrottled(b *testing.B) {
	size := bench.Size(b, 32)
	for _, peer := range realpeers.Starters() {
		b.Run(peer.Name, func(b *testing.B) {
			if peer.Name == "caddy" {
				b.Skip("Caddy 2.6 has no rate limit without plugins: no /slow/ (realpeers.Caddy)")
			}
			srv := peer.Start(b)
			realpeers.WriteFile(b, srv.DocRoot, "big.bin", content(int(size), 98))
			for _, tr := range realpeers.Transports() {
				b.Run(strings.ReplaceAll(tr.Name, "/", ""), func(b *testing.B) {
					downloadThrottled(b, srv, tr)
				})
			}
		})
	}
}

// downloadThrottled is BenchmarkDownloadThrottled against one server over
// one transport.
func downloadThrottled(b *testing.B, srv *realpeers.Server, tr realpeers.Transport) {
	url := srv.URLFor(tr) + "/slow/big.bin"
	dir := b.TempDir()
	c, err := New(WithHTTPClient(&http.Client{Transport: tr.HTTPTransport()}))
	if err != nil {
		b.Fatal(err)
	}
	defer c.HTTPClient().CloseIdleConnections()
	path := filepath.Join(dir, "big.bin")
	oneVersusFour(b, func(conns int) (*DownloadResult, error) {
		return c.Download(context.Background(), url, path, &DownloadOptions{Connections: conns})
	}, func() { os.Remove(path) })
}

// oneVersusFour runs download with one connection and with four, b.N
// times each, calling after (untimed) after each, and reports the median
// times (1conn-s, 4conn-s), their ratio (x4-vs-1: above 1 is faster) and
// the most connections counted in the downloads with four (conns).
func oneVersusFour(b *testing.B, download func(conns int) (*DownloadResult, error), after func()) {
	var one, four []time.Duration
	opened := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, conns := range []int{1, 4} {
			start := time.Now()
			res, err := download(conns)
			if err != nil {
				b.Fatal(err)
			}
			d := time.Since(start)
			b.StopTimer()
			after()
			b.StartTimer()
			if conns == 1 {
				one = append(one, d)
			} else {
				four = append(four, d)
				opened = max(opened, res.Connections)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(bench.Median(one).Seconds(), "1conn-s")
	b.ReportMetric(bench.Median(four).Seconds(), "4conn-s")
	b.ReportMetric(bench.Median(one).Seconds()/bench.Median(four).Seconds(), "x4-vs-1")
	b.ReportMetric(float64(opened), "conns")
	b.Logf("1 connection: %v; 4 connections: %v", one, four)
}

// BenchmarkDownloadPeakRSS downloads a 4 GiB file (sparse on the server
// side) from nginx with the l3 command, once over one connection and once
// over four, and with curl for comparison, and reports the peak resident
// memory of each process, measured by GNU time (bench.PeakRSS).
//
//	go test -run '^$' -bench DownloadPeakRSS -benchtime 1x .
func BenchmarkDownloadPeakRSS(b *testing.B) {
	bench.RequireGNUTime(b)
	size := bench.Size(b, 4096)
	srv := realpeers.Nginx(b)
	sparse := realpeers.WriteFile(b, srv.DocRoot, "huge.bin", nil)
	if err := os.Truncate(sparse, size); err != nil {
		b.Fatal(err)
	}
	// The first read of a sparse file fills the page cache with zero pages,
	// slowly; do it before anything is measured.
	if f, err := os.Open(sparse); err == nil {
		_, _ = io.Copy(io.Discard, f)
		f.Close()
	}
	bin := filepath.Join(b.TempDir(), "l3")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/l3").CombinedOutput(); err != nil {
		b.Fatalf("building l3: %v\n%s", err, out)
	}
	for _, tr := range realpeers.Transports() {
		b.Run(strings.ReplaceAll(tr.Name, "/", ""), func(b *testing.B) {
			downloadPeakRSS(b, bin, srv, tr, size)
		})
	}
}

// downloadPeakRSS is BenchmarkDownloadPeakRSS over one transport: l3 trusts
// the run's CA with --cacert and gets Peer.GoEnv (HTTP/1.1 only over
// https/1.1); curl gets Peer.CurlArgs.
func downloadPeakRSS(b *testing.B, bin string, srv *realpeers.Server, tr realpeers.Transport, size int64) {
	url := srv.URLFor(tr) + "/files/huge.bin"
	dir := b.TempDir()
	peer := srv.On(tr)
	env := append(append(os.Environ(), "L3_CACHE_DIR="+b.TempDir()), peer.GoEnv()...)
	l3Args := []string{bin, "download"}
	if tr.TLS {
		l3Args = append(l3Args, "--cacert", srv.CAFile)
	}
	curlArgs := append([]string{"curl", "-sS"}, peer.CurlArgs()...)
	run := func(args ...string) (rssMiB float64, d time.Duration) {
		path := filepath.Join(dir, "huge.bin")
		start := time.Now()
		kib, err := bench.PeakRSS(env, args[0], append(args[1:], path)...)
		d = time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() != size {
			b.Fatalf("%s: wrote %v, want %d bytes (%v)", args[0], fi, size, err)
		}
		os.Remove(path)
		return kib / 1024, d
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rss1, d1 := run(slices.Concat(l3Args, []string{url, "-o"})...)
		rss4, d4 := run(slices.Concat(l3Args, []string{"--connections", "4", url, "-o"})...)
		rssCurl, dCurl := run(slices.Concat(curlArgs, []string{url, "-o"})...)
		b.ReportMetric(rss1, "l3-MiB-rss")
		b.ReportMetric(rss4, "l3x4-MiB-rss")
		b.ReportMetric(rssCurl, "curl-MiB-rss")
		b.ReportMetric(float64(size)/(1<<20)/d1.Seconds(), "l3-MiB/s")
		b.ReportMetric(float64(size)/(1<<20)/d4.Seconds(), "l3x4-MiB/s")
		b.ReportMetric(float64(size)/(1<<20)/dCurl.Seconds(), "curl-MiB/s")
	}
}
