package main

// The CLI as a new user meets it, through the built binary: the usage text,
// the version, errors printed once, --no-cache, and what ships in it.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

// The binary links neither package testing nor testify: the fake server it
// runs (l3 serve, l3 demo) is importable without them.
func TestBinaryLinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, dep := range strings.Fields(string(out)) {
		assert.False(t, dep == "testing" || strings.Contains(dep, "testify"), "l3 links %s", dep)
	}
}

// The usage text lists each command once, and is written once: to stdout
// when asked for, to stderr (exit 2) when l3 is run without a command.
func TestBinaryUsageListsEachCommandOnce(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		code, out, errOut := runBinary(t, time.Minute, args...)
		require.Equal(t, exitOK, code, "%q", args)
		assert.Empty(t, errOut, "%q", args)
		assert.Equal(t, usage(), out, "%q", args)
	}
	code, out, errOut := runBinary(t, time.Minute)
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Equal(t, usage(), errOut, "the usage, once")

	text := usage()
	assert.Equal(t, 1, strings.Count(text, "usage: l3"))
	listed := map[string]int{}
	for _, line := range strings.Split(text, "\n") {
		// A command's line: two spaces, its name, then its arguments or summary.
		if m := regexp.MustCompile(`^  ([a-z]+)(\s|$)`).FindStringSubmatch(line); m != nil {
			listed[m[1]]++
		}
	}
	for _, c := range commands() {
		assert.Equal(t, 1, listed[c.name], "%s listed once", c.name)
		delete(listed, c.name)
	}
	assert.Empty(t, listed, "every line naming a command is one l3 runs")
	for _, name := range []string{"get", "download", "upload", "put", "version"} {
		code, _, errOut := runBinary(t, time.Minute, name, "-h")
		assert.Equal(t, exitOK, code, name)
		assert.Equal(t, 1, strings.Count(errOut, "usage: l3 "+name), "%s -h: its usage, once: %s", name, errOut)
	}
}

// --version and l3 version print the module version.
func TestBinaryVersion(t *testing.T) {
	t.Parallel()
	code, out, errOut := runBinary(t, time.Minute, "--version")
	require.Equal(t, exitOK, code, errOut)
	assert.Regexp(t, `^l3 version (v\d+\.\d+\.\d+\S*|devel( [0-9a-f]{12}(\+dirty)?)?) \(github\.com/l3go/level3, go1\.\d+\S* \w+/\w+\)\n$`, out)
	code, again, _ := runBinary(t, time.Minute, "version")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, out, again)
	code, _, errOut = runBinary(t, time.Minute, "version", "extra")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, `unexpected argument "extra"`)

	buildVersion = "v1.2.3"
	defer func() { buildVersion = "" }()
	assert.Equal(t, "v1.2.3", version(), "a version set at link time wins")
}

// Errors print once, on stderr, without the library's "level3: " after
// l3's own prefix.
func TestBinaryErrorsPrintOnce(t *testing.T) {
	t.Parallel()
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	file := filepath.Join(t.TempDir(), "f.txt")
	require.NoError(t, os.WriteFile(file, []byte("hello\n"), 0o600))

	for _, tc := range []struct {
		args   []string
		code   int
		prefix string // of the one line of the error
		has    string
	}{
		{[]string{"put", "--if-match", `"stale"`, srv.URL + mocks.PathReport, file}, exitFailed, "l3: PUT " + srv.URL + mocks.PathReport + ": 412", "use --force"},
		{[]string{"upload", "--slug", "x", srv.URL + "/missing", file}, exitFailed, "l3: POST " + srv.URL + "/missing: 404", "404"},
		{[]string{"get", srv.URL + "/missing"}, exitFailed, "l3: GET " + srv.URL + "/missing: 404", "404"},
		{[]string{"submit", srv.URL + mocks.PathFindOrder, writeFile(t, "q.json", `{"id":99}`)}, exitFailed, "l3: POST " + srv.URL + mocks.PathFindOrder + ": 404", "No Match"},
		{[]string{"poll", "garbage"}, exitUsage, "l3: poll: invalid resume token", "l3poll."},
		{[]string{"get", "--nope", srv.URL}, exitUsage, "l3: get: flag provided but not defined: -nope", "-nope"},
		{[]string{"get", "-H", "no colon", srv.URL}, exitUsage, "l3: get: invalid value", "Name: value"},
	} {
		code, out, errOut := runBinary(t, time.Minute, tc.args...)
		assert.Equal(t, tc.code, code, "%q", tc.args)
		assert.Empty(t, out, "%q: nothing on stdout", tc.args)
		assert.NotContains(t, errOut, "level3: ", "%q", tc.args)
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		if tc.code == exitUsage {
			require.Len(t, lines, 2, "%q: the error and a hint: %s", tc.args, errOut)
			assert.Regexp(t, `^Run 'l3 [a-z]+ -h' for its usage\.$`, lines[1])
		} else {
			require.Len(t, lines, 1, "%q: the error, once: %s", tc.args, errOut)
		}
		assert.True(t, strings.HasPrefix(lines[0], tc.prefix), "%q: %s", tc.args, lines[0])
		assert.Contains(t, lines[0], tc.has, "%q", tc.args)
	}

	// Shipping twice: the 409 from the order's state, printed once.
	code, _, errOut := runBinary(t, time.Minute, "trigger", srv.URL+mocks.PathOrder2+"/ship")
	require.Equal(t, exitOK, code, errOut)
	code, _, errOut = runBinary(t, time.Minute, "trigger", srv.URL+mocks.PathOrder2+"/ship")
	assert.Equal(t, exitFailed, code)
	assert.Equal(t, 1, strings.Count(errOut, "409"), errOut)
	assert.True(t, strings.HasPrefix(errOut, "l3: POST "), errOut)

	// With --json the failure is in the record, and not printed again.
	code, out, errOut := runBinary(t, time.Minute, "put", "--json", srv.URL+"/missing", file)
	assert.Equal(t, exitFailed, code)
	assert.Empty(t, errOut)
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rec), out)
	assert.Contains(t, rec["error"], "404")
}

// --no-cache keeps no cache at all: no 308 memory on disk or in memory, no
// response cache (a repeated GET is sent without If-None-Match and
// answered 200 by the server, not 304 from a cache).
func TestBinaryNoCache(t *testing.T) {
	t.Parallel()
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	report := srv.URL + mocks.PathReport
	old := srv.URL + mocks.PathOldOrders

	cache := t.TempDir()
	code, _, errOut := runBinaryIn(t, cache, time.Minute, "get", "-v", report, report, old, old)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "304 Not Modified: body from the cache", "by default a repeated GET is revalidated")
	assert.Equal(t, 1, srv.Count(mocks.PathOldOrders), "by default the 308 is remembered within the run")
	assert.FileExists(t, filepath.Join(cache, "redirects.json"))

	srv.ResetLog()
	cache = t.TempDir()
	code, _, errOut = runBinaryIn(t, cache, time.Minute, "get", "-v", "--no-cache", report, report, old, old)
	require.Equal(t, exitOK, code, errOut)
	assert.NotContains(t, errOut, "304")
	assert.NotContains(t, errOut, "from the cache")
	for _, r := range srv.Requests() {
		assert.Empty(t, r.Header.Get("If-None-Match"), "%s %s", r.Method, r.Path)
		assert.Empty(t, r.Header.Get("If-Modified-Since"), "%s %s", r.Method, r.Path)
	}
	assert.Equal(t, 2, srv.Count(mocks.PathReport))
	assert.Equal(t, 2, srv.Count(mocks.PathOldOrders), "the 308 is not remembered, even for the run")
	assert.NoFileExists(t, filepath.Join(cache, "redirects.json"), "nothing written to the cache directory")

	// A 308 remembered on disk by an earlier run is not used either.
	srv.ResetLog()
	code, _, _ = runBinaryIn(t, cache, time.Minute, "get", old)
	require.Equal(t, exitOK, code)
	code, _, _ = runBinaryIn(t, cache, time.Minute, "get", "--no-cache", old)
	require.Equal(t, exitOK, code)
	assert.Equal(t, 2, srv.Count(mocks.PathOldOrders))

	code, _, errOut = runBinary(t, time.Minute, "get", "-h")
	require.Equal(t, exitOK, code)
	assert.Contains(t, errOut, "keep no cache: neither the permanent redirects", "the flag says what it turns off")
}
