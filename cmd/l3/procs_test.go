package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

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
	assert.Equal(t, 1, procsFor("upload", unset), "a bulk upload runs on one processor")
	assert.Zero(t, procsFor("upload", set), "the environment's GOMAXPROCS wins")
	for _, cmd := range []string{"download", "get", "put", "demo", "serve", ""} {
		assert.Zero(t, procsFor(cmd, unset), "%q keeps Go's choice", cmd)
	}
	limitProcs(nil, unset) // no command: nothing to do, no panic
}

// lastSchedLine returns the last "SCHED" line GODEBUG=schedtrace wrote in
// stderr, or "".
func lastSchedLine(stderr string) string {
	last := ""
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "SCHED ") {
			last = l
		}
	}
	return last
}

// TestBinaryUploadRunsOnOneProcessor checks main's wiring, through the
// runtime's own trace: `l3 upload` runs with GOMAXPROCS 1, other commands
// and an upload given GOMAXPROCS keep theirs.
func TestBinaryUploadRunsOnOneProcessor(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor here: nothing to tell apart")
	}
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
	assert.Contains(t, lastSchedLine(stderr), "gomaxprocs=1 ", "l3 upload")

	t.Setenv("GOMAXPROCS", "2")
	code, _, stderr = runBinary(t, 30*time.Second, "upload", "--put", "--concurrency", "1", slow.URL+"/in/", dir)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, lastSchedLine(stderr), "gomaxprocs=2 ", "l3 upload with GOMAXPROCS=2")

	os.Unsetenv("GOMAXPROCS") // t.Setenv restores it at the end
	code, _, stderr = runBinary(t, 30*time.Second, "get", slow.URL+"/a")
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, lastSchedLine(stderr), "gomaxprocs=1 ", "l3 get keeps Go's choice")
}
