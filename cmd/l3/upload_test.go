package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
)

// files writes name -> content below a fresh directory and returns it.
func files(t *testing.T, contents map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range contents {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	}
	return dir
}

// jsonLines decodes one fileJSON per line of out.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		lines = append(lines, m)
	}
	return lines
}

func TestParseUpload(t *testing.T) {
	s := streams{err: &bytes.Buffer{}}
	o, err := parseUpload([]string{"http://h/up", "a", "--concurrency", "8", "b", "--json", "--journal", "j", "--no-preflight", "--put"}, s)
	require.NoError(t, err)
	assert.Equal(t, "http://h/up", o.url)
	assert.Equal(t, []string{"a", "b"}, o.paths)
	assert.Equal(t, 8, o.concurrency)
	assert.True(t, o.json && o.noPreflight && o.put)
	assert.Equal(t, "j", o.journal)

	for _, args := range [][]string{
		{"http://h/up"},
		{"http://h/up", "a", "--concurrency", "0"},
		{"http://h/up", "a", "b", "--slug", "x"},
		{"http://h/up", "a", "--slug", "x", "--put"},
		{"http://h/up", "a", "--retries", "-1"},
	} {
		_, err := parseUpload(args, s)
		var ue *usageError
		assert.ErrorAs(t, err, &ue, "%q", args)
	}
	_, err = parsePut([]string{"http://h/x", "f", "--force", "--if-match", "e"}, s)
	var ue *usageError
	assert.ErrorAs(t, err, &ue)
	_, err = parsePut([]string{"http://h/x"}, s)
	assert.ErrorAs(t, err, &ue)
}

func TestUploadDirectoryAsJSON(t *testing.T) {
	srv := shop(t)
	dir := files(t, map[string]string{"a.txt": "alpha", "sub/b.csv": "b,c\n"})
	code, out, errOut := runL3(t, "upload", "--json", srv.URL+mocks.PathUploads, dir)
	require.Equal(t, exitOK, code, errOut)
	lines := jsonLines(t, out)
	require.Len(t, lines, 2)
	for _, l := range lines {
		for _, key := range []string{"file", "status", "location", "etag", "bytes", "error"} {
			assert.Contains(t, l, key)
		}
		assert.EqualValues(t, 201, l["status"])
		assert.Empty(t, l["error"])
		assert.True(t, strings.HasPrefix(l["location"].(string), srv.URL+mocks.PathUploads+"/"))
	}
	assert.Contains(t, errOut, "2 uploaded, 0 skipped, 0 failed")
	assert.NotContains(t, errOut, "\r", "no progress bar when stderr is not a terminal")
}

func TestUploadSingleFileWithSlugAndText(t *testing.T) {
	srv := shop(t)
	file := filepath.Join(files(t, map[string]string{"x.bin": "data"}), "x.bin")
	code, out, errOut := runL3(t, "upload", srv.URL+mocks.PathUploads, file, "--slug", "résumé.pdf", "--content-type", "application/pdf")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "201 Created  "+file+" -> "+srv.URL+mocks.PathUploads+"/1 (4 B etag ")
	h := srv.Requests()[0].Header
	assert.Equal(t, "r%C3%A9sum%C3%A9.pdf", h.Get("Slug"))
	assert.Equal(t, "application/pdf", h.Get("Content-Type"))
}

func TestUploadFailuresExit1AndJournalSkips(t *testing.T) {
	srv := shop(t)
	dir := files(t, map[string]string{"a": "1", "b": "2"})
	journal := filepath.Join(t.TempDir(), "journal")
	srv.Fail(mocks.PathUploads, mocks.Problem(http.StatusUnsupportedMediaType, "No thanks", "not this type").OnlyFor("POST"))
	code, out, errOut := runL3(t, "upload", "--concurrency", "1", "--journal", journal, srv.URL+mocks.PathUploads, dir)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "FAILED   "+filepath.Join(dir, "a")+": POST")
	assert.Contains(t, out, "415")
	assert.Contains(t, errOut, "1 uploaded, 0 skipped, 1 failed")
	assert.Contains(t, errOut, "l3: 1 of 2 files failed")

	code, out, errOut = runL3(t, "upload", "--json", "--journal", journal, srv.URL+mocks.PathUploads, dir)
	require.Equal(t, exitOK, code, errOut)
	skipped := 0
	for _, l := range jsonLines(t, out) {
		if l["skipped"] == true {
			skipped++
		}
	}
	assert.Equal(t, 1, skipped)
}

func TestUploadNoPreflight(t *testing.T) {
	srv := mocks.NewServer(t)
	up := mocks.Upload()
	up.MaxBody = 4 << 20
	srv.Handle("/up", up)
	file := filepath.Join(files(t, map[string]string{"big.bin": strings.Repeat("z", 2<<20)}), "big.bin")
	code, _, errOut := runL3(t, "upload", srv.URL+"/up", file)
	require.Equal(t, exitOK, code, errOut)
	code, _, errOut = runL3(t, "upload", "--no-preflight", srv.URL+"/up", file)
	require.Equal(t, exitOK, code, errOut)
	var expects []string
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost {
			expects = append(expects, r.Header.Get("Expect"))
		}
	}
	assert.Equal(t, []string{"100-continue", ""}, expects)
}

func TestPutCommand(t *testing.T) {
	srv := shop(t)
	file := filepath.Join(files(t, map[string]string{"r.csv": "x,y\n"}), "r.csv")
	target := srv.URL + mocks.PathReport

	code, _, errOut := runL3(t, "put", "--if-match", `"stale"`, target, file)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "412")
	assert.Contains(t, errOut, "--force")

	current, _ := srv.Resource(mocks.PathReport)
	code, out, errOut := runL3(t, "put", "--json", "--if-match", current.ETag, target, file)
	require.Equal(t, exitOK, code, errOut)
	line := jsonLines(t, out)[0]
	assert.EqualValues(t, 204, line["status"])
	assert.Equal(t, target, line["location"])
	stored, _ := srv.Resource(mocks.PathReport)
	assert.Equal(t, stored.ETag, line["etag"])
	assert.Equal(t, "x,y\n", string(stored.Body))

	code, _, errOut = runL3(t, "put", "--force", target, file)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, "*", srv.Requests()[len(srv.Requests())-1].Header.Get("If-Match"))
}

func TestByteSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 3 << 20: "3.0 MiB", 5 << 30: "5.0 GiB"} {
		assert.Equal(t, want, byteSize(n))
	}
	assert.Nil(t, newProgressBar(&bytes.Buffer{}), "not a terminal")
	var b *progressBar
	b.update("x", level3.Progress{}) // a nil bar does nothing
	b.clear()
}

func TestProgressBarDrawsOneLine(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	b := &progressBar{w: &buf, inFlight: map[string]level3.Progress{}, now: func() time.Time { return now }}
	b.update("sub/a-rather-long-file-name-for-the-bar.bin", level3.Progress{Bytes: 0, Total: 1 << 20}) // waiting for 100 Continue
	now = now.Add(time.Second)
	// The first bytes went out over the last 250ms.
	b.update("sub/a-rather-long-file-name-for-the-bar.bin", level3.Progress{Bytes: 512 << 10, Total: 1 << 20, Elapsed: 250 * time.Millisecond})
	b.update("other", level3.Progress{Bytes: 1 << 20, Total: 1 << 20}) // within redrawEvery: not drawn
	b.done("other")
	now = now.Add(250 * time.Millisecond)
	b.update("stream", level3.Progress{Bytes: 3 << 20, Total: -1}) // a body of unknown length
	out := buf.String()
	lines := strings.Split(strings.TrimPrefix(out, "\r\033[K"), "\r\033[K")
	require.Len(t, lines, 3)
	assert.Equal(t, "sub/a-rather-long-file-… 0 B of 1.0 MiB (0%)", lines[0], "no rate before the first byte")
	assert.Equal(t, "sub/a-rather-long-file-… 512.0 KiB of 1.0 MiB (50%) | 2.0 MiB/s", lines[1])
	assert.Equal(t, "1 done | stream 3.0 MiB | sub/a-rather-long-file-… 512.0 KiB of 1.0 MiB (50%) | 9.0 MiB/s", lines[2],
		"4.5 MiB sent in 500ms, the finished file's bytes included")
	assert.NotContains(t, out, "\n")
	assert.NotContains(t, out, " 0 B/s")
	b.clear()
	assert.True(t, strings.HasSuffix(buf.String(), "\r\033[K"))
}

func TestNoBarNoCallbacks(t *testing.T) {
	var b *progressBar
	assert.Nil(t, b.progressOf("x"), "without a bar, uploads need not count their bytes")
	assert.Nil(t, b.onProgress())
	b = &progressBar{w: &bytes.Buffer{}, inFlight: map[string]level3.Progress{}}
	assert.NotNil(t, b.progressOf("x"))
	assert.NotNil(t, b.onProgress())
}
