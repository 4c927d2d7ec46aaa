package level3

// Hostile servers on loopback (internal/liar) against the rule that a file
// is complete only when every length learned agrees, and against restarts
// that repeat what was received already. Local-file traps are in
// local_files_unix_test.go.

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/liar"
)

// liarGets returns the GETs a liar received.
func liarGets(s *liar.Server) []*http.Request {
	var out []*http.Request
	for _, r := range s.Requests() {
		if r.Method == http.MethodGet {
			out = append(out, r)
		}
	}
	return out
}

// headOK answers a HEAD with these fields and keeps the connection.
func headOK(conn net.Conn, fields ...string) bool {
	_ = liar.Head(conn, http.StatusOK, fields...)
	return true
}

// TestDownloadNeverPublishesAShortFile runs servers whose lengths contradict
// each other: whatever they do next, no file may appear under the final
// name (a restart is allowed, publishing is not).
func TestDownloadNeverPublishesAShortFile(t *testing.T) {
	body := content(1000, 40)
	for _, tc := range []struct {
		name   string
		dir    bool // directory mode: the download asks HEAD first
		script liar.Script
	}{
		{"announced 1000, cut at 500, then 416 says 500", false, func(n int, req *http.Request, conn net.Conn) bool {
			if req.Header.Get("Range") != "" {
				_ = liar.Head(conn, http.StatusRequestedRangeNotSatisfiable, "Content-Range: bytes */500", `Etag: "v1"`, "Content-Length: 0")
				return true
			}
			_ = liar.Head(conn, http.StatusOK, "Content-Length: 1000", `Etag: "v1"`, "Accept-Ranges: bytes")
			_, _ = conn.Write(body[:500])
			return false
		}},
		{"HEAD says 1000, a close-delimited GET ends at 500", true, func(n int, req *http.Request, conn net.Conn) bool {
			if req.Method == http.MethodHead {
				return headOK(conn, "Content-Length: 1000", `Etag: "v1"`)
			}
			_ = liar.Head(conn, http.StatusOK, `Etag: "v1"`, "Connection: close")
			_, _ = conn.Write(body[:500])
			return false
		}},
		{"HEAD says 1000, GET says 500, no validators", true, func(n int, req *http.Request, conn net.Conn) bool {
			if req.Method == http.MethodHead {
				return headOK(conn, "Content-Length: 1000")
			}
			_ = liar.Head(conn, http.StatusOK, "Content-Length: 500")
			_, _ = conn.Write(body[:500])
			return true
		}},
		{"HEAD says 1000, 416 says the 500 on disk are all", true, func(n int, req *http.Request, conn net.Conn) bool {
			switch {
			case req.Method == http.MethodHead:
				return headOK(conn, "Content-Length: 1000", `Etag: "v1"`)
			case req.Header.Get("Range") != "":
				_ = liar.Head(conn, http.StatusRequestedRangeNotSatisfiable, "Content-Range: bytes */500", `Etag: "v1"`, "Content-Length: 0")
				return true
			}
			_ = liar.Head(conn, http.StatusOK, `Etag: "v1"`, "Connection: close")
			_, _ = conn.Write(body[:500])
			return false
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := liar.New(t, tc.script)
			dir := t.TempDir()
			dst := filepath.Join(dir, "f.bin")
			arg := dst
			if tc.dir {
				arg = dir + "/"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := downloadClient(t).Download(ctx, srv.URL+"/f.bin", arg, quick(&DownloadOptions{Restarts: Schedule{Attempts: 3}}))
			require.Error(t, err, "published %+v", res)
			assert.NoError(t, ctx.Err(), "the restart budget ends it, not the context")
			assert.ErrorIs(t, err, ErrTooManyRestarts)
			assert.NoFileExists(t, dst, "nothing is published")
		})
	}
}

// TestDownloadCompleteLengthClaims covers the claims a resumed download
// checks: a 416 whose length is not the length announced, and a 206 whose
// validators are not the partial file's.
func TestDownloadCompleteLengthClaims(t *testing.T) {
	v1, v2 := content(1000, 41), content(1000, 42)
	lm1 := time.Now().Add(-2 * time.Hour).UTC().Format(http.TimeFormat)
	lm2 := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	t.Run("206 with no etag but another last-modified is a change", func(t *testing.T) {
		srv := liar.New(t, func(n int, req *http.Request, conn net.Conn) bool {
			if req.Header.Get("Range") == "bytes=500-" {
				_ = liar.Head(conn, http.StatusPartialContent, "Content-Range: bytes 500-999/1000", "Content-Length: 500",
					"Last-Modified: "+lm2, "Date: "+time.Now().UTC().Format(http.TimeFormat))
				_, _ = conn.Write(v2[500:])
				return true
			}
			_ = liar.Head(conn, http.StatusOK, "Content-Length: 1000", `Etag: "v2"`, "Last-Modified: "+lm2)
			_, _ = conn.Write(v2)
			return true
		})
		dir := t.TempDir()
		url := srv.URL + "/f.bin"
		plantPartial(t, dir, "f.bin", url, v1[:500], Validators{ETag: `"v1"`, LastModified: mustParseTime(t, lm1)}, time.Now(), 1000)
		res, err := downloadClient(t).Download(context.Background(), url, filepath.Join(dir, "f.bin"), quick(nil))
		require.NoError(t, err)
		requireFile(t, res.Path, v2) // never v1[:500] + v2[500:]
		assert.Equal(t, []string{"bytes=500-", ""}, eachHeader(liarGets(srv), "Range"))
	})
	t.Run("416 for another length than the sidecar's starts over", func(t *testing.T) {
		body := content(500, 43)
		srv, url := contentServer(t, body)
		r, _ := srv.Resource("/f.bin")
		dir := t.TempDir()
		plantPartial(t, dir, "f.bin", url, body, Validators{ETag: r.ETag}, time.Time{}, 1000) // the sidecar says 1000
		res, err := downloadClient(t).Download(context.Background(), url, filepath.Join(dir, "f.bin"), quick(nil))
		require.NoError(t, err)
		requireFile(t, res.Path, body)
		assert.Equal(t, []string{"bytes=500-", ""}, ranges(srv), "416 */500 contradicts the 1000 announced: fetched again")
	})
}

// eachHeader lists one header of each request.
func eachHeader(reqs []*http.Request, name string) []string {
	out := make([]string, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, r.Header.Get(name))
	}
	return out
}

// TestDownloadSidecarIsAClaim checks that what a sidecar says is checked
// against the file and the server before anything is published.
func TestDownloadSidecarIsAClaim(t *testing.T) {
	body := content(300_000, 44)
	t.Run("a sidecar saying every range is done is revalidated", func(t *testing.T) {
		srv, url := contentServer(t, body)
		dir := t.TempDir()
		stale := content(len(body), 45)
		plantPartial(t, dir, "f.bin", url, stale, Validators{ETag: `"old"`}, time.Time{}, int64(len(stale)))
		editSidecar(t, dir, "f.bin", func(s *sidecar) { s.Parallel, s.Next, s.Parts = true, s.Total, nil })
		res, err := downloadClient(t).Download(context.Background(), url, filepath.Join(dir, "f.bin"), quick(nil))
		require.NoError(t, err)
		requireFile(t, res.Path, body)
		assert.Equal(t, []string{"bytes=300000-"}, ranges(srv), "asked, with If-Range, and got the new content whole")
	})
	t.Run("a digest state that is not the file's starts over", func(t *testing.T) {
		srv, url := contentServer(t, body)
		r, _ := srv.Resource("/f.bin")
		dir := t.TempDir()
		tampered := append([]byte(nil), body[:100_000]...)
		copy(tampered[10:], "tampered on disk")
		plantPartial(t, dir, "f.bin", url, tampered, Validators{ETag: r.ETag}, time.Time{}, int64(len(body)))
		h := sha256.New()
		h.Write(body[:100_000])
		state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
		require.NoError(t, err)
		editSidecar(t, dir, "f.bin", func(s *sidecar) { s.SHA256State, s.SHA256At = state, 100_000 })
		res, err := downloadClient(t).Download(context.Background(), url, filepath.Join(dir, "f.bin"), quick(&DownloadOptions{SHA256: sha256Hex(body)}))
		require.NoError(t, err)
		requireFile(t, res.Path, body)
		assert.False(t, res.Resumed)
		assert.Equal(t, []string{""}, ranges(srv))
	})
	t.Run("a partial file shorter than the sidecar says starts over", func(t *testing.T) {
		srv, url := contentServer(t, body)
		r, _ := srv.Resource("/f.bin")
		dir := t.TempDir()
		plantPartial(t, dir, "f.bin", url, body[:100_000], Validators{ETag: r.ETag}, time.Time{}, int64(len(body)))
		editSidecar(t, dir, "f.bin", func(s *sidecar) { s.Next = 150_000 })
		res, err := downloadClient(t).Download(context.Background(), url, filepath.Join(dir, "f.bin"), quick(nil))
		require.NoError(t, err)
		requireFile(t, res.Path, body)
		assert.False(t, res.Resumed)
		assert.Equal(t, []string{""}, ranges(srv))
	})
}

// editSidecar changes the sidecar of dir/name.
func editSidecar(t *testing.T, dir, name string, edit func(s *sidecar)) {
	t.Helper()
	root, err := os.OpenRoot(dir)
	require.NoError(t, err)
	defer root.Close()
	d := destination{dir: dir, name: name, root: root}
	sc, err := d.loadSidecar()
	require.NoError(t, err)
	edit(&sc)
	require.NoError(t, d.saveSidecar(&sc))
}

// validRange reports whether v is a range header this client may send for
// a content of total bytes: bytes=FIRST- or bytes=FIRST-LAST, with
// 0 ≤ FIRST ≤ LAST < total.
func validRange(v string, total int64) bool {
	spec, ok := strings.CutPrefix(v, "bytes=")
	first, last, ok2 := strings.Cut(spec, "-")
	a, err := strconv.ParseInt(first, 10, 64)
	if !ok || !ok2 || err != nil || a < 0 || a >= total {
		return false
	}
	if last == "" {
		return true
	}
	b, err := strconv.ParseInt(last, 10, 64)
	return err == nil && b >= a && b < total
}

// TestDownloadHugeLengths checks the range arithmetic at the largest length
// a server can announce: one stream resumes with a valid range, and four
// connections ask for four ranges that tile the whole content.
func TestDownloadHugeLengths(t *testing.T) {
	const huge = 1<<63 - 1
	length := "Content-Length: " + strconv.FormatInt(huge, 10)
	t.Run("one stream", func(t *testing.T) {
		srv := liar.New(t, func(n int, req *http.Request, conn net.Conn) bool {
			if req.Header.Get("Range") == "" {
				_ = liar.Head(conn, http.StatusOK, length, `Etag: "big"`, "Accept-Ranges: bytes")
				_, _ = conn.Write(make([]byte, 1000))
				return false
			}
			_ = liar.Head(conn, http.StatusForbidden, "Content-Length: 0")
			return true
		})
		_, err := downloadClient(t).Download(context.Background(), srv.URL+"/f.bin", filepath.Join(t.TempDir(), "f.bin"), quick(nil))
		var fe *ForbiddenError
		require.ErrorAs(t, err, &fe, "the ranged request was sent and refused")
		assert.Equal(t, []string{"", "bytes=1000-"}, eachHeader(liarGets(srv), "Range"))
	})
	t.Run("four connections", func(t *testing.T) {
		var mu sync.Mutex
		asked, all := 0, make(chan struct{})
		srv := liar.New(t, func(n int, req *http.Request, conn net.Conn) bool {
			if req.Method == http.MethodHead {
				return headOK(conn, length, `Etag: "big"`, "Accept-Ranges: bytes")
			}
			// Answer once every span has asked (or a while passed), so
			// that a refusal stops no request before it is sent.
			mu.Lock()
			if asked++; asked == 4 {
				close(all)
			}
			mu.Unlock()
			select {
			case <-all:
			case <-time.After(5 * time.Second):
			}
			_ = liar.Head(conn, http.StatusForbidden, "Content-Length: 0")
			return true
		})
		_, err := downloadClient(t).Download(context.Background(), srv.URL+"/f.bin", t.TempDir()+"/", quick(&DownloadOptions{Connections: 4}))
		var fe *ForbiddenError
		require.ErrorAs(t, err, &fe)
		type span struct{ first, last int64 }
		var spans []span
		for _, r := range liarGets(srv) {
			v := r.Header.Get("Range")
			require.True(t, validRange(v, huge), "range %q", v)
			spec := strings.TrimPrefix(v, "bytes=")
			first, last, _ := strings.Cut(spec, "-")
			a, _ := strconv.ParseInt(first, 10, 64)
			b, _ := strconv.ParseInt(last, 10, 64)
			spans = append(spans, span{a, b})
		}
		require.Len(t, spans, 4)
		slices.SortFunc(spans, func(x, y span) int { return cmp.Compare(x.first, y.first) })
		// Each span's first request asks for its first 4 MiB; the spans
		// are a quarter of the content each, up to the last byte.
		// (The first huge%4 spans are a byte longer.)
		quarter, extra := int64(huge)/4, int64(huge)%4
		for i, sp := range spans {
			assert.Equal(t, int64(i)*quarter+min(int64(i), extra), sp.first, "the spans tile the content: %v", spans)
			assert.Equal(t, int64(firstRequest*minSteal-1), sp.last-sp.first, "a first request: %v", spans)
		}
		assert.Equal(t, int64(huge), spans[3].first+quarter, "the last span ends at the last byte: %v", spans)
	})
}

// dripper answers every GET with the head of a response and one byte of
// content, then sends nothing more until the client gives up. With etag,
// it honours ranges (If-Range), one new byte per request.
func dripper(body []byte, etag string) liar.Script {
	return func(n int, req *http.Request, conn net.Conn) bool {
		cr, _ := parseRangeHeader(req.Header.Get("Range"))
		if etag != "" && req.Header.Get("If-Range") == etag && cr > 0 && cr < int64(len(body)) {
			_ = liar.Head(conn, http.StatusPartialContent, "Etag: "+etag,
				fmt.Sprintf("Content-Range: bytes %d-%d/%d", cr, len(body)-1, len(body)),
				"Content-Length: "+strconv.FormatInt(int64(len(body))-cr, 10))
			_, _ = conn.Write(body[cr : cr+1])
		} else {
			fields := []string{"Content-Length: " + strconv.Itoa(len(body))}
			if etag != "" {
				fields = append(fields, "Etag: "+etag, "Accept-Ranges: bytes")
			}
			_ = liar.Head(conn, http.StatusOK, fields...)
			_, _ = conn.Write(body[:1])
		}
		liar.Hold(conn)
		return false
	}
}

// parseRangeHeader reads the first position of "bytes=N-".
func parseRangeHeader(v string) (int64, bool) {
	first, _, ok := strings.Cut(strings.TrimPrefix(v, "bytes="), "-")
	n, err := strconv.ParseInt(first, 10, 64)
	return n, ok && err == nil
}

// TestDownloadRestartBudget checks that only bytes past the furthest any
// attempt reached count as progress: a server that drips one byte and
// stalls, on a download that cannot resume, uses up the restart budget.
func TestDownloadRestartBudget(t *testing.T) {
	body := content(1000, 46)
	t.Run("one byte then silence, cannot resume", func(t *testing.T) {
		srv := liar.New(t, dripper(body, ""))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		dst := filepath.Join(t.TempDir(), "f.bin")
		_, err := downloadClient(t).Download(ctx, srv.URL+"/f.bin", dst, quick(&DownloadOptions{StallTimeout: 50 * time.Millisecond, Restarts: Schedule{Attempts: 3}}))
		t.Logf("%d requests", len(liarGets(srv)))
		require.ErrorIs(t, err, ErrTooManyRestarts)
		assert.ErrorIs(t, err, ErrStalled)
		assert.NoError(t, ctx.Err())
		assert.Len(t, liarGets(srv), 4, "the first attempt and three restarts")
		assert.NoFileExists(t, dst)
	})
	t.Run("one new byte per restart is progress", func(t *testing.T) {
		small := body[:6]
		srv := liar.New(t, dripper(small, `"d"`))
		dst := filepath.Join(t.TempDir(), "f.bin")
		// Every attempt must get its byte before the stall timeout, or
		// the count is off: room for a loaded machine.
		res, err := downloadClient(t).Download(context.Background(), srv.URL+"/f.bin", dst, quick(&DownloadOptions{StallTimeout: 250 * time.Millisecond, Restarts: Schedule{Attempts: 1}}))
		require.NoError(t, err)
		requireFile(t, dst, small)
		assert.Equal(t, 5, res.Restarts)
	})
	t.Run("cut at 500 and a 206 that contradicts the length, forever", func(t *testing.T) {
		srv := liar.New(t, func(n int, req *http.Request, conn net.Conn) bool {
			if req.Header.Get("Range") != "" {
				_ = liar.Head(conn, http.StatusPartialContent, `Etag: "v1"`, "Content-Range: bytes 500-699/700", "Content-Length: 200")
				_, _ = conn.Write(body[500:700])
				return true
			}
			_ = liar.Head(conn, http.StatusOK, "Content-Length: 1000", `Etag: "v1"`)
			_, _ = conn.Write(body[:500])
			return false
		})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		dst := filepath.Join(t.TempDir(), "f.bin")
		_, err := downloadClient(t).Download(ctx, srv.URL+"/f.bin", dst, quick(&DownloadOptions{Restarts: Schedule{Attempts: 3}}))
		require.ErrorIs(t, err, ErrTooManyRestarts)
		assert.NoError(t, ctx.Err())
		assert.NoFileExists(t, dst)
	})
	t.Run("parallel ranges that keep starting over", func(t *testing.T) {
		big := content(1<<20, 47)
		srv := liar.New(t, func(n int, req *http.Request, conn net.Conn) bool {
			if req.Method == http.MethodHead {
				return headOK(conn, "Content-Length: "+strconv.Itoa(len(big)), `Etag: "p"`, "Accept-Ranges: bytes")
			}
			first, _ := parseRangeHeader(req.Header.Get("Range"))
			if first%(256<<10) != 0 {
				// A span's second request: the content is "shorter" now.
				_ = liar.Head(conn, http.StatusRequestedRangeNotSatisfiable, "Content-Range: bytes */10", "Content-Length: 0")
				return true
			}
			_ = liar.Head(conn, http.StatusPartialContent, `Etag: "p"`,
				fmt.Sprintf("Content-Range: bytes %d-%d/%d", first, first+(256<<10)-1, len(big)), "Content-Length: "+strconv.Itoa(256<<10))
			_, _ = conn.Write(big[first : first+1000])
			return false
		})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		dst := filepath.Join(t.TempDir(), "f.bin")
		_, err := downloadClient(t).Download(ctx, srv.URL+"/f.bin", dst, small(quick(&DownloadOptions{Connections: 4, Restarts: Schedule{Attempts: 3}})))
		require.ErrorIs(t, err, ErrTooManyRestarts)
		assert.NoError(t, ctx.Err())
		assert.NoFileExists(t, dst)
	})
}
