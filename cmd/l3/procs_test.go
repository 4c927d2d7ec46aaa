package main

import (
	"bytes"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/l3go/level3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProcsFor(t *testing.T) {
	unset := func(string) string { return "" }
	set := func(k string) string {
		if k == "GOMAXPROCS" {
			return "4"
		}
		return ""
	}
	assert.NotNil(t, procsSetter(unset), "without GOMAXPROCS, commands may set the processors")
	assert.Nil(t, procsSetter(set), "the environment's GOMAXPROCS wins")

	var calls []int
	record := func(n int) int { calls = append(calls, n); return 2 }
	limitProcs([]string{"upload", "URL", "DIR"}, record)
	assert.Equal(t, []int{1}, calls, "a bulk upload runs on one processor")
	calls = nil
	for _, cmd := range []string{"download", "get", "put", "demo", "serve", ""} {
		limitProcs([]string{cmd}, record)
	}
	assert.Empty(t, calls, "other commands keep Go's choice")
	limitProcs([]string{"upload"}, nil) // GOMAXPROCS set: nothing to do, no panic
	limitProcs(nil, record)             // no command: nothing to do
	assert.Empty(t, calls)
}

// schedLine is a whole line of GODEBUG=schedtrace output. The runtime
// writes each line in pieces, so a process that exits mid-line leaves a
// cut one ("SCHED "), which must not count.
var schedLine = regexp.MustCompile(`(?m)^SCHED \d+ms: gomaxprocs=(\d+) `)

// lastProcs returns the gomaxprocs of the last whole trace line in stderr,
// and fails t when there is none.
func lastProcs(t *testing.T, stderr string) int {
	t.Helper()
	m := schedLine.FindAllStringSubmatch(stderr, -1)
	if len(m) == 0 {
		t.Fatalf("no whole SCHED line in stderr:\n%s", stderr)
	}
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}

// TestBinaryUploadRunsOnOneProcessor checks main's wiring, through the
// runtime's own trace: `l3 upload` runs with GOMAXPROCS 1, other commands
// and an upload given GOMAXPROCS keep theirs.
func TestBinaryUploadRunsOnOneProcessor(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor here: nothing to tell apart")
	}
	t.Setenv("GOMAXPROCS", "") // empty is unset, for the runtime and for main
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(40 * time.Millisecond) // long enough for a few trace lines
		if r.Method == http.MethodPut {
			w.WriteHeader(http.StatusCreated)
		}
	}))
	t.Cleanup(slow.Close)
	dir := tree(t, 3)
	t.Setenv("GODEBUG", "schedtrace=10")

	code, _, stderr := runBinary(t, 30*time.Second, "upload", "--put", "--concurrency", "1", slow.URL+"/in/", dir)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 1, lastProcs(t, stderr), "l3 upload")

	t.Setenv("GOMAXPROCS", "2")
	code, _, stderr = runBinary(t, 30*time.Second, "upload", "--put", "--concurrency", "1", slow.URL+"/in/", dir)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 2, lastProcs(t, stderr), "l3 upload with GOMAXPROCS=2")

	os.Unsetenv("GOMAXPROCS") // t.Setenv restores it at the end
	code, _, stderr = runBinary(t, 30*time.Second, "get", slow.URL+"/a")
	require.Equal(t, exitOK, code, stderr)
	assert.NotEqual(t, 1, lastProcs(t, stderr), "l3 get keeps Go's choice")
}

func TestOneProcOverHTTP2(t *testing.T) {
	var set []int
	setProcs := func(n int) int { set = append(set, n); return 2 }
	proto, fail := 1, false
	next := level3.DoerFunc(func(*http.Request) (*http.Response, error) {
		if fail {
			return nil, errors.New("refused")
		}
		return &http.Response{StatusCode: http.StatusOK, ProtoMajor: proto, Body: http.NoBody}, nil
	})
	d := oneProcOverHTTP2(setProcs)(next)
	req := httptest.NewRequest(http.MethodGet, "https://example.test/f", nil)

	_, err := d.Do(req)
	require.NoError(t, err)
	assert.Empty(t, set, "an HTTP/1.1 answer leaves the processors")
	fail = true
	_, err = d.Do(req)
	require.Error(t, err)
	assert.Empty(t, set, "a failed request leaves the processors")
	fail, proto = false, 2
	for range 3 {
		_, err = d.Do(req)
		require.NoError(t, err)
	}
	assert.Equal(t, []int{1}, set, "the first HTTP/2 answer sets one processor, once")
}

// TestBinaryDownloadOverHTTP2RunsOnOneProcessor checks main's wiring
// through the runtime's own trace: `l3 download` moves to one processor
// once an answer comes over HTTP/2, and keeps Go's choice over HTTP/1.1,
// over several connections, and when the environment sets GOMAXPROCS.
func TestBinaryDownloadOverHTTP2RunsOnOneProcessor(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor here: nothing to tell apart")
	}
	t.Setenv("GOMAXPROCS", "") // empty is unset, for the runtime and for main
	body := make([]byte, 1<<20)
	start := func(h2 bool) (url, caFile string) {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The body comes 40 ms after the header, from which l3 learns
			// the protocol: long enough for a few trace lines after it.
			http.ServeContent(&lateBody{ResponseWriter: w}, r, "f.bin", time.Unix(1e9, 0), bytes.NewReader(body))
		}))
		srv.EnableHTTP2 = h2
		srv.StartTLS()
		t.Cleanup(srv.Close)
		caFile = filepath.Join(t.TempDir(), "ca.pem")
		pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
		require.NoError(t, os.WriteFile(caFile, pemBytes, 0o600))
		return srv.URL + "/f.bin", caFile
	}
	t.Setenv("GODEBUG", "schedtrace=10")
	download := func(url, caFile string, more ...string) int {
		args := append([]string{"download", "--no-cache", "--cacert", caFile, "-o", filepath.Join(t.TempDir(), "f.bin")}, more...)
		code, _, stderr := runBinary(t, 30*time.Second, append(args, url)...)
		require.Equal(t, exitOK, code, stderr)
		return lastProcs(t, stderr)
	}

	h2URL, h2CA := start(true)
	assert.Equal(t, 1, download(h2URL, h2CA), "over HTTP/2")
	assert.NotEqual(t, 1, download(h2URL, h2CA, "--connections", "2"), "over HTTP/2, two connections")
	h1URL, h1CA := start(false)
	assert.NotEqual(t, 1, download(h1URL, h1CA), "over HTTP/1.1")
	t.Setenv("GOMAXPROCS", "2")
	assert.Equal(t, 2, download(h2URL, h2CA), "over HTTP/2 with GOMAXPROCS=2")
}

// lateBody sends the header at once and the body 40 ms later.
type lateBody struct {
	http.ResponseWriter
	waited bool
}

// WriteHeader sends the header, then waits before the body.
func (l *lateBody) WriteHeader(code int) {
	l.ResponseWriter.WriteHeader(code)
	if !l.waited {
		l.waited = true
		_ = http.NewResponseController(l.ResponseWriter).Flush()
		time.Sleep(40 * time.Millisecond)
	}
}
