package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/l3go/level3/internal/bench"
	"github.com/l3go/level3/internal/realpeers"
)

// BenchmarkDownloadVsCurl downloads one file (256 MiB, or L3_BENCH_MIB) from
// real nginx to a file with `l3 download` and with `curl -o`, over each
// transport, and beside them `curl -o /dev/null`: a client that receives
// and decrypts the same bytes but writes nothing, the most any client
// writing a file could hope for. The three take turns, round by round. It
// reports the median wall and CPU time of each process, the CPU time of
// nginx's processes during each (bench/README.md: on one machine the server
// shares the client's cores), and per-round ratios: x-speed (curl's wall
// time over l3's: above 1, l3 is faster) and x-ceiling (curl's over that of
// curl -o /dev/null).
//
//	go test -run '^$' -bench DownloadVsCurl -benchtime 5x -count 5 ./cmd/l3 | awk -f bench/summarize.awk
func BenchmarkDownloadVsCurl(b *testing.B) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		b.Skip("curl not installed")
	}
	size := int(bench.Size(b, 256))
	l3 := l3Binary(b)
	srv := realpeers.Nginx(b)
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*7 + i>>12)
	}
	realpeers.WriteFile(b, srv.DocRoot, "big.bin", data)
	dir, cache := b.TempDir(), b.TempDir()
	out := filepath.Join(dir, "big.bin")

	for _, tr := range realpeers.Transports() {
		b.Run(strings.ReplaceAll(tr.Name, "/", ""), func(b *testing.B) {
			peer := srv.On(tr)
			url := peer.URL + "/files/big.bin"
			// GOMAXPROCS from the environment would keep l3 on its
			// processors; empty is unset.
			env := append(append(os.Environ(), "L3_CACHE_DIR="+cache, "GOMAXPROCS="), peer.GoEnv()...)
			curlArgs := append([]string{"-sSf"}, peer.CurlArgs()...)
			runs := map[string]func() *exec.Cmd{
				"curl": func() *exec.Cmd { return exec.Command(curl, append(curlArgs, "-o", out, url)...) },
				"null": func() *exec.Cmd { return exec.Command(curl, append(curlArgs, "-o", os.DevNull, url)...) },
				"l3": func() *exec.Cmd {
					cmd := exec.Command(l3, "download", "--no-cache", "-o", out, url)
					cmd.Env = env
					return cmd
				},
			}
			order := []string{"curl", "null", "l3"}
			costs := map[string][]processCost{}
			server := map[string][]float64{}
			var xSpeed, xCeiling []float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for k := range order {
					name := order[(i+k)%len(order)]
					b.StopTimer()
					os.Remove(out)
					before, err := srv.CPUTime()
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					costs[name] = append(costs[name], runCounted(b, runs[name]()))
					b.StopTimer()
					after, err := srv.CPUTime()
					if err != nil {
						b.Fatal(err)
					}
					server[name] = append(server[name], (after - before).Seconds())
					if fi, err := os.Stat(out); name != "null" && (err != nil || fi.Size() != int64(size)) {
						b.Fatalf("%s wrote %v, want %d bytes (%v)", name, fi, size, err)
					}
					b.StartTimer()
				}
				c := costs["curl"][i].wall.Seconds()
				xSpeed = append(xSpeed, c/costs["l3"][i].wall.Seconds())
				xCeiling = append(xCeiling, c/costs["null"][i].wall.Seconds())
			}
			b.StopTimer()
			os.Remove(out)
			for _, name := range order {
				b.ReportMetric(medianMs(costs[name], wallOf), name+"-wall-ms")
				b.ReportMetric(medianMs(costs[name], cpuOf), name+"-cpu-ms")
				b.ReportMetric(bench.Median(server[name])*1000, "nginx-cpu-ms-"+name)
			}
			b.ReportMetric(bench.Median(xSpeed), "x-speed")
			b.ReportMetric(bench.Median(xCeiling), "x-ceiling")
		})
	}
}
