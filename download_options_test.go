package level3

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

func TestDownloadOptionsAreValidated(t *testing.T) {
	c := downloadClient(t)
	for name, o := range map[string]DownloadOptions{
		"Connections":      {Connections: -1},
		"Connections ":     {Connections: MaxConnections + 1},
		"SHA256":           {SHA256: "abc"},
		"SHA256 ":          {SHA256: strings.Repeat("z", 64)},
		"StallTimeout":     {StallTimeout: -time.Second},
		"ProgressInterval": {ProgressInterval: -time.Second, Progress: func(Progress) {}},
		"KnownVersion":     {KnownVersion: Validators{ETag: "\"a\nb\""}},
		"Restarts":         {Restarts: Schedule{Initial: -1}},
		"Restarts ":        {Restarts: Schedule{Multiplier: 0.5}},
		"IfVersion":        {RequestOptions: RequestOptions{IfVersion: Validators{ETag: `"a"`}}},
		"Force":            {RequestOptions: RequestOptions{Force: true}},
		"Header":           {RequestOptions: RequestOptions{Header: http.Header{"X": {"a\nb"}}}},
	} {
		_, err := c.Download(context.Background(), "http://127.0.0.1:1/x", t.TempDir()+"/x", &o)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), strings.TrimSpace(name), "the error names the field")
		assert.NotContains(t, err.Error(), "connect", "%s: refused before any request", name)
	}
	// Zero values are the defaults, and a negative Attempts means none:
	// all valid (the request is then refused by the closed port).
	for name, o := range map[string]DownloadOptions{
		"zero": {}, "no restarts": {Restarts: Schedule{Attempts: -1}}, "no progress function": {ProgressInterval: time.Second},
	} {
		_, err := c.Download(context.Background(), "http://127.0.0.1:1/x", t.TempDir()+"/x", &o)
		var ue *url.Error
		assert.ErrorAs(t, err, &ue, name)
	}
	_, err := c.Download(context.Background(), "ftp://example.com/x", t.TempDir()+"/x", quick(nil))
	assert.ErrorContains(t, err, "unsupported URL scheme")
	_, err = c.Download(context.Background(), "http://127.0.0.1:1/x", "..", quick(nil))
	assert.Error(t, err)
}

func TestDownloadProgress(t *testing.T) {
	body := content(1<<20, 20)
	srv := mocks.NewServer(t)
	res := mocks.Content(body, "application/octet-stream")
	res.Rate = 8 << 20
	url := srv.Handle("/f.bin", res)
	var calls, inside atomic.Int32
	var last Progress
	_, err := downloadClient(t).Download(context.Background(), url, filepath.Join(t.TempDir(), "f.bin"), quick(&DownloadOptions{Progress: func(p Progress) {
		if inside.Add(1) != 1 {
			t.Error("progress function called concurrently")
		}
		defer inside.Add(-1)
		calls.Add(1)
		assert.GreaterOrEqual(t, p.Bytes, last.Bytes)
		last = p
	}, ProgressInterval: 10 * time.Millisecond}))
	require.NoError(t, err)
	assert.Greater(t, calls.Load(), int32(2))
	assert.Equal(t, int64(len(body)), last.Bytes)
	assert.Equal(t, int64(len(body)), last.Total)
	assert.Greater(t, last.Rate, 0.0)
}

func TestDownloadKnownVersion(t *testing.T) {
	body := content(1000, 15)
	srv, url := contentServer(t, body)
	dst := filepath.Join(t.TempDir(), "f.bin")
	c := downloadClient(t)
	first, err := c.Download(context.Background(), url, dst, quick(nil))
	require.NoError(t, err)

	res, err := c.Download(context.Background(), url, dst, quick(&DownloadOptions{KnownVersion: Validators{ETag: first.ETag}}))
	require.NoError(t, err)
	assert.True(t, res.NotModified)
	assert.Equal(t, first.ETag, res.ETag)
	assert.Equal(t, first.ETag, srv.Requests()[1].Header.Get("If-None-Match"))
	requireFile(t, dst, body)

	updated := content(2000, 16)
	srv.SetBody("/f.bin", updated)
	res, err = c.Download(context.Background(), url, dst, quick(&DownloadOptions{KnownVersion: Validators{ETag: first.ETag}}))
	require.NoError(t, err)
	assert.False(t, res.NotModified)
	requireFile(t, dst, updated)

	dir := t.TempDir()
	srv.AddCatalog()
	r, _ := srv.Resource(mocks.PathReport)
	res, err = c.Download(context.Background(), srv.URL+mocks.PathReport, dir+"/", quick(&DownloadOptions{KnownVersion: Validators{ETag: r.ETag}}))
	require.NoError(t, err)
	assert.True(t, res.NotModified, "the HEAD answers 304 in directory mode")
	assert.Equal(t, filepath.Join(dir, "report.csv"), res.Path)
	assert.NoFileExists(t, res.Path)
}

func TestDownloadNoResume(t *testing.T) {
	body := content(100_000, 23)
	srv, url := contentServer(t, body)
	dst := filepath.Join(t.TempDir(), "f.bin")
	c := downloadClient(t)
	cutDownload(t, c, srv, url, dst, 30_000, nil)
	srv.ResetLog()
	res, err := c.Download(context.Background(), url, dst, quick(&DownloadOptions{NoResume: true}))
	require.NoError(t, err)
	assert.False(t, res.Resumed)
	assert.Equal(t, []string{""}, ranges(srv))
	requireFile(t, dst, body)
}

func TestDownloadSyncAndKnownDate(t *testing.T) {
	body := content(50_000, 25)
	srv, url := contentServer(t, body)
	dst := filepath.Join(t.TempDir(), "f.bin")
	c := downloadClient(t)
	first, err := c.Download(context.Background(), url, dst, quick(&DownloadOptions{Sync: true}))
	require.NoError(t, err)
	requireFile(t, dst, body)

	res, err := c.Download(context.Background(), url, dst, quick(&DownloadOptions{KnownVersion: Validators{LastModified: first.LastModified}}))
	require.NoError(t, err)
	assert.True(t, res.NotModified)
	last := srv.Requests()[len(srv.Requests())-1]
	assert.Equal(t, first.LastModified.Format(http.TimeFormat), last.Header.Get("If-Modified-Since"))
	assert.Empty(t, last.Header.Get("If-None-Match"))
}

func TestDownloadRequestOptions(t *testing.T) {
	body := content(3<<20, 31)
	srv, url := contentServer(t, body)
	dir := t.TempDir()
	o := small(quick(&DownloadOptions{Connections: 2, RequestOptions: RequestOptions{Header: http.Header{"X-Trace": {"t1"}}}}))
	res, err := downloadClient(t).Download(context.Background(), url, dir+"/", o)
	require.NoError(t, err)
	requireFile(t, res.Path, body)
	log := srv.Requests()
	require.GreaterOrEqual(t, len(log), 3, "a HEAD and a GET per connection")
	for _, r := range log {
		assert.Equal(t, "t1", r.Header.Get("X-Trace"), "%s %s", r.Method, r.Header.Get("Range"))
		assert.Equal(t, "identity", r.Header.Get("Accept-Encoding"), "the download's own headers win")
	}
}
