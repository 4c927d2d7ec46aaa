package level3

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

// small lets small test bodies go parallel with o: split from 64 KiB,
// steal ranges from 16 KiB.
func small(o *DownloadOptions) *DownloadOptions {
	o.minParallel, o.minSteal = 64<<10, 16<<10
	return o
}

// rangeRequests returns the GETs with a Range header.
func rangeRequests(srv *mocks.Server) []mocks.Request {
	var out []mocks.Request
	for _, r := range srv.Requests() {
		if r.Method == http.MethodGet && r.Header.Get("Range") != "" {
			out = append(out, r)
		}
	}
	return out
}

func TestDownloadParallel(t *testing.T) {
	body := content(3<<20+12345, 30)
	srv := mocks.NewServer(t, mocks.Strict(t))
	res := mocks.Content(body, "application/octet-stream")
	res.Rate = 16 << 20 // per response: the four ranges overlap
	url := srv.Handle("/f.bin", res)
	dst := filepath.Join(t.TempDir(), "f.bin")
	got, err := downloadClient(t).Download(context.Background(), url, dst, quick(&DownloadOptions{Connections: 4, SHA256: sha256Hex(body)}))
	require.NoError(t, err)
	requireFile(t, dst, body)
	assert.Equal(t, 4, got.Connections, "counted: four at once")
	assert.Equal(t, 4, got.ConnectionsOpened+got.ConnectionsReused, "the HEAD's and three more")
	assert.Equal(t, 4, srv.Connections())
	assert.Equal(t, sha256Hex(body), got.SHA256)
	r, _ := srv.Resource("/f.bin")
	reqs := rangeRequests(srv)
	assert.GreaterOrEqual(t, len(reqs), 4)
	for _, req := range reqs {
		assert.Equal(t, r.ETag, req.Header.Get("If-Range"), "every range is tied to the version")
		assert.Regexp(t, `^bytes=\d+-\d+$`, req.Header.Get("Range"))
	}
	assert.Equal(t, http.MethodHead, srv.Requests()[0].Method)
}

func TestDownloadParallelThrottled(t *testing.T) {
	body := content(1<<20, 31)
	srv := mocks.NewServer(t)
	res := mocks.Content(body, "application/octet-stream")
	res.Rate = 4 << 20
	url := srv.Handle("/f.bin", res)
	dst := filepath.Join(t.TempDir(), "f.bin")
	got, err := downloadClient(t).Download(context.Background(), url, dst, small(quick(&DownloadOptions{Connections: 4, ComputeSHA256: true})))
	require.NoError(t, err)
	requireFile(t, dst, body)
	assert.Equal(t, sha256Hex(body), got.SHA256)
}

func TestDownloadParallelOverHTTP2(t *testing.T) {
	body := content(1<<20, 32)
	srv := mocks.NewServer(t, mocks.WithHTTP2())
	url := srv.Handle("/f.bin", mocks.Content(body, "application/octet-stream"))
	srv.Fail("/f.bin", mocks.DropAt(int64(len(body))*2/3+100)) // early in the third span: hit before any steal
	c := downloadClient(t, WithHTTPClient(srv.Client()))
	dst := filepath.Join(t.TempDir(), "f.bin")
	res, err := c.Download(context.Background(), url, dst, small(quick(&DownloadOptions{Connections: 3, SHA256: sha256Hex(body)})))
	require.NoError(t, err)
	requireFile(t, dst, body)
	assert.Equal(t, 1, res.Restarts)
	assert.Equal(t, "HTTP/2.0", srv.Requests()[1].Proto)
}

func TestDownloadParallelFallsBack(t *testing.T) {
	body := content(512<<10, 33)
	for _, tc := range []struct {
		name  string
		setup func(r *mocks.Resource)
	}{
		{"accept-ranges: none", func(r *mocks.Resource) { r.NoRanges = true }},
		{"weak etag, fresh date", func(r *mocks.Resource) { r.WeakETag = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mocks.NewServer(t)
			res := mocks.Content(body, "application/octet-stream")
			tc.setup(res)
			url := srv.Handle("/f.bin", res)
			dst := filepath.Join(t.TempDir(), "f.bin")
			got, err := downloadClient(t).Download(context.Background(), url, dst, small(quick(&DownloadOptions{Connections: 4})))
			require.NoError(t, err)
			requireFile(t, dst, body)
			assert.Equal(t, 1, got.Connections)
			assert.Equal(t, []string{""}, ranges(srv))
		})
	}
	t.Run("server ignores the ranges it advertises", func(t *testing.T) {
		srv, url := contentServer(t, body)
		srv.Fail("/f.bin", mocks.IgnoreRange().Times(10))
		dst := filepath.Join(t.TempDir(), "f.bin")
		got, err := downloadClient(t).Download(context.Background(), url, dst, small(quick(&DownloadOptions{Connections: 4, SHA256: sha256Hex(body)})))
		require.NoError(t, err)
		requireFile(t, dst, body)
		// The range requests went out at once, so one may reach the server
		// after the whole-file GET that replaced them.
		gets := ranges(srv)
		whole := 0
		for _, r := range gets {
			if r == "" {
				whole++
			}
		}
		assert.Equal(t, 1, whole, "one whole-file stream in the end")
		assert.LessOrEqual(t, len(gets), 5, "the ranges asked at once, then the whole file")
		assert.LessOrEqual(t, got.Connections, 4, "counted: the ranges asked at once, then one")
	})
}

func TestDownloadParallelChangeMidway(t *testing.T) {
	old, updated := content(1<<20, 34), content(900<<10+7, 35)
	srv, url := contentServer(t, old)
	srv.Fail("/f.bin", mocks.DropAt(600<<10), mocks.ChangeBody(updated).OnlyFor(http.MethodGet))
	dst := filepath.Join(t.TempDir(), "f.bin")
	res, err := downloadClient(t).Download(context.Background(), url, dst, small(quick(&DownloadOptions{Connections: 4, SHA256: sha256Hex(updated)})))
	require.NoError(t, err)
	requireFile(t, dst, updated)
	assert.GreaterOrEqual(t, res.Restarts, 1, "at least the start over")
}

func TestDownloadParallelFailFast(t *testing.T) {
	old, updated := content(1<<20, 36), content(1<<20, 37)
	srv, url := contentServer(t, old)
	srv.Fail("/f.bin", mocks.DropAt(600<<10), mocks.ChangeBody(updated).OnlyFor(http.MethodGet))
	dst := filepath.Join(t.TempDir(), "f.bin")
	_, err := downloadClient(t).Download(context.Background(), url, dst, small(quick(&DownloadOptions{Connections: 4, FailFast: true})))
	var changed *ContentChangedError
	require.ErrorAs(t, err, &changed)
	var conflict *ConflictError
	assert.ErrorAs(t, err, &conflict)
	assert.NoFileExists(t, dst)
	assert.NoFileExists(t, dst+partSuffix)
	for _, r := range rangeRequests(srv) {
		assert.NotEmpty(t, r.Header.Get("If-Match"))
		assert.Empty(t, r.Header.Get("If-Range"))
	}
}

func TestDownloadParallelResumes(t *testing.T) {
	body := content(1<<20, 38)
	for _, conns := range []int{4, 1} {
		t.Run(fmt.Sprintf("then %d connections", conns), func(t *testing.T) {
			srv, url := contentServer(t, body)
			dst := filepath.Join(t.TempDir(), "f.bin")
			c := downloadClient(t)
			srv.Fail("/f.bin", mocks.DropAt(512<<10+100)) // early in the third span: hit before any steal
			_, err := c.Download(context.Background(), url, dst, small(quick(&DownloadOptions{Connections: 4, Restarts: Schedule{Attempts: -1}, ComputeSHA256: true})))
			require.ErrorIs(t, err, ErrTooManyRestarts)
			require.FileExists(t, dst+partSuffix+sidecarSuffix)
			data, err := os.ReadFile(dst + partSuffix + sidecarSuffix)
			require.NoError(t, err)
			assert.Contains(t, string(data), `"parallel":true`)

			srv.ResetLog()
			res, err := c.Download(context.Background(), url, dst, small(quick(&DownloadOptions{Connections: conns, SHA256: sha256Hex(body)})))
			require.NoError(t, err)
			requireFile(t, dst, body)
			assert.True(t, res.Resumed)
			for _, r := range rangeRequests(srv) {
				assert.NotEqual(t, "bytes=0-", r.Header.Get("Range"), "nothing is fetched twice from the start")
			}
		})
	}
}

// TestDownloadFaultMatrix cuts connections at many random offsets, with one
// and several connections, and checks that every file is bit-exact; then
// changes the content in the middle of transfers and checks that the file
// is always exactly the new content, never a mix.
func TestDownloadFaultMatrix(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 4242))
	c := downloadClient(t)
	dir := t.TempDir()
	for i := 0; i < 40; i++ {
		size := 20_000 + rng.IntN(800_000)
		conns := []int{1, 1, 2, 4, 8}[rng.IntN(5)]
		cuts := make([]int64, 1+rng.IntN(4))
		for j := range cuts {
			cuts[j] = rng.Int64N(int64(size))
		}
		slices.Sort(cuts)
		change := i%4 == 3
		name := fmt.Sprintf("case%02d-%dB-%dconn-cuts%v-change%v", i, size, conns, cuts, change)
		t.Run(name, func(t *testing.T) {
			body := content(size, uint64(i))
			srv := mocks.NewServer(t)
			url := srv.Handle("/f.bin", mocks.Content(body, "application/octet-stream"))
			want := body
			for j, cut := range cuts {
				srv.Fail("/f.bin", mocks.DropAt(cut))
				if change && j == len(cuts)/2 {
					want = content(size/2+rng.IntN(size), uint64(1000+i))
					srv.Fail("/f.bin", mocks.ChangeBody(want).OnlyFor(http.MethodGet))
				}
			}
			dst := filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+".bin")
			res, err := c.Download(context.Background(), url, dst, small(quick(&DownloadOptions{Connections: conns, SHA256: sha256Hex(want), Restarts: Schedule{Attempts: 10}})))
			require.NoError(t, err)
			requireFile(t, dst, want)
			assert.Equal(t, int64(len(want)), res.Bytes)
		})
	}
}

func TestDownloadParallelDistrustsAShortPartialFile(t *testing.T) {
	body := content(1<<20, 39)
	srv, url := contentServer(t, body)
	dst := filepath.Join(t.TempDir(), "f.bin")
	c := downloadClient(t)
	srv.Fail("/f.bin", mocks.DropAt(768<<10+100)) // early in the fourth span: hit before any steal
	_, err := c.Download(context.Background(), url, dst, small(quick(&DownloadOptions{Connections: 4, Restarts: Schedule{Attempts: -1}})))
	require.ErrorIs(t, err, ErrTooManyRestarts)
	// The sidecar claims bytes far into the file; the file lost them.
	require.NoError(t, os.Truncate(dst+partSuffix, 1000))
	res, err := c.Download(context.Background(), url, dst, small(quick(&DownloadOptions{Connections: 4, SHA256: sha256Hex(body)})))
	require.NoError(t, err)
	assert.False(t, res.Resumed, "a partial file shorter than its sidecar says is not trusted")
	requireFile(t, dst, body)
}
