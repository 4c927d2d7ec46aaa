package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
)

func reportSHA256() string {
	sum := sha256.Sum256(mocks.CatalogReport())
	return hex.EncodeToString(sum[:])
}

func TestDownloadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"download"},
		{"download", "http://h/a", "http://h/b"},
		{"download", "http://h/a", "-o", "-"},
		{"download", "http://h/a", "--connections", "0"},
		{"download", "http://h/a", "--connections", "17"},
		{"download", "http://h/a", "--sha256", "abc"},
		{"download", "http://h/a", "--keep-partial"},
	} {
		code, _, errOut := runL3(t, args...)
		assert.Equal(t, exitUsage, code, "%q", args)
		assert.NotEmpty(t, errOut, "%q", args)
	}
	o, err := parseDownload([]string{"http://h/a", "--connections", "4", "--fail-fast", "--keep-partial", "-o", "dir/", "--json"}, streams{err: &bytes.Buffer{}})
	require.NoError(t, err)
	assert.Equal(t, 4, o.connections)
	assert.True(t, o.failFast && o.keepPartial && o.json)
	assert.Equal(t, "dir/", o.output)
	assert.False(t, o.progress, "no progress bar when stderr is not a terminal")
}

func TestDownloadIntoDirectoryWithJSON(t *testing.T) {
	srv := shop(t)
	srv.Fail(mocks.PathReport, mocks.DropAt(10_000))
	dir := t.TempDir()
	code, out, errOut := runL3(t, "download", srv.URL+mocks.PathReport, "-o", dir+"/", "--json", "--connections", "2")
	require.Equal(t, exitOK, code, errOut)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, map[string]any{
		"path": filepath.Join(dir, "report.csv"), "bytes": float64(len(mocks.CatalogReport())),
		"sha256": reportSHA256(), "resumed": false, "restarts": float64(1), "connections": float64(1),
		"connections_opened": float64(2), "connections_reused": float64(0), // the cut one and its successor
	}, got)
	data, err := os.ReadFile(filepath.Join(dir, "report.csv"))
	require.NoError(t, err)
	assert.Equal(t, mocks.CatalogReport(), data)
}

func TestDownloadSummaryAndErrors(t *testing.T) {
	srv := shop(t)
	dir := t.TempDir()
	target := filepath.Join(dir, "r.csv")
	code, out, errOut := runL3(t, "download", srv.URL+mocks.PathReport, "-o", target, "--sha256", strings.ToUpper(reportSHA256()))
	require.Equal(t, exitOK, code, errOut)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "saved "+target+": 65517 bytes")
	assert.Contains(t, errOut, "(verified)")

	code, _, errOut = runL3(t, "download", srv.URL+mocks.PathReport, "-o", target)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "l3: "+target+" exists; use --overwrite to replace it")

	code, _, errOut = runL3(t, "download", srv.URL+mocks.PathReport, "-o", target, "--overwrite", "--sha256", strings.Repeat("0", 64))
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "sha256 mismatch")

	// Cut, then changed: --fail-fast reports it and names the flag.
	other := filepath.Join(dir, "other.csv")
	srv.Fail(mocks.PathReport, mocks.StallAt(30_000))
	code, _, errOut = runL3(t, "download", srv.URL+mocks.PathReport, "-o", other, "--timeout", "300ms")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "run the same command again to resume")
	srv.SetBody(mocks.PathReport, []byte("new report"))
	code, _, errOut = runL3(t, "download", srv.URL+mocks.PathReport, "-o", other, "--fail-fast")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "409")
	assert.Contains(t, errOut, "without --fail-fast")
	code, _, errOut = runL3(t, "download", srv.URL+mocks.PathReport, "-o", other)
	require.Equal(t, exitOK, code, errOut)
	data, _ := os.ReadFile(other)
	assert.Equal(t, "new report", string(data))
}

func TestRenderProgress(t *testing.T) {
	assert.Equal(t, "  50% [#####.....] 5.0 MiB / 10.0 MiB  1.0 MiB/s  ETA 5s",
		renderProgress(level3.Progress{Bytes: 5 << 20, Total: 10 << 20, Rate: 1 << 20}, 10))
	assert.Equal(t, "   0% [..........] 0 B / 1.0 KiB  0 B/s  ETA --",
		renderProgress(level3.Progress{Total: 1 << 10}, 10))
	assert.Equal(t, "3.0 GiB  2.0 KiB/s", renderProgress(level3.Progress{Bytes: 3 << 30, Total: -1, Rate: 2048}, 10))
	var buf bytes.Buffer
	b := &downloadBar{w: &buf}
	b.update(level3.Progress{Bytes: 1, Total: 2})
	b.done()
	assert.True(t, strings.HasPrefix(buf.String(), "\r  50% ["))
	assert.True(t, strings.HasSuffix(buf.String(), "\n"))
	(*downloadBar)(nil).done()
}

func TestDownloadPrintsTheConnectionsCounted(t *testing.T) {
	srv := mocks.NewServer(t)
	body := bytes.Repeat([]byte("0123456789abcdef"), 4<<20/16)
	res := mocks.Content(body, "application/octet-stream")
	res.Rate = 8 << 20 // per response: the four ranges overlap
	url := srv.Handle("/big.bin", res)
	target := filepath.Join(t.TempDir(), "big.bin")
	code, _, errOut := runL3(t, "download", url, "-o", target, "--connections", "4")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, ": 4194304 bytes, 4 connections\n")
	assert.Equal(t, 4, srv.Connections())
}

func TestConnectionsNote(t *testing.T) {
	for _, tc := range []struct {
		asked int
		res   level3.DownloadResult
		want  string
	}{
		{1, level3.DownloadResult{Connections: 1, ConnectionsOpened: 1}, ""},
		{1, level3.DownloadResult{Connections: 1, ConnectionsOpened: 2}, ""},
		{4, level3.DownloadResult{Connections: 4, ConnectionsOpened: 4}, "4 connections"},
		{4, level3.DownloadResult{Connections: 4, ConnectionsOpened: 5, ConnectionsReused: 1}, "4 connections (6 in all)"},
		{4, level3.DownloadResult{Connections: 1, ConnectionsReused: 1}, "1 connection of 4 asked"},
		{4, level3.DownloadResult{}, ""}, // not counted
	} {
		assert.Equal(t, tc.want, connectionsNote(tc.asked, &tc.res), "%+v", tc)
	}
}

// TestIsTerminalNotDevNull: /dev/null is a character device but no
// terminal; a bar drawn there would cost uploads their sendfile(2).
func TestIsTerminalNotDevNull(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Errorf("isTerminal(%s) = true", os.DevNull)
	}
	if newProgressBar(f) != nil {
		t.Errorf("newProgressBar(%s) draws", os.DevNull)
	}
}
