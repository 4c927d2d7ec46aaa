package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

// runL3 runs one command line and returns its exit status and output.
func runL3(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, args, streams{in: strings.NewReader(""), out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

func shop(t *testing.T) *mocks.Server {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	return srv
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"discover"},
		{"discover", "a", "b"},
		{"discover", "--nope", "http://x"},
		{"get", "http://x", "-H", "no colon"},
		{"serve", "extra"},
		{"demo", "extra"},
	} {
		code, _, errOut := runL3(t, args...)
		assert.Equal(t, exitUsage, code, "%q", args)
		assert.NotEmpty(t, errOut, "%q", args)
	}
	code, out, _ := runL3(t, "help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "discover URL")
	code, _, _ = runL3(t, "discover", "-h")
	assert.Equal(t, exitOK, code)
}

func TestParseInterleaved(t *testing.T) {
	o, err := parseDiscover([]string{"http://h/x", "--json", "-H", "A: 1", "-H", "B:2", "--timeout", "2s"}, streams{err: &bytes.Buffer{}})
	require.NoError(t, err)
	assert.Equal(t, "http://h/x", o.url)
	assert.True(t, o.json)
	assert.Equal(t, headerFlags{{"A", "1"}, {"B", "2"}}, o.common.headers)
	assert.Equal(t, 2*time.Second, o.common.timeout)

	g, err := parseGet([]string{"-o", "f.txt", "--", "-weird-url"}, streams{err: &bytes.Buffer{}})
	require.NoError(t, err)
	assert.Equal(t, "-weird-url", g.url)
	assert.Equal(t, "f.txt", g.output)
}

func TestDiscoverTable(t *testing.T) {
	srv := shop(t)
	code, out, errOut := runL3(t, "discover", srv.URL+mocks.PathOrders)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Profiles        nexus, ")
	assert.Contains(t, out, "Allow           GET, HEAD, DELETE")
	assert.Contains(t, out, "list#list-entry")
	assert.Contains(t, out, "/orders/1")
	assert.Contains(t, out, "Order 2 – café")
}

func TestDiscoverJSON(t *testing.T) {
	srv := shop(t)
	code, out, errOut := runL3(t, "discover", "--json", srv.URL+mocks.PathReport)
	require.Equal(t, exitOK, code, errOut)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	for _, key := range []string{"url", "status", "profiles", "allow", "links", "etag", "last_modified"} {
		assert.Contains(t, got, key)
	}
	assert.Equal(t, srv.URL+mocks.PathReport, got["url"])
	assert.EqualValues(t, 200, got["status"])
	assert.Equal(t, []any{"https://level3.rest/profiles/content", "https://level3.rest/profiles/mixins/entity"}, got["profiles"])
	assert.Equal(t, []any{}, got["links"], "an empty list, not null")
}

func TestHeadersAndFailuresExit1(t *testing.T) {
	srv := shop(t)
	srv.Fail(mocks.PathStats, mocks.Problem(409, "Out of stock", "item 12"))
	code, _, errOut := runL3(t, "get", "-H", "Authorization: Bearer x", srv.URL+mocks.PathStats)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "409")
	assert.Contains(t, errOut, "Out of stock")
	assert.Equal(t, "Bearer x", srv.Requests()[0].Header.Get("Authorization"))

	code, _, errOut = runL3(t, "discover", srv.URL+"/missing")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "404")
}

func TestGetToStdoutAndFile(t *testing.T) {
	srv := shop(t)
	code, out, _ := runL3(t, "get", srv.URL+mocks.PathStats)
	require.Equal(t, exitOK, code)
	assert.JSONEq(t, `{"orders":3,"revenue":"126.00 EUR"}`, out)

	dir := t.TempDir()
	target := filepath.Join(dir, "report.csv")
	code, _, errOut := runL3(t, "get", srv.URL+mocks.PathReport, "-o", target)
	require.Equal(t, exitOK, code, errOut)
	got, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, mocks.CatalogReport(), got)

	// A transfer cut mid-body leaves no file under the target name.
	srv.Fail(mocks.PathReport, mocks.DropAfter(1000))
	broken := filepath.Join(dir, "broken.csv")
	code, _, _ = runL3(t, "get", srv.URL+mocks.PathReport, "-o", broken)
	assert.Equal(t, exitFailed, code)
	_, err = os.Stat(broken)
	assert.True(t, os.IsNotExist(err))
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "no partial file left behind")
}

func TestTimeoutFlag(t *testing.T) {
	srv := shop(t)
	srv.Fail(mocks.PathStats, mocks.Delay(5*time.Second))
	start := time.Now()
	code, _, errOut := runL3(t, "get", "--timeout", "100ms", srv.URL+mocks.PathStats)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "deadline exceeded")
	assert.Less(t, time.Since(start), 4*time.Second)
}

// syncBuffer is a bytes.Buffer safe to write and read from two goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeStopsOnCancel(t *testing.T) {
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, streams{out: &out, err: &out}) }()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "/orders/find") }, 5*time.Second, 10*time.Millisecond)
	assert.Contains(t, out.String(), "nexus, list#list-resource, page#paged-resource", "pattern roles are named, not blank")
	cancel()
	assert.Equal(t, exitOK, <-done)
}

func TestDemo(t *testing.T) {
	code, out, errOut := runL3(t, "demo")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, fmt.Sprintf("all %d stages passed", len(demoStages())))
	assert.Contains(t, out, "*level3.PreconditionFailedError")
	assert.Contains(t, out, "*level3.ConflictError: shipping twice conflicts with the order's state")
	assert.Contains(t, out, "body bytes the server received: 0 of 52428800")
}
