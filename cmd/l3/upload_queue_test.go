//go:build unix

package main

// The CLI contract of runs shared through Redis, through the built binary,
// with a real redis-server: the three forms, exit codes and output; three
// workers of which one is killed with SIGKILL mid-run; Redis stopped
// mid-run and restarted.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/politetest"
	"github.com/l3go/level3/internal/realpeers"
	"github.com/l3go/level3/l3redis"
	"github.com/l3go/level3/mocks"
)

// queueFiles writes n small files, each with its own bytes, some in a
// subdirectory, and returns the directory and the names relative to it.
func queueFiles(t testing.TB, n int) (string, []string) {
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

// queueTarget returns a fake server for a run and the run's target: with
// put, a text resource at /put/NAME for each of names, which a PUT
// replaces; otherwise an upload resource at /up that honours idempotency
// keys.
func queueTarget(t testing.TB, put bool, names []string) (*mocks.Server, string) {
	t.Helper()
	srv := mocks.NewServer(t)
	if !put {
		up := mocks.Upload()
		up.IdempotencyKey = "optional"
		srv.Handle("/up", up)
		return srv, srv.URL + "/up"
	}
	for _, name := range names {
		srv.Handle("/put/"+name, mocks.Content([]byte("old"), "text/plain"))
	}
	return srv, srv.URL + "/put/"
}

// l3Process is a running l3.
type l3Process struct {
	cmd      *exec.Cmd
	out, err bytes.Buffer
	exited   chan struct{}
	code     int
}

// startL3 starts the built l3 with args and the test's cache directory.
func startL3(t testing.TB, args ...string) *l3Process {
	t.Helper()
	p := &l3Process{cmd: exec.Command(l3Binary(t), args...), exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), cacheDirEnv+"="+t.TempDir())
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
	require.NoError(t, p.cmd.Start())
	go func() {
		err := p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		_ = err
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// wait returns the exit code of p, failing the test if it takes longer
// than timeout.
func (p *l3Process) wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.code
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Fatalf("l3 %q did not finish within %v\nstdout: %s\nstderr: %s", p.cmd.Args[1:], timeout, p.out.String(), p.err.String())
		return -1
	}
}

// runStatus runs `l3 upload --queue URL --run NAME --status` and decodes
// its output.
func runStatus(t testing.TB, queue, run string, extra ...string) l3redis.Status {
	t.Helper()
	code, out, errOut := runBinary(t, time.Minute, append([]string{"upload", "--queue", queue, "--run", run, "--status"}, extra...)...)
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, 1, strings.Count(out, "\n"), "one line: %q", out)
	var st l3redis.Status
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&st))
	return st
}

func TestUploadQueueUsage(t *testing.T) {
	for _, args := range [][]string{
		{"upload", "--queue", "redis://127.0.0.1:1/0", "http://h/", "f"},
		{"upload", "--run", "r", "http://h/", "f"},
		{"upload", "--queue", "redis://127.0.0.1:1/0", "--run", "r", "--worker", "http://h/", "f"},
		{"upload", "--queue", "redis://127.0.0.1:1/0", "--run", "r", "--worker", "--status"},
		{"upload", "--queue", "redis://127.0.0.1:1/0", "--run", "r", "--worker", "--put"},
		{"upload", "--queue", "redis://127.0.0.1:1/0", "--run", "r", "--status", "--content-type", "a/b"},
		{"upload", "--queue", "redis://127.0.0.1:1/0", "--run", "r", "--journal", "j", "http://h/", "f"},
		{"upload", "--queue", "redis://127.0.0.1:1/0", "--run", "r", "--async", "http://h/", "f"},
		{"upload", "--queue", "redis://127.0.0.1:1/0", "--run", "r", "--lease", "1ms", "http://h/", "f"},
		{"upload", "--queue", "redis://127.0.0.1:1/0", "--run", "r", "--concurrency", "0", "--worker"},
		{"upload", "--queue", "redis://127.0.0.1:1/0", "--run", "r", "http://h/"},
		{"upload", "--lease", "5s", "http://h/", "f"},
	} {
		code, _, errOut := runL3(t, args...)
		assert.Equal(t, exitUsage, code, "%q: %s", args, errOut)
	}
	code, _, errOut := runL3(t, "upload", "--queue", "redis://:s3cret@127.0.0.1:1/0", "--run", "r", "--status")
	assert.Equal(t, exitFailed, code)
	assert.NotContains(t, errOut, "s3cret")
}

// TestBinaryUploadQueueContract: the three forms against real nginx WebDAV
// and the fake server, with real Redis.
func TestBinaryUploadQueueContract(t *testing.T) {
	redisSrv := realpeers.Redis(t)
	nginx := realpeers.Nginx(t)
	queue := redisSrv.URL
	dir, names := queueFiles(t, 25)
	target := nginx.URL + "/dav/contract/"

	code, _, errOut := runBinary(t, time.Minute, "upload", "--queue", queue, "--run", "nope", "--worker")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "no such run")

	// Adding, then working until drained: one JSON line per item.
	code, out, errOut := runBinary(t, time.Minute, "upload", "--queue", queue, "--run", "c", "--put", "--concurrency", "3", "--json", target, dir)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "run c: 25 files found, 25 new")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 25)
	var line fileJSON
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &line))
	assert.Equal(t, http.StatusCreated, line.Status)
	assert.Empty(t, line.Error)
	for _, name := range names {
		got, err := os.ReadFile(filepath.Join(nginx.DAVRoot, "contract", filepath.FromSlash(name)))
		require.NoError(t, err)
		assert.Equal(t, "file "+name, string(got))
	}
	assert.Equal(t, l3redis.Status{Total: 25, Done: 25}, runStatus(t, queue, "c"))
	assert.Equal(t, l3redis.Status{Total: 25, Done: 25}, runStatus(t, queue, "c", "--json"))

	// The same command again, and a worker: nothing to do, exit 0.
	code, out, errOut = runBinary(t, time.Minute, "upload", "--queue", queue, "--run", "c", "--put", "--concurrency", "3", target, dir)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "25 files found, 0 new")
	assert.Empty(t, out)
	code, _, errOut = runBinary(t, time.Minute, "upload", "--queue", queue, "--run", "c", "--worker")
	require.Equal(t, exitOK, code, errOut)
	puts := 0
	for _, e := range nginx.AccessLog(t) {
		if e.Method == http.MethodPut && strings.HasPrefix(e.URI, "/dav/contract/") {
			puts++
		}
	}
	assert.Equal(t, 25, puts, "each file PUT once")

	// Joining with other options is refused.
	code, _, errOut = runBinary(t, time.Minute, "upload", "--queue", queue, "--run", "c", target, dir)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "other options")

	// A failed item: exit 1 from the worker that met it and from any other.
	srv, _ := queueTarget(t, true, names[:5])
	srv.Fail("/put/"+names[2], mocks.Status(http.StatusForbidden))
	five := make([]string, 5)
	for i, name := range names[:5] {
		five[i] = filepath.Join(dir, filepath.FromSlash(name))
	}
	code, out, errOut = runBinary(t, time.Minute, append([]string{"upload", "--queue", queue, "--run", "failing", "--put", srv.URL + "/put/"}, five...)...)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "FAILED")
	assert.Contains(t, errOut, "1 of 5 items of run failing failed")
	code, _, _ = runBinary(t, time.Minute, "upload", "--queue", queue, "--run", "failing", "--worker")
	assert.Equal(t, exitFailed, code)
	assert.Equal(t, l3redis.Status{Total: 5, Done: 4, Failed: 1}, runStatus(t, queue, "failing"))
}

// workerHeader marks the requests of each worker process, so the test can
// tell them apart on the server.
const workerHeader = "X-L3-Worker"

// TestBinaryUploadQueueKillOneWorker: three workers drain a run; one is
// killed with SIGKILL mid-run. The other two finish the run: no item lost,
// a PUT target gets each file, a POST target that honours idempotency keys
// creates each file once.
func TestBinaryUploadQueueKillOneWorker(t *testing.T) {
	for _, put := range []bool{true, false} {
		name := map[bool]string{true: "PUT", false: "POST with keys"}[put]
		t.Run(name, func(t *testing.T) {
			const n = 90
			redisSrv := realpeers.Redis(t)
			dir, names := queueFiles(t, n)
			srv, target := queueTarget(t, put, names)
			if put {
				for _, name := range names {
					srv.Fail("/put/"+name, mocks.Delay(40*time.Millisecond).Times(3))
				}
			} else {
				srv.Fail("/up", mocks.Delay(40*time.Millisecond).OnlyFor(http.MethodPost).Times(3*n))
			}
			args := func(worker string, more ...string) []string {
				return append([]string{"upload", "--queue", redisSrv.URL, "--run", "kill", "--concurrency", "3", "--lease", "1s", "-H", workerHeader + ": " + worker}, more...)
			}
			adding := []string{"--json", target, dir}
			if put {
				adding = append([]string{"--put"}, adding...)
			}
			first := startL3(t, args("a", adding...)...)
			waitFor(t, "the run to be made", func() bool { return queueTotal(t, redisSrv.URL, "kill") == n })
			victim := startL3(t, args("b", "--worker")...)
			third := startL3(t, args("c", "--worker")...)
			waitFor(t, "worker b to upload", func() bool { return requestsBy(srv, "b") >= 5 })
			require.NoError(t, victim.cmd.Process.Signal(syscall.SIGKILL))
			<-victim.exited

			assert.Equal(t, exitOK, first.wait(t, time.Minute), first.err.String()+firstLines(first.out.String(), 3))
			assert.Equal(t, exitOK, third.wait(t, time.Minute), third.err.String())
			assert.Equal(t, l3redis.Status{Total: n, Done: n}, runStatus(t, redisSrv.URL, "kill"))
			assert.Contains(t, first.err.String()+third.err.String(), "took over items whose lease ran out")

			sentTwice := 0
			for _, name := range names {
				if put {
					res, _ := srv.Resource("/put/" + name)
					assert.Equal(t, "file "+name, string(res.Body), "%s arrived", name)
					if c := countMethod(srv, http.MethodPut, "/put/"+name); c > 1 {
						sentTwice++
					}
				}
			}
			if put {
				assert.LessOrEqual(t, sentTwice, 3, "only what the killed worker had in flight is sent again")
				return
			}
			var made []string
			for _, p := range srv.Paths() {
				if strings.HasPrefix(p, "/up/") {
					made = append(made, p)
				}
			}
			assert.Len(t, made, n, "each file created once through POST with keys")
		})
	}
}

// TestBinaryUploadQueueRedisOutage: Redis stops mid-run and comes back a
// second and a half later with its data; both workers wait, carry on, and
// complete the run with every file sent exactly once.
func TestBinaryUploadQueueRedisOutage(t *testing.T) {
	const n = 120
	redisSrv := realpeers.Redis(t, realpeers.RedisAppendOnly())
	dir, names := queueFiles(t, n)
	srv, _ := queueTarget(t, true, names)
	for _, name := range names {
		srv.Fail("/put/"+name, mocks.Delay(40*time.Millisecond))
	}
	args := func(more ...string) []string {
		return append([]string{"upload", "--queue", redisSrv.URL, "--run", "outage", "--concurrency", "3"}, more...)
	}
	first := startL3(t, args("--put", srv.URL+"/put/", dir)...)
	waitFor(t, "the run to be made", func() bool { return queueTotal(t, redisSrv.URL, "outage") == n })
	second := startL3(t, args("--worker")...)
	waitFor(t, "some uploads", func() bool { return len(putsSeen(srv)) >= 15 })
	redisSrv.Stop()
	time.Sleep(1500 * time.Millisecond) // the outage itself, not an assertion
	redisSrv.Restart(t)

	assert.Equal(t, exitOK, first.wait(t, time.Minute), first.err.String())
	assert.Equal(t, exitOK, second.wait(t, time.Minute), second.err.String())
	assert.Equal(t, l3redis.Status{Total: n, Done: n}, runStatus(t, redisSrv.URL, "outage"))
	for _, name := range names {
		assert.Equal(t, 1, countMethod(srv, http.MethodPut, "/put/"+name), "%s sent once", name)
	}
}

// waitFor polls cond every 10ms until it holds, failing the test after 30s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// queueTotal returns the number of items in a run, 0 while it does not
// exist.
func queueTotal(t testing.TB, queue, run string) int64 {
	ctx := context.Background()
	rdb, err := l3redis.Dial(ctx, queue)
	require.NoError(t, err)
	defer rdb.Close()
	r, err := l3redis.NewQueue(rdb).Open(ctx, run)
	if err != nil {
		return 0
	}
	st, err := r.Status(ctx)
	require.NoError(t, err)
	return st.Total
}

// requestsBy counts the requests of one worker (by workerHeader).
func requestsBy(srv *mocks.Server, worker string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Header.Get(workerHeader) == worker {
			n++
		}
	}
	return n
}

// countMethod counts the requests with method for path.
func countMethod(srv *mocks.Server, method, path string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// putsSeen returns the paths that got a PUT.
func putsSeen(srv *mocks.Server) map[string]bool {
	seen := map[string]bool{}
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPut {
			seen[r.Path] = true
		}
	}
	return seen
}

// TestBinaryUploadQueueFleetIsPolite: two l3 processes drain one run against
// a server allowing 10 requests per 2 s window, which it says in RateLimit
// fields. Through the run's Redis they spend one budget: after the first
// window, the server refuses none of their requests.
func TestBinaryUploadQueueFleetIsPolite(t *testing.T) {
	redisSrv := realpeers.Redis(t)
	quota := politetest.NewQuotaServer(t, 10, 2*time.Second)
	dir, _ := queueFiles(t, 30)
	queue := redisSrv.URL

	adder := startL3(t, "upload", "--queue", queue, "--run", "polite", "--put", "--concurrency", "4", quota.URL+"/put/", dir)
	waitFor(t, "the run to hold its items", func() bool { return queueTotal(t, queue, "polite") == 30 })
	workers := []*l3Process{adder,
		startL3(t, "upload", "--queue", queue, "--run", "polite", "--worker", "--concurrency", "4"),
		startL3(t, "upload", "--queue", queue, "--run", "polite", "--worker", "--concurrency", "4")}
	for _, w := range workers {
		assert.Equal(t, exitOK, w.wait(t, 2*time.Minute), w.err.String())
	}
	assert.Equal(t, l3redis.Status{Total: 30, Done: 30}, runStatus(t, queue, "polite"))
	accepted, _, rejectedAfter := quota.Counts()
	assert.Equal(t, 30, accepted)
	assert.Zero(t, rejectedAfter, "429s after the first window, per window %v", quota.PerWindow())
}
