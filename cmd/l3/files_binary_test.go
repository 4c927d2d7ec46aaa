//go:build unix

package main

// The built l3 against servers that lie about lengths, local files that are
// traps, and upload sources that change while they are sent: exit codes,
// messages, and whether a file appeared.

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/liar"
)

func TestBinaryDownloadNeverPublishesAShortFile(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("x", 1000)
	for _, tc := range []struct {
		name   string
		dir    bool
		script liar.Script
	}{
		{"announced 1000, cut at 500, then 416 says 500", false, func(n int, req *http.Request, conn net.Conn) bool {
			if req.Header.Get("Range") != "" {
				_ = liar.Head(conn, http.StatusRequestedRangeNotSatisfiable, "Content-Range: bytes */500", `Etag: "v1"`, "Content-Length: 0")
				return true
			}
			_ = liar.Head(conn, http.StatusOK, "Content-Length: 1000", `Etag: "v1"`)
			_, _ = io.WriteString(conn, body[:500])
			return false
		}},
		{"HEAD says 1000, a close-delimited GET ends at 500", true, func(n int, req *http.Request, conn net.Conn) bool {
			if req.Method == http.MethodHead {
				_ = liar.Head(conn, http.StatusOK, "Content-Length: 1000", `Etag: "v1"`)
				return true
			}
			_ = liar.Head(conn, http.StatusOK, `Etag: "v1"`, "Connection: close")
			_, _ = io.WriteString(conn, body[:500])
			return false
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := liar.New(t, tc.script)
			dir := t.TempDir()
			out := filepath.Join(dir, "f.bin")
			if tc.dir {
				out = dir + "/"
			}
			code, _, errOut := runBinary(t, time.Minute, "download", srv.URL+"/f.bin", "-o", out)
			assert.Equal(t, exitFailed, code, errOut)
			assert.Contains(t, errOut, "restarted too many times")
			assert.NoFileExists(t, filepath.Join(dir, "f.bin"), "nothing published")
		})
	}
}

func TestBinaryDownloadRefusesPipes(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request was sent: %s %s", r.Method, r.URL)
	}))
	t.Cleanup(srv.Close) // after the parallel subtests
	for _, at := range []string{"", ".part", ".part.json", ".part.json.tmp"} {
		t.Run("f.bin"+at, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			trap := filepath.Join(dir, "f.bin"+at)
			require.NoError(t, syscall.Mkfifo(trap, 0o600))
			start := time.Now()
			code, _, errOut := runBinary(t, 30*time.Second, "download", srv.URL+"/f.bin", "-o", filepath.Join(dir, "f.bin"), "--overwrite")
			t.Logf("l3 exited after %v", time.Since(start))
			assert.Equal(t, exitFailed, code)
			assert.Contains(t, errOut, trap)
			assert.Contains(t, errOut, "not a regular file")
			fi, err := os.Lstat(trap)
			require.NoError(t, err)
			assert.Equal(t, os.ModeNamedPipe, fi.Mode().Type(), "left alone")
		})
	}
}

func TestBinaryUploadFailsWhenTheSourceChanges(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "src.bin")
	require.NoError(t, os.WriteFile(path, make([]byte, 256<<10), 0o644))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 1024)
		if _, err := io.ReadFull(r.Body, buf); err == nil {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err == nil {
				_, _ = f.WriteString("appended")
				f.Close()
			}
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Location", "/files/1")
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	for _, args := range [][]string{
		{"put", srv.URL + "/files/1", path},
		{"upload", srv.URL + "/uploads", path},
		{"upload", "--json", srv.URL + "/uploads", path},
	} {
		require.NoError(t, os.Truncate(path, 256<<10))
		code, out, errOut := runBinary(t, 30*time.Second, args...)
		assert.Equal(t, exitFailed, code, "%q: %s%s", args, out, errOut)
		assert.Contains(t, out+errOut, "changed while it was uploaded", "%q", args)
	}
}

func TestBinaryUploadRefusesAPipe(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead { // l3 upload discovers the target first
			t.Errorf("a request was sent: %s %s", r.Method, r.URL)
		}
	}))
	defer srv.Close()
	fifo := filepath.Join(t.TempDir(), "pipe")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for _, args := range [][]string{
		{"put", srv.URL + "/files/1", fifo},
		{"upload", srv.URL + "/uploads", fifo},
	} {
		code, out, errOut := runBinary(t, 30*time.Second, args...)
		assert.Equal(t, exitFailed, code, "%q: %s%s", args, out, errOut)
		assert.Contains(t, out+errOut, "not a regular file", "%q", args)
	}
}
