package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/l3go/level3/internal/bench"
	"github.com/l3go/level3/internal/realpeers"
)

// Sizes of BenchmarkUploadVsCurlParallel: 1,000 files of 64 KiB, 8 at a time.
const (
	parallelFiles       = 1000
	parallelFileSize    = 64 << 10
	parallelConcurrency = 8
)

// processCost is what one run of a command cost: wall time, and the CPU
// time (user + system) of the process, as the kernel counted it.
type processCost struct{ wall, cpu time.Duration }

// runCounted runs cmd and returns its cost.
func runCounted(b *testing.B, cmd *exec.Cmd) processCost {
	b.Helper()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("%s: %v\n%s", cmd.Path, err, out)
	}
	ps := cmd.ProcessState
	return processCost{wall: wall, cpu: ps.UserTime() + ps.SystemTime()}
}

// medianMs returns the median of what f takes from each of costs, in
// milliseconds.
func medianMs(costs []processCost, f func(processCost) time.Duration) float64 {
	xs := make([]float64, len(costs))
	for i, c := range costs {
		xs[i] = f(c).Seconds() * 1000
	}
	return bench.Median(xs)
}

// wallOf and cpuOf are the fields of a processCost, for medianMs.
func wallOf(c processCost) time.Duration { return c.wall }
func cpuOf(c processCost) time.Duration  { return c.cpu }

// BenchmarkUploadVsCurlParallel uploads 1,000 files of 64 KiB, 8 at a time,
// by PUT to real nginx's WebDAV location, with `l3 upload --put
// --concurrency 8`, with curl's own parallel mode, `curl -Z --parallel-max 8
// -K LIST` (one process, its connections reused: curl at its best), and with
// testdata/rawput, the same job in plain net/http, over each transport:
// http/1.1, https/1.1 and https/h2 (curl with realpeers' Peer.CurlArgs,
// l3 with --cacert and, like rawput, Peer.GoEnv: HTTP/1.1 only over
// https/1.1). The three take turns going first;
// every run puts into a new directory, removed after it. It reports the
// medians of each one's wall and CPU time (user + system, counted by the
// kernel), and the medians of each round's ratios: l3/curl (x-wall, x-cpu)
// and l3/rawput (x-cpu-raw); below 1 is l3 better.
//
//	go test -run '^$' -bench UploadVsCurlParallel -benchtime 5x ./cmd/l3
func BenchmarkUploadVsCurlParallel(b *testing.B) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		b.Skip("curl not installed")
	}
	l3 := l3Binary(b)
	rawput := filepath.Join(b.TempDir(), "rawput")
	if out, err := exec.Command("go", "build", "-o", rawput, "./testdata/rawput").CombinedOutput(); err != nil {
		b.Fatalf("building rawput: %v\n%s", err, out)
	}
	srv := realpeers.Nginx(b)
	dir, names := bench.Tree(b, parallelFiles, parallelFileSize)
	cache := b.TempDir()

	for _, tr := range realpeers.Transports() {
		b.Run(strings.ReplaceAll(tr.Name, "/", ""), func(b *testing.B) {
			peer := srv.On(tr)
			base := peer.URL + "/dav/"
			// GOMAXPROCS from the environment would keep l3 upload on
			// its processors; empty is unset.
			env := append(append(os.Environ(), "L3_CACHE_DIR="+cache, "GOMAXPROCS="), peer.GoEnv()...)
			// Each runner puts every file under target, a new directory.
			runs := map[string]func(target string) processCost{
				"curl": func(target string) processCost {
					var list strings.Builder
					for _, n := range names {
						fmt.Fprintf(&list, "url = \"%s%s\"\nupload-file = \"%s\"\noutput = \"/dev/null\"\n", target, n, filepath.Join(dir, n))
					}
					listFile := filepath.Join(b.TempDir(), "list")
					if err := os.WriteFile(listFile, []byte(list.String()), 0o644); err != nil {
						b.Fatal(err)
					}
					args := append([]string{"-sSf", "-Z", "--parallel-max", fmt.Sprint(parallelConcurrency), "-K", listFile}, peer.CurlArgs()...)
					return runCounted(b, exec.Command(curl, args...))
				},
				"l3": func(target string) processCost {
					args := []string{"upload", "--put", "--concurrency", fmt.Sprint(parallelConcurrency)}
					if tr.TLS {
						args = append(args, "--cacert", srv.CAFile)
					}
					cmd := exec.Command(l3, append(args, target, dir+"/")...)
					cmd.Env = env
					return runCounted(b, cmd)
				},
				"rawput": func(target string) processCost {
					cmd := exec.Command(rawput, "-c", fmt.Sprint(parallelConcurrency), target, dir)
					cmd.Env = env
					return runCounted(b, cmd)
				},
			}
			order := []string{"curl", "l3", "rawput"}
			costs := map[string][]processCost{}
			var xWall, xCPU, xRaw []float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for k := range order {
					name := order[(i+k)%len(order)]
					sub := fmt.Sprintf("r%d-%s", i, name)
					costs[name] = append(costs[name], runs[name](base+sub+"/"))
					b.StopTimer()
					put := filepath.Join(srv.DAVRoot, sub)
					if got, err := os.ReadDir(put); err != nil || len(got) != parallelFiles {
						b.Fatalf("%s put %d files, want %d (%v)", name, len(got), parallelFiles, err)
					}
					os.RemoveAll(put)
					b.StartTimer()
				}
				c, l, r := costs["curl"][i], costs["l3"][i], costs["rawput"][i]
				xWall = append(xWall, l.wall.Seconds()/c.wall.Seconds())
				xCPU = append(xCPU, l.cpu.Seconds()/c.cpu.Seconds())
				xRaw = append(xRaw, l.cpu.Seconds()/r.cpu.Seconds())
			}
			b.StopTimer()
			b.ReportMetric(medianMs(costs["l3"], wallOf), "l3-wall-ms")
			b.ReportMetric(medianMs(costs["curl"], wallOf), "curl-wall-ms")
			b.ReportMetric(medianMs(costs["l3"], cpuOf), "l3-cpu-ms")
			b.ReportMetric(medianMs(costs["curl"], cpuOf), "curl-cpu-ms")
			b.ReportMetric(medianMs(costs["rawput"], wallOf), "raw-wall-ms")
			b.ReportMetric(medianMs(costs["rawput"], cpuOf), "raw-cpu-ms")
			b.ReportMetric(bench.Median(xWall), "x-wall")
			b.ReportMetric(bench.Median(xCPU), "x-cpu")
			b.ReportMetric(bench.Median(xRaw), "x-cpu-raw")
		})
	}
}
