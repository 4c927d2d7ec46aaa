package level3

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

// writeTemp writes data to a file named name in a fresh temporary directory
// and returns its path.
func writeTemp(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
	return path
}

// pathOf returns the path of an absolute URL on srv.
func pathOf(srv *mocks.Server, u *url.URL) string { return strings.TrimPrefix(u.String(), srv.URL) }

func TestEncodeSlug(t *testing.T) {
	for in, want := range map[string]string{
		"report.csv":        "report.csv",
		"héllo wörld.txt":   "h%C3%A9llo w%C3%B6rld.txt",
		"100%.txt":          "100%25.txt",
		" padded ":          "%20padded%20",
		"a\r\nX-Evil: 1":    "a%0D%0AX-Evil: 1",
		"tab\there":         "tab%09here",
		"日本.png":            "%E6%97%A5%E6%9C%AC.png",
		"bad\xffutf8":       "bad%FFutf8",
		"dir/sub/file.json": "dir/sub/file.json",
		"":                  "",
	} {
		assert.Equal(t, want, encodeSlug(in), "%q", in)
	}
}

func FuzzEncodeSlug(f *testing.F) {
	for _, s := range []string{"a.txt", "héllo wörld", "100%", " x ", "\x00\r\n", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := encodeSlug(name)
		for i := 0; i < len(got); i++ {
			if got[i] < 0x20 || got[i] > 0x7e {
				t.Fatalf("encodeSlug(%q) = %q: byte %#x is not printable ASCII", name, got, got[i])
			}
		}
		if got != strings.TrimSpace(got) {
			t.Fatalf("encodeSlug(%q) = %q: header parsing would trim it", name, got)
		}
		back, err := url.PathUnescape(got)
		if err != nil || back != name {
			t.Fatalf("encodeSlug(%q) = %q decodes to %q, %v", name, got, back, err)
		}
		if !validHeaderValue(got) {
			t.Fatalf("encodeSlug(%q) = %q is not a valid header value", name, got)
		}
	})
}

// TestUploadIfVersion holds what TestQuoteETag held of the if-match an
// upload sends, now through RequestOptions.IfVersion: a bare tag is quoted,
// a quoted one kept, and what is no strong entity tag is refused before
// anything is sent (a weak tag too: it never satisfies if-match).
func TestUploadIfVersion(t *testing.T) {
	build := func(etag string) (*http.Request, error) {
		o := &UploadOptions{RequestOptions: RequestOptions{IfVersion: Validators{ETag: etag}}}
		req, _, err := newUploadRequest(context.Background(), http.MethodPut, "http://127.0.0.1:1/x", strings.NewReader("x"), "", o)
		return req, err
	}
	for in, want := range map[string]string{
		`"abc"`:     `"abc"`,
		`abc`:       `"abc"`,
		` "abc" `:   `"abc"`,
		`""`:        `""`,
		`"a-b.c_1"`: `"a-b.c_1"`,
	} {
		req, err := build(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, req.Header.Get("If-Match"), in)
	}
	for _, bad := range []string{`W/"abc"`, `W/abc`, `a"b`, `"a b"`, "a\nb", `"a"b"`} {
		_, err := build(bad)
		assert.Error(t, err, "%q", bad)
	}
	req, err := build("")
	require.NoError(t, err)
	assert.Empty(t, req.Header.Values("If-Match"), "the zero IfVersion sends no precondition")
}

func TestDetectContentType(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	for _, c := range []struct {
		name string
		head []byte
		want string
	}{
		{"a.json", nil, "application/json"},
		{"a.png", []byte("not really"), "image/png"},
		{"noext", png, "image/png"},
		{"", []byte("<html><body>hi"), "text/html; charset=utf-8"},
		{"a.unknown-ext", []byte("plain words"), "text/plain; charset=utf-8"},
		{"", []byte{0, 1, 2, 3}, "application/octet-stream"},
		{"noext", nil, ""},
	} {
		assert.Equal(t, c.want, detectContentType(c.name, c.head), "%q", c.name)
	}
}

func TestSniffKeepsEveryByte(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 100) // 1000 bytes
	file := writeTemp(t, "f", string(data))
	open := func() *os.File {
		f, err := os.Open(file)
		require.NoError(t, err)
		t.Cleanup(func() { f.Close() })
		_, err = f.Seek(3, io.SeekStart) // sniff from the current offset
		require.NoError(t, err)
		return f
	}
	for name, body := range map[string]io.Reader{
		"file":          open(),
		"section":       io.NewSectionReader(bytes.NewReader(data), 3, 997),
		"bytes.Reader":  bytes.NewReader(data[3:]),
		"bytes.Buffer":  bytes.NewBuffer(data[3:]),
		"plain reader":  iotest.OneByteReader(bytes.NewReader(data[3:])),
		"short reader":  iotest.HalfReader(bytes.NewReader(data[3:10])),
		"empty reader":  iotest.OneByteReader(bytes.NewReader(nil)),
		"strings.Reade": strings.NewReader(string(data[3:])),
	} {
		t.Run(name, func(t *testing.T) {
			want, _ := io.ReadAll(io.NewSectionReader(bytes.NewReader(data), 3, 997))
			if name == "short reader" {
				want = data[3:10]
			}
			if name == "empty reader" {
				want = []byte{}
			}
			head, body, err := sniff(body)
			require.NoError(t, err)
			assert.Equal(t, want[:min(len(want), sniffLen)], head)
			got, err := io.ReadAll(body)
			require.NoError(t, err)
			assert.Equal(t, want, got, "the bytes read to sniff are still sent")
		})
	}
	_, _, err := sniff(iotest.ErrReader(io.ErrClosedPipe))
	assert.ErrorIs(t, err, io.ErrClosedPipe)
}

func TestUploadFileToCatalog(t *testing.T) {
	forEachProto(t, func(t *testing.T, srv *mocks.Server) {
		c := newTestClient(t, srv)
		file := writeTemp(t, "héllo wörld.txt", "hello, world\n")
		res, err := c.UploadFile(context.Background(), srv.URL+mocks.PathUploads, file, nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusCreated, res.Status)
		require.NotNil(t, res.Location)
		assert.True(t, res.Location.IsAbs())
		assert.True(t, strings.HasPrefix(res.Location.String(), srv.URL+mocks.PathUploads+"/"), res.Location)
		assert.NotEmpty(t, res.Validators.ETag)
		assert.False(t, res.Validators.LastModified.IsZero())
		assert.EqualValues(t, 13, res.Sent)

		req := srv.Requests()[0]
		assert.Equal(t, "h%C3%A9llo w%C3%B6rld.txt", req.Header.Get("Slug"))
		assert.Equal(t, "text/plain; charset=utf-8", req.Header.Get("Content-Type"))
		assert.Equal(t, "13", req.Header.Get("Content-Length"))
		stored, ok := srv.Resource(pathOf(srv, res.Location))
		require.True(t, ok)
		assert.Equal(t, "hello, world\n", string(stored.Body))
		assert.Equal(t, `attachment; filename*=utf-8''h%C3%A9llo%20w%C3%B6rld.txt`, stored.Header.Get("Content-Disposition"))
	})
}

func TestUploadDetectsTypeFromBytesOfAPlainReader(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 3000)...)
	res, err := c.Upload(context.Background(), srv.URL+mocks.PathUploads, iotest.OneByteReader(bytes.NewReader(png)), &UploadOptions{Length: int64(len(png))})
	require.NoError(t, err)
	req := srv.Requests()[0]
	assert.Equal(t, "image/png", req.Header.Get("Content-Type"))
	assert.Empty(t, req.Header.Get("Slug"), "a plain reader has no name")
	stored, _ := srv.Resource(pathOf(srv, res.Location))
	assert.Equal(t, png, stored.Body)
}

func TestUploadOptionsAreSent(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	_, err := c.Upload(context.Background(), srv.URL+mocks.PathUploads, strings.NewReader("a,b\n"), &UploadOptions{
		RequestOptions: RequestOptions{IdempotencyKey: "k-1", Header: http.Header{"X-Trace": {"abc"}}},
		ContentType:    "text/csv",
		Slug:           "q3 report.csv",
	})
	require.NoError(t, err)
	h := srv.Requests()[0].Header
	assert.Equal(t, "text/csv", h.Get("Content-Type"))
	assert.Equal(t, "q3 report.csv", h.Get("Slug"))
	assert.Equal(t, `"k-1"`, h.Get("Idempotency-Key"))
	assert.Equal(t, "abc", h.Get("X-Trace"))

	srv.ResetLog()
	_, err = c.Upload(context.Background(), srv.URL+mocks.PathUploads, strings.NewReader("x"), &UploadOptions{NoSlug: true, Slug: "ignored.bin"})
	require.NoError(t, err)
	assert.Empty(t, srv.Requests()[0].Header.Values("Slug"))
}

func TestUploadOptionsValidation(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	for name, o := range map[string]*UploadOptions{
		"force and if-match":  {RequestOptions: RequestOptions{Force: true, IfVersion: Validators{ETag: `"a"`}}},
		"negative length":     {Length: -1},
		"bad mode":            {Preflight: 9},
		"bad content type":    {ContentType: "text/plain\r\nX: y"},
		"unparsable type":     {ContentType: "/;;"},
		"bad key":             {RequestOptions: RequestOptions{IdempotencyKey: "k\u00e9y"}}, // not ASCII: no RFC 9651 string
		"bad etag":            {RequestOptions: RequestOptions{IfVersion: Validators{ETag: "a b"}}},
		"bad header name":     {RequestOptions: RequestOptions{Header: http.Header{"Bad Name": {"x"}}}},
		"bad header value":    {RequestOptions: RequestOptions{Header: http.Header{"X": {"a\nb"}}}},
		"length disagrees":    {Length: 5},
		"length of empty PUT": {Length: 1},
	} {
		_, err := c.Upload(context.Background(), "http://127.0.0.1:1/up", strings.NewReader("abc"), o)
		assert.Error(t, err, name)
		assert.NotContains(t, err.Error(), "connect", "%s: rejected before sending", name)
	}
}

func TestUploadProgress(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.Handle("/up", limitedUpload(8<<20))
	c := newTestClient(t, srv)
	var (
		mu    sync.Mutex
		calls []Progress
	)
	_, err := c.Upload(context.Background(), srv.URL+"/up", zeroBody(4<<20), &UploadOptions{
		Progress: func(p Progress) { mu.Lock(); calls = append(calls, p); mu.Unlock() },
	})
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, calls)
	last := calls[len(calls)-1]
	assert.True(t, last.Done)
	assert.EqualValues(t, 4<<20, last.Bytes)
	assert.EqualValues(t, 4<<20, last.Total)
	assert.Positive(t, last.Rate)
	for i := 1; i < len(calls); i++ {
		assert.GreaterOrEqual(t, calls[i].Bytes, calls[i-1].Bytes)
		assert.False(t, calls[i-1].Done, "Done comes last, once")
	}
}

func TestUploadProgressRestartsOnRetry(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	srv.Fail(mocks.PathReport, mocks.Status(503))
	c := newTestClient(t, srv)
	var mu sync.Mutex
	var sent []int64
	res, err := c.Put(context.Background(), srv.URL+mocks.PathReport, bytes.NewReader(make([]byte, 1000)), &UploadOptions{
		Progress: func(p Progress) { mu.Lock(); sent = append(sent, p.Bytes); mu.Unlock() },
	})
	require.NoError(t, err)
	assert.EqualValues(t, 1000, res.Sent, "the last attempt's count")
	assert.Equal(t, 2, srv.Count(mocks.PathReport))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []int64{1000, 1000}, sent, "each attempt counts from 0")
}

func TestPutConditions(t *testing.T) {
	forEachProto(t, func(t *testing.T, srv *mocks.Server) {
		c := newTestClient(t, srv)
		ctx := context.Background()
		target := srv.URL + mocks.PathReport
		current, _ := srv.Resource(mocks.PathReport)

		_, err := c.Put(ctx, target, strings.NewReader("a"), &UploadOptions{RequestOptions: RequestOptions{IfVersion: Validators{ETag: `"stale"`}}})
		var stale *PreconditionFailedError
		require.ErrorAs(t, err, &stale)

		res, err := c.Put(ctx, target, strings.NewReader("new,csv\n"), &UploadOptions{RequestOptions: RequestOptions{IfVersion: Validators{ETag: strings.Trim(current.ETag, `"`)}}})
		require.NoError(t, err)
		assert.Equal(t, http.StatusNoContent, res.Status)
		assert.NotEmpty(t, res.Validators.ETag)
		assert.NotEqual(t, current.ETag, res.Validators.ETag)
		assert.Equal(t, target, res.Location.String(), "a PUT's location is its target")

		_, err = c.Put(ctx, target, strings.NewReader("b"), &UploadOptions{RequestOptions: RequestOptions{IfVersion: Validators{LastModified: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}}})
		require.ErrorAs(t, err, &stale)

		res, err = c.Put(ctx, target, strings.NewReader("forced"), &UploadOptions{RequestOptions: RequestOptions{Force: true}})
		require.NoError(t, err)
		assert.Equal(t, "*", srv.Requests()[len(srv.Requests())-1].Header.Get("If-Match"))
		stored, _ := srv.Resource(mocks.PathReport)
		assert.Equal(t, "forced", string(stored.Body))
		assert.Equal(t, res.Validators.ETag, stored.ETag)
	})
}

func TestResourcePutIsConditionalOnWhatWasSeen(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	ctx := context.Background()
	r, err := c.Discover(ctx, srv.URL+mocks.PathReport)
	require.NoError(t, err)
	srv.SetBody(mocks.PathReport, []byte("someone else's")) // changed since
	_, err = r.Put(ctx, strings.NewReader("mine"), nil)
	var stale *PreconditionFailedError
	require.ErrorAs(t, err, &stale)
	assert.Equal(t, r.ETag, srv.Requests()[1].Header.Get("If-Match"))

	r, err = c.Discover(ctx, srv.URL+mocks.PathReport)
	require.NoError(t, err)
	res, err := r.Put(ctx, strings.NewReader("mine"), nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, res.Status)
}

func TestResourceUploadFollowsWhatTheTargetAdvertises(t *testing.T) {
	srv := mocks.NewServer(t)
	up := limitedUpload(1 << 20).With(profiles.Preflight)
	up.IdempotencyKey = "optional"
	srv.Handle("/up", up)
	c := newTestClient(t, srv)
	ctx := context.Background()
	r, err := c.Discover(ctx, srv.URL+"/up")
	require.NoError(t, err)
	_, err = r.Upload(ctx, strings.NewReader("small"), &UploadOptions{ContentType: "text/plain"})
	require.NoError(t, err)
	h := srv.Requests()[1].Header
	assert.Equal(t, "100-continue", h.Get("Expect"), "preflighted below the threshold: the resource asks for it")
	assert.Regexp(t, `^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$`, h.Get("Idempotency-Key"), "a NewIdempotencyKey")

	_, err = ResourceFromResponse(&http.Response{Header: http.Header{}}).Upload(ctx, strings.NewReader("x"), nil)
	assert.Error(t, err, "no Client")
}

func TestUploadErrorsAreTyped(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.Handle("/up", limitedUpload(1<<20))
	c := newTestClient(t, srv)
	for status, target := range map[int]any{
		400: new(*BadRequestError), 403: new(*ForbiddenError), 409: new(*ConflictError),
		411: new(*LengthRequiredError), 412: new(*PreconditionFailedError), 413: new(*PayloadTooLargeError),
		415: new(*UnsupportedMediaTypeError), 422: new(*UnprocessableEntityError), 428: new(*PreconditionRequiredError),
	} {
		srv.Fail("/up", mocks.Problem(status, http.StatusText(status), "no"))
		_, err := c.Upload(context.Background(), srv.URL+"/up", strings.NewReader("x"), nil)
		assert.ErrorAs(t, err, target, "%d", status)
	}
}

func TestUploadResultLocation(t *testing.T) {
	base, _ := url.Parse("https://api.example/uploads/")
	for _, c := range []struct {
		method string
		header http.Header
		want   string
	}{
		{"POST", http.Header{"Location": {"/files/7"}}, "https://api.example/files/7"},
		{"POST", http.Header{"Location": {"8"}}, "https://api.example/uploads/8"},
		{"POST", http.Header{"Location": {"https://cdn.example/9"}}, "https://cdn.example/9"},
		{"POST", http.Header{"Content-Location": {"/files/10"}}, "https://api.example/files/10"},
		{"POST", http.Header{}, ""},
		{"PUT", http.Header{}, "https://api.example/uploads/"},
		{"PUT", http.Header{"Location": {"/elsewhere"}}, "https://api.example/elsewhere"},
	} {
		req := &http.Request{Method: c.method, URL: base}
		res, err := uploadResult(req, &http.Response{StatusCode: 201, Header: c.header, Request: req, Body: http.NoBody}, 0)
		require.NoError(t, err)
		got := ""
		if res.Location != nil {
			got = res.Location.String()
		}
		assert.Equal(t, c.want, got, "%s %v", c.method, c.header)
	}
	req := &http.Request{Method: http.MethodPut, URL: base}
	res, err := uploadResult(req, &http.Response{StatusCode: 204, Header: http.Header{"Last-Modified": {"garbage"}, "Etag": {`"e"`}}, Body: http.NoBody}, 3)
	require.NoError(t, err)
	assert.True(t, res.Validators.LastModified.IsZero())
	assert.Equal(t, `"e"`, res.Validators.ETag)
	assert.EqualValues(t, 3, res.Sent)
}

func TestUploadFileRejectsNonRegularFiles(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	_, err = c.UploadFile(context.Background(), "http://127.0.0.1:1/up", t.TempDir(), nil)
	assert.ErrorContains(t, err, "not a regular file")
	_, err = c.PutFile(context.Background(), "http://127.0.0.1:1/up", filepath.Join(t.TempDir(), "missing"), nil)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// afterFirst is a RoundTripper that calls hook once the first round trip is
// over.
type afterFirst struct {
	next http.RoundTripper
	once sync.Once
	hook func()
}

func (a *afterFirst) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.next.RoundTrip(req)
	a.once.Do(a.hook)
	return resp, err
}

func TestPutFileSendsTheFileItselfAndReopensItForRetries(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	srv.Fail(mocks.PathReport, mocks.Status(503))
	c := newTestClient(t, srv)
	file := writeTemp(t, "r.csv", "a,b\n1,2\n")
	res, err := c.PutFile(context.Background(), srv.URL+mocks.PathReport, file, nil)
	require.NoError(t, err)
	assert.EqualValues(t, 8, res.Sent)
	assert.Equal(t, 2, srv.Count(mocks.PathReport))
	stored, _ := srv.Resource(mocks.PathReport)
	assert.Equal(t, "a,b\n1,2\n", string(stored.Body))

	// A file that changes between two attempts is not sent half old, half new.
	srv.Fail(mocks.PathReport, mocks.Status(503))
	hc := &http.Client{Transport: &afterFirst{next: srv.Client().Transport, hook: func() {
		require.NoError(t, os.WriteFile(file, []byte("longer now\n"), 0o644))
	}}}
	c, err = New(WithHTTPClient(hc), WithRetry(fastRetry))
	require.NoError(t, err)
	_, err = c.PutFile(context.Background(), srv.URL+mocks.PathReport, file, nil)
	assert.ErrorIs(t, err, ErrSourceChanged)
}
