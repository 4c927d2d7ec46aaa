//go:build unix

package main

// Figures of runs shared through Redis (issue 13), each scenario run by the
// built l3 against a real redis-server: one of three workers killed with
// SIGKILL mid-run, Redis stopped for 5 s mid-run, and the cost of
// coordination (one worker, three workers, and a local run, on the same
// files against nginx WebDAV). They report counts (items lost, files sent or
// created twice) and wall times as ratios within the same run; bench/queue.sh
// runs them five times and prints medians and spreads.
//
//	go test -run '^$' -bench BenchmarkQueue -benchtime 1x ./cmd/l3

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/l3go/level3/internal/realpeers"
	"github.com/l3go/level3/mocks"
)

// benchFiles is how many files each scenario uploads.
const benchFiles = 2000

// BenchmarkQueueKill: three workers (the adding process and two --worker,
// 4 files at a time each, lease 2s) drain 2,000 files; once a third of them
// arrived, one --worker is killed with SIGKILL. Reported per run: items lost
// (not done in Redis, or not on the server with their bytes), files PUT more
// than once (requests, and requests whose whole body arrived), resources
// created more than once through POST with idempotency keys, items taken
// over.
func BenchmarkQueueKill(b *testing.B) {
	l3Binary(b) // built before any timing
	dir, names := queueFiles(b, benchFiles)
	for _, put := range []bool{true, false} {
		name := map[bool]string{true: "put", false: "post-keys"}[put]
		b.Run(name, func(b *testing.B) {
			var lost, sentTwice, storedTwice, createdTwice, tookOver float64
			for i := range b.N {
				b.StopTimer()
				redisSrv := realpeers.Redis(b)
				srv, target := queueTarget(b, put, names)
				run := fmt.Sprintf("kill-%d", i)
				args := func(worker string, more ...string) []string {
					return append([]string{"upload", "--queue", redisSrv.URL, "--run", run, "--concurrency", "4", "--lease", "2s", "-H", workerHeader + ": " + worker}, more...)
				}
				adding := []string{target, dir}
				if put {
					adding = append([]string{"--put"}, adding...)
				}
				b.StartTimer()
				first := startL3(b, args("a", adding...)...)
				waitFor(b, "the run to be made", func() bool { return queueTotal(b, redisSrv.URL, run) == benchFiles })
				victim := startL3(b, args("b", "--worker")...)
				third := startL3(b, args("c", "--worker")...)
				waitFor(b, "a third of the files", func() bool {
					return requestsBy(srv, "b") > 0 && uploads(srv) >= benchFiles/3
				})
				_ = victim.cmd.Process.Signal(syscall.SIGKILL)
				<-victim.exited
				if code := first.wait(b, 5*time.Minute); code != exitOK {
					b.Fatalf("first worker: exit %d\n%s", code, first.err.String())
				}
				if code := third.wait(b, 5*time.Minute); code != exitOK {
					b.Fatalf("third worker: exit %d\n%s", code, third.err.String())
				}
				b.StopTimer()

				st := runStatus(b, redisSrv.URL, run)
				lost += float64(st.Total - st.Done)
				if os.Getenv("QUEUE_BENCH_LOG") != "" {
					b.Logf("a: %s\nb: %s\nc: %s", first.err.String(), victim.err.String(), third.err.String())
				}
				tookOver += float64(countTakenOver(first.err.String()) + countTakenOver(third.err.String()))
				if put {
					sent, stored := map[string]int{}, map[string]int{}
					for _, r := range srv.Requests() {
						if r.Method == http.MethodPut {
							sent[r.Path]++
							if r.BodyBytes == int64(len("file ")+len(strings.TrimPrefix(r.Path, "/put/"))) {
								stored[r.Path]++
							}
						}
					}
					for _, n := range names {
						res, _ := srv.Resource("/put/" + n)
						if string(res.Body) != "file "+n {
							lost++
						}
						if sent["/put/"+n] > 1 {
							sentTwice++
						}
						if stored["/put/"+n] > 1 {
							storedTwice++
						}
					}
				} else {
					made := 0
					for _, p := range srv.Paths() {
						if strings.HasPrefix(p, "/up/") {
							made++
						}
					}
					createdTwice += float64(max(made-benchFiles, 0))
					lost += float64(max(benchFiles-made, 0))
				}
				redisSrv.Stop()
				srv.Close()
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(lost/n, "lost")
			b.ReportMetric(tookOver/n, "taken-over")
			if put {
				b.ReportMetric(sentTwice/n, "put-sent-twice")
				b.ReportMetric(storedTwice/n, "put-stored-twice")
			} else {
				b.ReportMetric(createdTwice/n, "created-twice")
			}
		})
	}
}

// BenchmarkQueueOutage: three workers drain 2,000 files (PUT to the fake
// server); once a third arrived, Redis (append-only, fsync always) is
// stopped for 5 s and restarted. Reported per run: items lost, files sent
// more than once, and the wall time beside that of the same run without an
// outage (outage-extra-s: the difference).
func BenchmarkQueueOutage(b *testing.B) {
	l3Binary(b) // built before any timing
	dir, names := queueFiles(b, benchFiles)
	var lost, sentTwice, extra float64
	for i := range b.N {
		b.StopTimer()
		var walls [2]time.Duration
		for k, outage := range []bool{false, true} {
			redisSrv := realpeers.Redis(b, realpeers.RedisAppendOnly())
			srv, _ := queueTarget(b, true, names)
			run := fmt.Sprintf("outage-%d-%d", i, k)
			args := func(more ...string) []string {
				return append([]string{"upload", "--queue", redisSrv.URL, "--run", run, "--concurrency", "4"}, more...)
			}
			start := time.Now()
			if outage {
				b.StartTimer()
			}
			procs := []*l3Process{startL3(b, args("--put", srv.URL+"/put/", dir)...)}
			waitFor(b, "the run to be made", func() bool { return queueTotal(b, redisSrv.URL, run) == benchFiles })
			procs = append(procs, startL3(b, args("--worker")...), startL3(b, args("--worker")...))
			if outage {
				waitFor(b, "a third of the files", func() bool { return uploads(srv) >= benchFiles/3 })
				redisSrv.Stop()
				time.Sleep(5 * time.Second)
				redisSrv.Restart(b)
			}
			for _, p := range procs {
				if code := p.wait(b, 5*time.Minute); code != exitOK {
					b.Fatalf("worker: exit %d\n%s", code, p.err.String())
				}
			}
			walls[k] = time.Since(start)
			if outage {
				b.StopTimer()
				st := runStatus(b, redisSrv.URL, run)
				lost += float64(st.Total - st.Done)
				sent := map[string]int{}
				for _, r := range srv.Requests() {
					if r.Method == http.MethodPut {
						sent[r.Path]++
					}
				}
				for _, n := range names {
					if res, _ := srv.Resource("/put/" + n); string(res.Body) != "file "+n {
						lost++
					}
					if sent["/put/"+n] > 1 {
						sentTwice++
					}
				}
			}
			redisSrv.Stop()
			srv.Close()
		}
		extra += (walls[1] - walls[0]).Seconds()
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(lost/n, "lost")
	b.ReportMetric(sentTwice/n, "sent-twice")
	b.ReportMetric(extra/n, "outage-extra-s")
}

// BenchmarkQueueScale: 2,000 files of 64 KiB PUT to nginx WebDAV, 12 at a
// time in all, three ways in each run: a local `l3 upload --put` (the
// baseline), one worker of a Redis run, and three workers of 4 each (the
// same adding command started three times at once). All
// run on the same machine, so this measures what coordination costs, not
// what more machines would bring. It reports each wall time and the ratios
// to the local run. The three take turns going first.
func BenchmarkQueueScale(b *testing.B) {
	l3Binary(b) // built before any timing
	dir := b.TempDir()
	const files = benchFiles
	body := strings.Repeat("x", 64<<10)
	for i := range files {
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%20), fmt.Sprintf("f%04d.bin", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	redisSrv := realpeers.Redis(b)
	nginx := realpeers.Nginx(b)
	var local, one, three float64
	for i := range b.N {
		b.StopTimer()
		target := func(way string) string { return fmt.Sprintf("%s/dav/scale-%d-%s/", nginx.URL, i, way) }
		ways := []struct {
			wall *float64
			run  func()
		}{
			{&local, func() { mustExit0(b, startL3(b, "upload", "--put", "--concurrency", "12", target("local"), dir)) }},
			{&one, func() {
				mustExit0(b, startL3(b, "upload", "--queue", redisSrv.URL, "--run", fmt.Sprintf("one-%d", i), "--put", "--concurrency", "12", target("one"), dir))
			}},
			{&three, func() {
				// The same line started on three machines at once, as
				// docs/scale.md suggests: each adds (the first one's files
				// count, the others find them there) and works.
				run := fmt.Sprintf("three-%d", i)
				args := []string{"upload", "--queue", redisSrv.URL, "--run", run, "--concurrency", "4", "--put", target("three"), dir}
				procs := []*l3Process{startL3(b, args...), startL3(b, args...), startL3(b, args...)}
				for _, p := range procs {
					mustExit0(b, p)
				}
				if st := runStatus(b, redisSrv.URL, run); st.Done != files {
					b.Fatalf("three workers: %+v", st)
				}
			}},
		}
		// A different way first in each run, each after the disk's
		// writeback of the last one, so that neither order nor the last
		// way's dirty pages fall on one way only.
		first := scaleRuns
		scaleRuns++
		for k := range ways {
			w := ways[(first+k)%len(ways)]
			syscall.Sync()
			b.StartTimer()
			t0 := time.Now()
			w.run()
			*w.wall += time.Since(t0).Seconds()
			b.StopTimer()
		}
		for _, way := range []string{"local", "one", "three"} {
			_ = os.RemoveAll(filepath.Join(nginx.DAVRoot, fmt.Sprintf("scale-%d-%s", i, way)))
		}
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(local/n, "local-s")
	b.ReportMetric(one/n, "queue1-s")
	b.ReportMetric(three/n, "queue3-s")
	b.ReportMetric(one/local, "queue1/local")
	b.ReportMetric(three/local, "queue3/local")
}

// scaleRuns counts the runs of BenchmarkQueueScale in this process (over
// -count too), to choose which way goes first.
var scaleRuns int

// mustExit0 waits for p and fails the benchmark unless it exited 0.
func mustExit0(b *testing.B, p *l3Process) {
	b.Helper()
	if code := p.wait(b, 10*time.Minute); code != exitOK {
		b.Fatalf("l3 %q: exit %d\n%s", p.cmd.Args[1:], code, p.err.String())
	}
}

// uploads counts the PUTs and POSTs the fake server saw.
func uploads(srv *mocks.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPut || r.Method == http.MethodPost {
			n++
		}
	}
	return n
}

// countTakenOver reads how many items a worker took over from its summary
// line ("... failed here (N taken over, ...").
func countTakenOver(stderr string) int {
	i := strings.Index(stderr, "failed here (")
	if i < 0 {
		return 0
	}
	var n int
	_, _ = fmt.Sscanf(stderr[i+len("failed here ("):], "%d", &n)
	return n
}
