package level3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/journal"
	"github.com/l3go/level3/mocks"
)

// tree writes files (relative path -> content) below a fresh directory and
// returns it.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	}
	return dir
}

// collect returns BulkOptions that gather results, and the gathered results
// sorted by name.
func collect(o *BulkOptions) (*BulkOptions, func() []FileResult) {
	var mu sync.Mutex
	var got []FileResult
	o.OnResult = func(r FileResult) { mu.Lock(); got = append(got, r); mu.Unlock() }
	return o, func() []FileResult {
		mu.Lock()
		defer mu.Unlock()
		sort.Slice(got, func(i, j int) bool { return got[i].Name < got[j].Name })
		return append([]FileResult(nil), got...)
	}
}

func TestFileRetryable(t *testing.T) {
	status := func(code int) error {
		return typed(ResponseError{StatusCode: code, Status: fmt.Sprint(code)})
	}
	conn := &url.Error{Op: "Post", URL: "http://x", Err: io.ErrUnexpectedEOF}
	for _, c := range []struct {
		name   string
		method string
		keyed  bool
		size   int64
		sent   int64
		err    error
		want   bool
	}{
		{"PUT 503", "PUT", false, 10, 10, status(503), true},
		{"PUT 500", "PUT", false, 10, 10, status(500), true},
		{"PUT 429", "PUT", false, 10, 10, status(429), true},
		{"PUT connection", "PUT", false, 10, 10, conn, true},
		{"PUT 400", "PUT", false, 10, 10, status(400), false},
		{"PUT 413", "PUT", false, 10, 0, status(413), false},
		{"PUT 409", "PUT", false, 10, 10, status(409), false},
		{"POST 503 after body", "POST", false, 10, 10, status(503), false},
		{"POST 503 before body", "POST", false, 10, 0, status(503), true},
		{"POST connection before body", "POST", false, 10, 0, conn, true},
		{"POST connection after body", "POST", false, 10, 4, conn, false},
		{"empty POST: nothing tells", "POST", false, 0, 0, status(503), false},
		{"keyed POST 503", "POST", true, 10, 10, status(503), true},
		{"keyed POST 409 key busy", "POST", true, 10, 10, status(409), true},
		{"POST 409", "POST", false, 10, 0, status(409), false},
		{"cancelled", "PUT", false, 10, 0, &url.Error{Op: "Put", URL: "u", Err: context.Canceled}, false},
		{"deadline", "PUT", false, 10, 0, context.DeadlineExceeded, false},
		{"unreadable file", "PUT", false, 10, 0, fmt.Errorf("level3: %w", os.ErrPermission), false},
		{"bad certificate", "PUT", false, 10, 0, &url.Error{Op: "Put", URL: "u", Err: ErrBodyNotReplayable}, false},
		{"no error", "PUT", false, 10, 10, nil, false},
	} {
		assert.Equal(t, c.want, fileRetryable(c.method, c.keyed, c.size, c.sent, c.err), c.name)
	}
}

func TestPutURL(t *testing.T) {
	base, _ := url.Parse("http://h/dav/my%20files/")
	for name, want := range map[string]string{
		"a.txt":            "http://h/dav/my%20files/a.txt",
		"sub dir/b c.txt":  "http://h/dav/my%20files/sub%20dir/b%20c.txt",
		"100%/x#y?.txt":    "http://h/dav/my%20files/100%25/x%23y%3F.txt",
		"café/naïve.txt":   "http://h/dav/my%20files/caf%C3%A9/na%C3%AFve.txt",
		"semi;colon+plus":  "http://h/dav/my%20files/semi%3Bcolon+plus",
		"deep/er/est/z.go": "http://h/dav/my%20files/deep/er/est/z.go",
	} {
		u := putURL(base, name)
		assert.Equal(t, want, u.String(), name)
		assert.Equal(t, "/dav/my files/"+name, u.Path, name)
	}
	var got []string
	for _, u := range parentCollections(base, "a b/c/d.txt") {
		got = append(got, u.String())
	}
	assert.Equal(t, []string{"http://h/dav/my%20files/", "http://h/dav/my%20files/a%20b/", "http://h/dav/my%20files/a%20b/c/"}, got)
	require.Len(t, parentCollections(base, "top.txt"), 1)
	assert.Equal(t, base.String(), parentCollections(base, "top.txt")[0].String())
}

func TestUploadAllPostsEveryFileWithItsPath(t *testing.T) {
	forEachProto(t, func(t *testing.T, srv *mocks.Server) {
		dir := tree(t, map[string]string{
			"a.txt":          "alpha",
			"sub/b.json":     `{"b":1}`,
			"sub/deep/c.csv": "c,d\n",
			"é t/ü.txt":      "umlaut",
		})
		single := writeTemp(t, "single.bin", "one")
		c := newTestClient(t, srv)
		opts, results := collect(&BulkOptions{})
		sum, err := c.UploadAll(context.Background(), srv.URL+mocks.PathUploads, []string{dir, single}, opts)
		require.NoError(t, err)
		assert.Equal(t, BulkSummary{Files: 5, Uploaded: 5, Bytes: 5 + 7 + 4 + 6 + 3, Elapsed: sum.Elapsed}, sum)

		got := results()
		require.Len(t, got, 5)
		names := []string{}
		for _, r := range got {
			names = append(names, r.Name)
			require.NoError(t, r.Err, r.Name)
			assert.Equal(t, http.StatusCreated, r.Status)
			assert.Equal(t, 1, r.Attempts)
			require.NotNil(t, r.Location)
			assert.True(t, strings.HasPrefix(r.Location.String(), srv.URL+mocks.PathUploads+"/"), r.Location)
			stored, ok := srv.Resource(pathOf(srv, r.Location))
			require.True(t, ok)
			data, _ := os.ReadFile(r.File)
			assert.Equal(t, string(data), string(stored.Body), r.Name)
		}
		assert.Equal(t, []string{"a.txt", "single.bin", "sub/b.json", "sub/deep/c.csv", "é t/ü.txt"}, names)
		var slugs []string
		for _, r := range srv.Requests() {
			if r.Method == http.MethodPost {
				slugs = append(slugs, r.Header.Get("Slug"))
				assert.Equal(t, "100-continue", r.Header.Get("Expect")+proto2Expect(r), "the target advertises Preflight")
			}
		}
		sort.Strings(slugs)
		assert.Equal(t, []string{"%C3%A9 t/%C3%BC.txt", "a.txt", "single.bin", "sub/b.json", "sub/deep/c.csv"}, slugs)
	})
}

// proto2Expect stands in for the expect header net/http's HTTP/2 server hides.
func proto2Expect(r mocks.Request) string {
	if r.Proto == "HTTP/2.0" {
		return "100-continue"
	}
	return ""
}

func TestUploadAllBoundsConcurrency(t *testing.T) {
	files := map[string]string{}
	for i := range 12 {
		files[fmt.Sprintf("f%02d", i)] = "x"
	}
	dir := tree(t, files)
	var inFlight, peak atomic.Int32
	srv := httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	})
	c, err := New()
	require.NoError(t, err)
	sum, err := c.UploadAll(context.Background(), srv+"/up", []string{dir}, &BulkOptions{Concurrency: 3})
	require.NoError(t, err)
	assert.Equal(t, 12, sum.Uploaded)
	assert.EqualValues(t, 3, peak.Load())
}

// httptestServer serves h on loopback for the test and returns its URL.
func httptestServer(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestUploadAllRetriesOnlyWhatIsSafe(t *testing.T) {
	dir := tree(t, map[string]string{"a.txt": "alpha"})
	ctx := context.Background()

	t.Run("keyed POST is retried", func(t *testing.T) {
		srv := mocks.NewServer(t)
		up := limitedUpload(1 << 20)
		up.IdempotencyKey = "optional"
		srv.Handle("/up", up)
		srv.Fail("/up", mocks.Status(503).OnlyFor("POST").WithRetryAfter("0").Times(2))
		c := newTestClient(t, srv)
		opts, results := collect(&BulkOptions{})
		sum, err := c.UploadAll(ctx, srv.URL+"/up", []string{dir}, opts)
		require.NoError(t, err)
		assert.Equal(t, 1, sum.Uploaded)
		assert.Equal(t, 3, results()[0].Attempts)
		keys := map[string]bool{}
		for _, r := range srv.Requests() {
			if r.Method == "POST" {
				keys[r.Header.Get("Idempotency-Key")] = true
			}
		}
		assert.Len(t, keys, 1, "every attempt of a file carries the same key")
	})
	t.Run("unkeyed POST whose body went out is not", func(t *testing.T) {
		srv := mocks.NewServer(t)
		srv.Handle("/up", limitedUpload(1<<20))
		srv.Fail("/up", mocks.Status(503).OnlyFor("POST").Times(5))
		c := newTestClient(t, srv)
		opts, results := collect(&BulkOptions{UploadOptions: UploadOptions{Preflight: PreflightNever}})
		sum, err := c.UploadAll(ctx, srv.URL+"/up", []string{dir}, opts)
		require.ErrorIs(t, err, ErrBulkFailed)
		assert.Equal(t, 1, sum.Failed)
		r := results()[0]
		assert.Equal(t, 1, r.Attempts)
		assert.Equal(t, 503, r.Status)
		var se *ServerError
		assert.ErrorAs(t, r.Err, &se)
		assert.Equal(t, 1, srv.Count("/up")-1, "one POST after the HEAD: the Client's own retries are off too")
	})
	t.Run("unkeyed POST refused before its body is", func(t *testing.T) {
		srv := mocks.NewServer(t)
		srv.Handle("/up", limitedUpload(1<<20))
		srv.Fail("/up", mocks.Status(503).OnlyFor("POST").WithRetryAfter("0"))
		c := newTestClient(t, srv)
		opts, results := collect(&BulkOptions{UploadOptions: UploadOptions{Preflight: PreflightAlways}})
		_, err := c.UploadAll(ctx, srv.URL+"/up", []string{dir}, opts)
		require.NoError(t, err)
		assert.Equal(t, 2, results()[0].Attempts)
	})
	t.Run("retries run out", func(t *testing.T) {
		srv := mocks.NewServer(t)
		srv.Handle("/up", limitedUpload(1<<20))
		srv.Fail("/up", mocks.Status(500).OnlyFor("POST").Times(10))
		c := newTestClient(t, srv)
		opts, results := collect(&BulkOptions{Retry: Schedule{Attempts: 2, Initial: time.Millisecond}, UploadOptions: UploadOptions{Preflight: PreflightAlways}})
		_, err := c.UploadAll(ctx, srv.URL+"/up", []string{dir}, opts)
		require.ErrorIs(t, err, ErrBulkFailed)
		assert.Equal(t, 3, results()[0].Attempts)
	})
	t.Run("no retries", func(t *testing.T) {
		srv := mocks.NewServer(t)
		srv.Handle("/up", limitedUpload(1<<20))
		srv.Fail("/up", mocks.Status(500).OnlyFor("POST").Times(10))
		c := newTestClient(t, srv)
		opts, results := collect(&BulkOptions{Retry: Schedule{Attempts: -1}, UploadOptions: UploadOptions{Preflight: PreflightAlways}})
		_, err := c.UploadAll(ctx, srv.URL+"/up", []string{dir}, opts)
		require.ErrorIs(t, err, ErrBulkFailed)
		assert.Equal(t, 1, results()[0].Attempts)
	})
}

func TestUploadAllReportsFilesItCannotSend(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	dir := tree(t, map[string]string{"ok.txt": "fine"})
	missing := filepath.Join(dir, "missing.txt")
	opts, results := collect(&BulkOptions{})
	sum, err := c.UploadAll(context.Background(), srv.URL+mocks.PathUploads, []string{dir, missing}, opts)
	require.ErrorIs(t, err, ErrBulkFailed)
	assert.Equal(t, BulkSummary{Files: 2, Uploaded: 1, Failed: 1, Bytes: 4, Elapsed: sum.Elapsed}, sum)
	got := results()
	assert.ErrorIs(t, got[0].Err, os.ErrNotExist)
	assert.Zero(t, got[0].Attempts)
	assert.NoError(t, got[1].Err)
}

func TestUploadAllValidates(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	ctx := context.Background()
	for name, o := range map[string]*BulkOptions{
		"slug":        {UploadOptions: UploadOptions{Slug: "x"}},
		"if-match":    {UploadOptions: UploadOptions{RequestOptions: RequestOptions{IfVersion: Validators{ETag: `"a"`}}}},
		"key":         {UploadOptions: UploadOptions{RequestOptions: RequestOptions{IdempotencyKey: "k"}}},
		"progress":    {UploadOptions: UploadOptions{Progress: func(Progress) {}}},
		"concurrency": {Concurrency: -1},
		"bad type":    {UploadOptions: UploadOptions{ContentType: "a\nb"}},
		"bad header":  {UploadOptions: UploadOptions{RequestOptions: RequestOptions{Header: http.Header{"X": {"a\nb"}}}}},
		"bad retry":   {Retry: Schedule{Initial: -1}},
	} {
		_, err := c.UploadAll(ctx, "http://127.0.0.1:1/up", nil, o)
		assert.Error(t, err, name)
	}
	_, err = c.UploadAll(ctx, "ftp://x/", nil, nil)
	assert.Error(t, err)
	_, err = c.UploadAll(ctx, "http://127.0.0.1:1/up", nil, &BulkOptions{Put: true, Journal: t.TempDir()})
	assert.ErrorContains(t, err, "journal")
}

func TestUploadAllJournalContinuesARun(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	ctx := context.Background()
	dir := tree(t, map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"})
	jpath := filepath.Join(t.TempDir(), "upload.journal")
	srv.Fail(mocks.PathUploads, mocks.Status(400).OnlyFor("POST"))

	sum, err := c.UploadAll(ctx, srv.URL+mocks.PathUploads, []string{dir}, &BulkOptions{Journal: jpath, Concurrency: 1})
	require.ErrorIs(t, err, ErrBulkFailed)
	assert.Equal(t, 3, sum.Uploaded)
	assert.Equal(t, 1, sum.Failed)

	// A killed run leaves half a line behind: it is ignored.
	f, err := os.OpenFile(jpath, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"kind":"level3.upload","version":1,"tar`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	srv.ResetLog()
	opts, results := collect(&BulkOptions{Journal: jpath})
	sum, err = c.UploadAll(ctx, srv.URL+mocks.PathUploads, []string{dir}, opts)
	require.NoError(t, err)
	assert.Equal(t, 3, sum.Skipped)
	assert.Equal(t, 1, sum.Uploaded)
	for _, r := range results() {
		assert.Equal(t, r.Name != "a", r.Skipped, r.Name)
	}

	// A changed file is uploaded again; another target starts afresh.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b"), []byte("22"), 0o644))
	sum, err = c.UploadAll(ctx, srv.URL+mocks.PathUploads, []string{dir}, &BulkOptions{Journal: jpath})
	require.NoError(t, err)
	assert.Equal(t, 1, sum.Uploaded)
	assert.Equal(t, 3, sum.Skipped)
	srv.Handle("/other", mocks.Upload())
	sum, err = c.UploadAll(ctx, srv.URL+"/other", []string{dir}, &BulkOptions{Journal: jpath})
	require.NoError(t, err)
	assert.Equal(t, 4, sum.Uploaded)

	data, err := os.ReadFile(jpath)
	require.NoError(t, err)
	done, keep, err := journal.Parse(strings.NewReader(string(data)))
	require.NoError(t, err)
	assert.EqualValues(t, len(data), keep, "the broken line was cut off")
	assert.Len(t, done, 3+1+1+4)
}

func TestUploadAllRefusesAForeignJournal(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	notes := writeTemp(t, "notes.txt", "shopping list\nmilk\n")
	_, err = c.UploadAll(context.Background(), "http://127.0.0.1:1/up", nil, &BulkOptions{Put: true, Journal: notes})
	require.ErrorIs(t, err, journal.ErrNotJournal)
	data, _ := os.ReadFile(notes)
	assert.Equal(t, "shopping list\nmilk\n", string(data), "left as it was")
}

func TestUploadAllStopsWhenCancelled(t *testing.T) {
	files := map[string]string{}
	for i := range 50 {
		files[fmt.Sprintf("f%02d", i)] = "x"
	}
	dir := tree(t, files)
	srv := mocks.NewServer(t)
	srv.Handle("/up", mocks.Upload())
	srv.Fail("/up", mocks.Delay(50*time.Millisecond).OnlyFor("POST").Times(100))
	c := newTestClient(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	opts := &BulkOptions{Concurrency: 2, OnResult: func(FileResult) {
		if n.Add(1) == 3 {
			cancel()
		}
	}}
	sum, err := c.UploadAll(ctx, srv.URL+"/up", []string{dir}, opts)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, sum.Files, 10)
	assert.False(t, errors.Is(err, ErrBulkFailed))
}

func TestUploadAllJournalHoldsNoSecrets(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	ctx := context.Background()
	dir := tree(t, map[string]string{"a": "1", "b/c": "2"})
	jpath := filepath.Join(t.TempDir(), "upload.journal")
	u := mustURL(t, srv.URL+mocks.PathUploads+"?X-Amz-Signature=SIGVALUE&token=TOKVALUE")
	u.User = url.UserPassword("ann", "pa55word")

	sum, err := c.UploadAll(ctx, u.String(), []string{dir}, &BulkOptions{Journal: jpath})
	require.NoError(t, err)
	assert.Equal(t, 2, sum.Uploaded)
	data, err := os.ReadFile(jpath)
	require.NoError(t, err)
	for _, s := range []string{"pa55word", "SIGVALUE", "TOKVALUE"} {
		assert.NotContains(t, string(data), s)
	}

	u.RawQuery = "X-Amz-Signature=SIGNEDAGAIN&token=TOKVALUE"
	sum, err = c.UploadAll(ctx, u.String(), []string{dir}, &BulkOptions{Journal: jpath})
	require.NoError(t, err)
	assert.Equal(t, 2, sum.Skipped, "the run carries on under a fresh signature")
}
