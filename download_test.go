package level3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

// content returns n deterministic pseudo-random bytes.
func content(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n - n%8; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// quickRestarts restarts a download without noticeable waits.
var quickRestarts = Schedule{Initial: time.Millisecond, Max: 20 * time.Millisecond}

// quick returns a copy of o (nil: none) whose restarts wait quickRestarts,
// unless o sets its own waits.
func quick(o *DownloadOptions) *DownloadOptions {
	var out DownloadOptions
	if o != nil {
		out = *o
	}
	if out.Restarts.Initial == 0 && out.Restarts.Max == 0 {
		out.Restarts.Initial, out.Restarts.Max = quickRestarts.Initial, quickRestarts.Max
	}
	return &out
}

// downloadClient returns a Client that retries without noticeable waits
// (give its downloads quick options to restart so too).
func downloadClient(t testing.TB, opts ...Option) *Client {
	t.Helper()
	c, err := New(append([]Option{WithRetry(fastRetry)}, opts...)...)
	require.NoError(t, err)
	return c
}

// contentServer serves body as a Content resource at /f.bin.
func contentServer(t testing.TB, body []byte) (*mocks.Server, string) {
	srv := mocks.NewServer(t, mocks.Strict(t))
	return srv, srv.Handle("/f.bin", mocks.Content(body, "application/octet-stream"))
}

// requireFile checks that path holds want and that its directory holds no
// partial file or sidecar.
func requireFile(t testing.TB, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, got), "%s: %d bytes, want %d, content differs", path, len(got), len(want))
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasSuffix(e.Name(), partSuffix) || strings.Contains(e.Name(), partSuffix+sidecarSuffix), "left behind: %s", e.Name())
	}
}

// ranges lists the Range header of every GET the server saw.
func ranges(srv *mocks.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		if r.Method == http.MethodGet {
			out = append(out, r.Header.Get("Range"))
		}
	}
	return out
}

// plantPartial leaves a partial file holding data and a sidecar as an
// interrupted single-stream download of url to dir/name would.
func plantPartial(t testing.TB, dir, name, url string, data []byte, v Validators, date time.Time, total int64) {
	t.Helper()
	root, err := os.OpenRoot(dir)
	require.NoError(t, err)
	defer root.Close()
	d := destination{dir: dir, name: name, root: root}
	require.NoError(t, os.WriteFile(filepath.Join(dir, d.partName()), data, 0o644))
	sc := newSidecar(url, url)
	sc.setVersion(v, date)
	sc.Total, sc.Next = total, int64(len(data))
	require.NoError(t, d.saveSidecar(&sc))
}

// mustParseTime parses an HTTP date.
func mustParseTime(t testing.TB, v string) time.Time {
	t.Helper()
	tm, err := http.ParseTime(v)
	require.NoError(t, err)
	return tm
}

// cutDownload runs a download that the server cuts at offset and that may
// not restart, leaving a partial file behind.
func cutDownload(t testing.TB, c *Client, srv *mocks.Server, url, dst string, offset int64, opts *DownloadOptions) {
	t.Helper()
	srv.Fail("/f.bin", mocks.DropAt(offset))
	o := quick(opts)
	o.Restarts.Attempts = -1
	_, err := c.Download(context.Background(), url, dst, o)
	require.ErrorIs(t, err, ErrTooManyRestarts)
	fi, err := os.Stat(dst + partSuffix)
	require.NoError(t, err, "the partial file is kept")
	require.Equal(t, offset, fi.Size())
	require.FileExists(t, dst+partSuffix+sidecarSuffix)
}

func TestDownloadToFile(t *testing.T) {
	body := content(300_000, 1)
	srv, url := contentServer(t, body)
	dst := filepath.Join(t.TempDir(), "out.bin")
	res, err := downloadClient(t).Download(context.Background(), url, dst, quick(&DownloadOptions{ComputeSHA256: true}))
	require.NoError(t, err)
	requireFile(t, dst, body)
	r, _ := srv.Resource("/f.bin")
	assert.Equal(t, &DownloadResult{
		Path: dst, Bytes: int64(len(body)), SHA256: sha256Hex(body), Connections: 1, ConnectionsOpened: 1,
		ContentType: "application/octet-stream", Validators: Validators{ETag: r.ETag, LastModified: r.LastModified.UTC()},
	}, res)
	log := srv.Requests()
	require.Len(t, log, 1, "one GET, no HEAD, for a file path")
	assert.Equal(t, "identity", log[0].Header.Get("Accept-Encoding"))
	assert.Empty(t, log[0].Header.Get("Range"))
}

func TestDownloadIntoDirectory(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	dir := t.TempDir()
	c := downloadClient(t)
	res, err := c.Download(context.Background(), srv.URL+mocks.PathReport, dir+string(filepath.Separator), quick(nil))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "report.csv"), res.Path, "from content-disposition")
	assert.Equal(t, "text/csv", res.ContentType)
	requireFile(t, res.Path, mocks.CatalogReport())

	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	srv.Handle("/data/café.txt", mocks.Content([]byte("coffee"), "text/plain"))
	res, err = c.Download(context.Background(), srv.URL+"/data/caf%C3%A9.txt", sub, quick(nil))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(sub, "café.txt"), res.Path, "an existing directory; the name from the URL")

	_, err = c.Download(context.Background(), srv.URL+"/data/caf%C3%A9.txt", filepath.Join(dir, "missing", "x.txt"), quick(nil))
	assert.ErrorIs(t, err, fs.ErrNotExist, "the directory of a file path must exist")
}

func TestDownloadResumesAfterDrops(t *testing.T) {
	body := content(500_000, 2)
	srv, url := contentServer(t, body)
	srv.Fail("/f.bin", mocks.DropAt(1000), mocks.DropAt(200_000), mocks.DropAt(499_999))
	dst := filepath.Join(t.TempDir(), "f.bin")
	res, err := downloadClient(t).Download(context.Background(), url, dst, quick(&DownloadOptions{SHA256: sha256Hex(body)}))
	require.NoError(t, err)
	requireFile(t, dst, body)
	assert.Equal(t, 3, res.Restarts)
	assert.Equal(t, sha256Hex(body), res.SHA256)
	assert.Equal(t, []string{"", "bytes=1000-", "bytes=200000-", "bytes=499999-"}, ranges(srv))
	r, _ := srv.Resource("/f.bin")
	for _, req := range srv.Requests()[1:] {
		assert.Equal(t, r.ETag, req.Header.Get("If-Range"))
		assert.Equal(t, "identity", req.Header.Get("Accept-Encoding"))
	}
}

func TestDownloadResumesAcrossCalls(t *testing.T) {
	body := content(400_000, 3)
	srv, url := contentServer(t, body)
	dst := filepath.Join(t.TempDir(), "f.bin")
	c := downloadClient(t)
	cutDownload(t, c, srv, url, dst, 150_000, &DownloadOptions{ComputeSHA256: true})
	srv.ResetLog()

	res, err := c.Download(context.Background(), url, dst, quick(&DownloadOptions{SHA256: sha256Hex(body)}))
	require.NoError(t, err)
	requireFile(t, dst, body)
	assert.True(t, res.Resumed)
	assert.Equal(t, 0, res.Restarts)
	assert.Equal(t, []string{"bytes=150000-"}, ranges(srv))
}

func TestDownloadResumeHashesWhatWasNotHashed(t *testing.T) {
	body := content(200_000, 4)
	srv, url := contentServer(t, body)
	dst := filepath.Join(t.TempDir(), "f.bin")
	c := downloadClient(t)
	cutDownload(t, c, srv, url, dst, 70_000, nil) // no digest state saved
	res, err := c.Download(context.Background(), url, dst, quick(&DownloadOptions{SHA256: sha256Hex(body)}))
	require.NoError(t, err, "the partial bytes are read once to start the digest")
	assert.True(t, res.Resumed)
	requireFile(t, dst, body)
}

func TestDownloadContentChangedStartsOver(t *testing.T) {
	old, updated := content(300_000, 5), content(250_000, 6)
	srv, url := contentServer(t, old)
	dst := filepath.Join(t.TempDir(), "f.bin")
	c := downloadClient(t)
	cutDownload(t, c, srv, url, dst, 100_000, nil)
	srv.SetBody("/f.bin", updated)
	srv.ResetLog()

	res, err := c.Download(context.Background(), url, dst, quick(&DownloadOptions{SHA256: sha256Hex(updated)}))
	require.NoError(t, err)
	requireFile(t, dst, updated)
	assert.Equal(t, 1, res.Restarts, "the 200 to If-Range restarted the file")
	assert.True(t, res.Resumed)
	log := srv.Requests()
	require.Len(t, log, 1)
	assert.Equal(t, "bytes=100000-", log[0].Header.Get("Range"))
}

func TestDownloadFailFast(t *testing.T) {
	old, updated := content(300_000, 7), content(300_000, 8)
	for _, keep := range []bool{false, true} {
		t.Run(map[bool]string{false: "discard", true: "keep"}[keep], func(t *testing.T) {
			srv, url := contentServer(t, old)
			dst := filepath.Join(t.TempDir(), "f.bin")
			c := downloadClient(t)
			cutDownload(t, c, srv, url, dst, 100_000, nil)
			before, _ := srv.Resource("/f.bin")
			srv.SetBody("/f.bin", updated)
			srv.ResetLog()

			res, err := c.Download(context.Background(), url, dst, quick(&DownloadOptions{FailFast: true, KeepPartialOnChange: keep}))
			assert.Nil(t, res)
			var changed *ContentChangedError
			require.ErrorAs(t, err, &changed)
			assert.ErrorIs(t, err, ErrContentChanged)
			var conflict *ConflictError
			require.ErrorAs(t, err, &conflict, "a Level 3 server answers 409")
			assert.Equal(t, keep, changed.PartialKept)
			log := srv.Requests()
			require.Len(t, log, 1)
			assert.Equal(t, before.ETag, log[0].Header.Get("If-Match"))
			assert.Equal(t, "bytes=100000-", log[0].Header.Get("Range"))
			assert.NoFileExists(t, dst)
			if keep {
				data, err := os.ReadFile(dst + partSuffix)
				require.NoError(t, err)
				assert.Equal(t, old[:100_000], data)
				assert.FileExists(t, dst+partSuffix+sidecarSuffix)
			} else {
				assert.NoFileExists(t, dst+partSuffix)
				assert.NoFileExists(t, dst+partSuffix+sidecarSuffix)
			}
		})
	}
	t.Run("unchanged", func(t *testing.T) {
		srv, url := contentServer(t, old)
		dst := filepath.Join(t.TempDir(), "f.bin")
		c := downloadClient(t)
		cutDownload(t, c, srv, url, dst, 100_000, nil)
		res, err := c.Download(context.Background(), url, dst, quick(&DownloadOptions{FailFast: true}))
		require.NoError(t, err)
		assert.True(t, res.Resumed)
		requireFile(t, dst, old)
	})
}

func TestDownload416(t *testing.T) {
	body := content(100_000, 9)
	for _, tc := range []struct {
		name    string
		fault   *mocks.Fault
		partial []byte
		gets    []string
		heads   int
	}{
		{"complete, content-range says so", nil, body, []string{"bytes=100000-"}, 0},
		{"complete, no content-range: HEAD confirms", ptr(mocks.Status(416)), body, []string{"bytes=100000-"}, 1},
		{"shrank: start over", ptr(mocks.Status(416).WithHeader("Content-Range", "bytes */50000")), body[:60_000], []string{"bytes=60000-", ""}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, url := contentServer(t, body)
			r, _ := srv.Resource("/f.bin")
			if tc.fault != nil {
				srv.Fail("/f.bin", *tc.fault)
			}
			dir := t.TempDir()
			plantPartial(t, dir, "f.bin", url, tc.partial, Validators{ETag: r.ETag}, time.Time{}, int64(len(body)))
			res, err := downloadClient(t).Download(context.Background(), url, filepath.Join(dir, "f.bin"), quick(&DownloadOptions{SHA256: sha256Hex(body)}))
			require.NoError(t, err)
			requireFile(t, res.Path, body)
			assert.Equal(t, tc.gets, ranges(srv))
			heads := 0
			for _, r := range srv.Requests() {
				if r.Method == http.MethodHead {
					heads++
				}
			}
			assert.Equal(t, tc.heads, heads)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestDownloadWeakValidators(t *testing.T) {
	body := content(200_000, 10)
	t.Run("weak etag, fresh date: no resume", func(t *testing.T) {
		srv := mocks.NewServer(t)
		res := mocks.Content(body, "application/octet-stream")
		res.WeakETag = true
		url := srv.Handle("/f.bin", res)
		dst := filepath.Join(t.TempDir(), "f.bin")
		c := downloadClient(t)
		cutDownload(t, c, srv, url, dst, 50_000, nil)
		srv.ResetLog()
		_, err := c.Download(context.Background(), url, dst, quick(nil))
		require.NoError(t, err)
		requireFile(t, dst, body)
		log := srv.Requests()
		require.Len(t, log, 1)
		assert.Empty(t, log[0].Header.Get("Range"), "a weak tag cannot validate a range")
		assert.Empty(t, log[0].Header.Get("If-Range"))
	})
	t.Run("weak etag, old date: If-Range with the date", func(t *testing.T) {
		srv := mocks.NewServer(t)
		res := mocks.Content(body, "application/octet-stream")
		res.WeakETag = true
		res.LastModified = time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
		url := srv.Handle("/f.bin", res)
		dst := filepath.Join(t.TempDir(), "f.bin")
		c := downloadClient(t)
		cutDownload(t, c, srv, url, dst, 50_000, nil)
		srv.ResetLog()
		got, err := c.Download(context.Background(), url, dst, quick(nil))
		require.NoError(t, err)
		requireFile(t, dst, body)
		assert.True(t, got.Resumed)
		log := srv.Requests()
		require.Len(t, log, 1)
		assert.Equal(t, "bytes=50000-", log[0].Header.Get("Range"))
		assert.Equal(t, res.LastModified.Format(http.TimeFormat), log[0].Header.Get("If-Range"))
	})
}

func TestDownloadLyingContentLength(t *testing.T) {
	body := content(100_000, 11)
	t.Run("longer than the body", func(t *testing.T) {
		srv, url := contentServer(t, body)
		srv.Fail("/f.bin", mocks.LieLength(150_000))
		dst := filepath.Join(t.TempDir(), "f.bin")
		res, err := downloadClient(t).Download(context.Background(), url, dst, quick(nil))
		require.NoError(t, err)
		requireFile(t, dst, body)
		assert.Equal(t, []string{"", "bytes=100000-", ""}, ranges(srv), "cut short; 416 says 100000, not the 150000 announced: fetched again")
		assert.Equal(t, 2, res.Restarts)
	})
	t.Run("shorter, HEAD knows better", func(t *testing.T) {
		srv, url := contentServer(t, body)
		srv.Fail("/f.bin", mocks.LieLength(40_000))
		dir := t.TempDir()
		res, err := downloadClient(t).Download(context.Background(), url, dir+"/", quick(nil))
		require.NoError(t, err)
		requireFile(t, res.Path, body)
		assert.Equal(t, 1, res.Restarts)
	})
	t.Run("shorter, caught by the digest", func(t *testing.T) {
		srv, url := contentServer(t, body)
		srv.Fail("/f.bin", mocks.LieLength(40_000))
		dst := filepath.Join(t.TempDir(), "f.bin")
		_, err := downloadClient(t).Download(context.Background(), url, dst, quick(&DownloadOptions{SHA256: sha256Hex(body)}))
		var sumErr *ChecksumError
		require.ErrorAs(t, err, &sumErr)
		assert.Equal(t, sha256Hex(body), sumErr.Want)
		assert.Equal(t, sha256Hex(body[:40_000]), sumErr.Got)
		assert.NoFileExists(t, dst)
		assert.NoFileExists(t, dst+partSuffix)
		assert.NoFileExists(t, dst+partSuffix+sidecarSuffix)
	})
}

func TestDownloadStall(t *testing.T) {
	body := content(100_000, 12)
	srv, url := contentServer(t, body)
	srv.Fail("/f.bin", mocks.StallAt(30_000))
	dst := filepath.Join(t.TempDir(), "f.bin")
	res, err := downloadClient(t).Download(context.Background(), url, dst, quick(&DownloadOptions{StallTimeout: 50 * time.Millisecond}))
	require.NoError(t, err)
	requireFile(t, dst, body)
	assert.Equal(t, 1, res.Restarts)
	assert.Equal(t, []string{"", "bytes=30000-"}, ranges(srv))
}

func TestDownloadCancelKeepsPartial(t *testing.T) {
	body := content(1<<20, 13)
	srv, url := contentServer(t, body)
	srv.Fail("/f.bin", mocks.StallAt(1<<20-1)) // the transfer cannot end before the cancel
	dst := filepath.Join(t.TempDir(), "f.bin")
	c := downloadClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := c.Download(ctx, url, dst, quick(&DownloadOptions{ComputeSHA256: true, Progress: func(p Progress) {
		if p.Bytes >= 200_000 {
			cancel()
		}
	}, ProgressInterval: time.Millisecond}))
	require.ErrorIs(t, err, context.Canceled)
	fi, err := os.Stat(dst + partSuffix)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, fi.Size(), int64(200_000))
	assert.Less(t, fi.Size(), int64(len(body)))
	assert.NoFileExists(t, dst)

	srv.ResetLog()
	got, err := c.Download(context.Background(), url, dst, quick(&DownloadOptions{SHA256: sha256Hex(body)}))
	require.NoError(t, err)
	assert.True(t, got.Resumed)
	requireFile(t, dst, body)
	assert.Equal(t, []string{"bytes=" + strconv.FormatInt(fi.Size(), 10) + "-"}, ranges(srv))
}

func TestDownloadHeadRefused(t *testing.T) {
	body := content(200_000, 18)
	srv := mocks.NewServer(t)
	res := mocks.Content(body, "application/octet-stream")
	res.Allow = []string{"GET"}
	res.Header = http.Header{"Content-Disposition": {mocks.Attachment("named.bin")}}
	url := srv.Handle("/f.bin", res)
	dir := t.TempDir()
	c := downloadClient(t)

	got, err := c.Download(context.Background(), url, dir+"/", quick(nil))
	require.NoError(t, err)
	requireFile(t, filepath.Join(dir, "named.bin"), body)
	assert.Equal(t, filepath.Join(dir, "named.bin"), got.Path)

	// With a partial file there, the naming GET is dropped for a ranged one.
	r, _ := srv.Resource("/f.bin")
	require.NoError(t, os.Remove(got.Path))
	plantPartial(t, dir, "named.bin", url, body[:80_000], Validators{ETag: r.ETag}, time.Time{}, int64(len(body)))
	srv.ResetLog()
	got, err = c.Download(context.Background(), url, dir+"/", quick(&DownloadOptions{Connections: 3}))
	require.NoError(t, err)
	assert.True(t, got.Resumed)
	requireFile(t, got.Path, body)
	assert.Equal(t, []string{"", "bytes=80000-"}, ranges(srv))
}

func TestDownloadUnexpectedAndErrorStatuses(t *testing.T) {
	body := content(1000, 19)
	for _, tc := range []struct {
		name  string
		fault mocks.Fault
		check func(t *testing.T, err error)
	}{
		{"206 to a plain GET", mocks.Status(206).WithHeader("Content-Range", "bytes 0-9/1000"), func(t *testing.T, err error) {
			assert.ErrorIs(t, err, ErrUnexpectedResponse)
		}},
		{"304 unasked", mocks.Status(304), func(t *testing.T, err error) { assert.ErrorIs(t, err, ErrUnexpectedResponse) }},
		{"404", mocks.Problem(404, "Not Found", "gone fishing"), func(t *testing.T, err error) {
			var nf *NotFoundError
			require.ErrorAs(t, err, &nf)
			assert.Equal(t, "gone fishing", nf.Problem.Detail)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, url := contentServer(t, body)
			srv.Fail("/f.bin", tc.fault)
			dst := filepath.Join(t.TempDir(), "f.bin")
			res, err := downloadClient(t).Download(context.Background(), url, dst, quick(nil))
			assert.Nil(t, res)
			tc.check(t, err)
			assert.NoFileExists(t, dst)
			assert.NoFileExists(t, dst+partSuffix, "an empty partial file is not kept")
			assert.NoFileExists(t, dst+partSuffix+sidecarSuffix)
		})
	}
}

func TestDownloadTransportErrorIsKept(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "x")
	_, err := downloadClient(t).Download(context.Background(), "http://127.0.0.1:1/x", dst, quick(nil))
	var ue *url.Error
	require.ErrorAs(t, err, &ue, "the transport's error comes back as it is")
	assert.NotErrorIs(t, err, ErrUnexpectedResponse)
	assert.NoFileExists(t, dst+partSuffix)
	_, err = downloadClient(t).Download(context.Background(), "http://127.0.0.1:1/x", t.TempDir()+"/", quick(nil))
	require.ErrorAs(t, err, &ue, "directory mode: the HEAD's error")
}

func TestDownloadProbeGetWhenHeadIsRefusedAndFails(t *testing.T) {
	srv := mocks.NewServer(t)
	res := mocks.Content([]byte("x"), "text/plain")
	res.Allow = []string{"GET"}
	url := srv.Handle("/f.txt", res)
	srv.Fail("/f.txt", mocks.Problem(503, "Busy", "later").OnlyFor(http.MethodGet).Times(4))
	_, err := downloadClient(t).Download(context.Background(), url, t.TempDir()+"/", quick(nil))
	var se *ServerError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 4, se.Attempts)
}
