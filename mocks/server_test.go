package mocks

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/profiles"
)

// do sends one request with a plain client and returns the response with its
// body read.
func do(t *testing.T, c *http.Client, method, url string, body io.Reader, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestCatalogHeaders(t *testing.T) {
	s := NewServer(t, Strict(t))
	s.AddCatalog()
	c := noRedirects()

	resp, _ := do(t, c, "HEAD", s.URL+PathOrders, nil)
	assert.Equal(t, 200, resp.StatusCode)
	set, err := profiles.Parse(resp.Header.Values("Profile")...)
	require.NoError(t, err)
	assert.True(t, set.Has(profiles.Nexus))
	assert.True(t, set.Has(profiles.RoleList))
	assert.Equal(t, "GET, HEAD, DELETE", resp.Header.Get("Allow"))
	links := resp.Header.Values("Link")
	require.Len(t, links, 4, "one link header line per link")
	assert.Contains(t, links[1], `title*=UTF-8''Order%202%20%E2%80%93%20caf%C3%A9`)

	resp, body := do(t, c, "GET", s.URL+PathReport, nil)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, CatalogReport(), body)
	assert.Equal(t, "bytes", resp.Header.Get("Accept-Ranges"))
	etag := resp.Header.Get("ETag")
	assert.Regexp(t, `^"[0-9a-f]{16}"$`, etag)
	assert.NotEmpty(t, resp.Header.Get("Last-Modified"))

	resp, _ = do(t, c, "GET", s.URL+PathReport, nil, "If-None-Match", etag)
	assert.Equal(t, 304, resp.StatusCode)
	resp, body = do(t, c, "GET", s.URL+PathReport, nil, "Range", "bytes=10-19", "If-Range", etag)
	assert.Equal(t, 206, resp.StatusCode)
	assert.Equal(t, CatalogReport()[10:20], body)

	resp, _ = do(t, c, "PUT", s.URL+PathOldOrders, strings.NewReader("x"))
	assert.Equal(t, 308, resp.StatusCode)
	assert.Equal(t, PathOrders, resp.Header.Get("Location"))
	resp, _ = do(t, c, "POST", s.URL+PathShip, nil)
	assert.Equal(t, 303, resp.StatusCode)
	assert.Equal(t, PathOrder1, resp.Header.Get("Location"))
	resp, _ = do(t, c, "POST", s.URL+PathFindOrder, strings.NewReader(`{"id":1}`), "Content-Type", "application/json")
	assert.Equal(t, 303, resp.StatusCode)
	resp, _ = do(t, c, "DELETE", s.URL+PathStats, nil)
	assert.Equal(t, 405, resp.StatusCode)
}

func TestFaultsAreUsedUpInOrder(t *testing.T) {
	s := NewServer(t)
	s.Handle("/x", Info(`{}`))
	s.Fail("/x", Problem(503, "Busy", "try later").WithRetryAfter("2").Times(2), Status(429))
	c := http.DefaultClient
	for i, want := range []int{503, 503, 429, 200, 200} {
		resp, body := do(t, c, "GET", s.URL+"/x", nil)
		assert.Equal(t, want, resp.StatusCode, "request %d", i)
		if want == 503 {
			assert.Equal(t, "2", resp.Header.Get("Retry-After"))
			assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
			assert.Contains(t, string(body), `"title":"Busy"`)
		}
	}
	assert.Equal(t, 5, s.Count("/x"))
}

func TestFaultOnlyForMethod(t *testing.T) {
	s := NewServer(t)
	s.Handle("/d", Data(`{}`))
	s.Fail("/d", Status(500).OnlyFor("PUT"))
	resp, _ := do(t, http.DefaultClient, "GET", s.URL+"/d", nil)
	assert.Equal(t, 200, resp.StatusCode)
	resp, _ = do(t, http.DefaultClient, "PUT", s.URL+"/d", strings.NewReader(`{}`))
	assert.Equal(t, 500, resp.StatusCode)
}

func TestDropAfterCutsTheBody(t *testing.T) {
	s := NewServer(t)
	s.Handle("/f", Content(bytes.Repeat([]byte("a"), 100_000), "application/octet-stream"))
	s.Fail("/f", DropAfter(1000))
	resp, err := http.Get(s.URL + "/f")
	require.NoError(t, err)
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Len(t, got, 1000)

	resp, body := do(t, http.DefaultClient, "GET", s.URL+"/f", nil)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Len(t, body, 100_000)
}

func TestHangup(t *testing.T) {
	s := NewServer(t)
	s.Handle("/x", Info(`{}`))
	s.Fail("/x", Hangup())
	_, err := http.Get(s.URL + "/x")
	require.Error(t, err)
	resp, _ := do(t, http.DefaultClient, "GET", s.URL+"/x", nil)
	assert.Equal(t, 200, resp.StatusCode)
}

func TestConditionalPutAndSetBody(t *testing.T) {
	s := NewServer(t)
	s.Handle("/d", Data(`{"a":1}`))
	r, _ := s.Resource("/d")
	old := r.ETag
	require.NotEmpty(t, old)

	resp, _ := do(t, http.DefaultClient, "PUT", s.URL+"/d", strings.NewReader(`{"a":2}`), "If-Match", `"nope"`)
	assert.Equal(t, 412, resp.StatusCode)
	resp, _ = do(t, http.DefaultClient, "PUT", s.URL+"/d", strings.NewReader(`{"a":2}`), "If-Match", old, "Content-Type", "application/json")
	assert.Equal(t, 204, resp.StatusCode)
	newTag := resp.Header.Get("ETag")
	assert.NotEqual(t, old, newTag)
	r, _ = s.Resource("/d")
	assert.Equal(t, `{"a":2}`, string(r.Body))

	resp, _ = do(t, http.DefaultClient, "PATCH", s.URL+"/d", strings.NewReader(`{"b":3}`))
	assert.Equal(t, 428, resp.StatusCode, "PATCH without content-type")
	resp, _ = do(t, http.DefaultClient, "PATCH", s.URL+"/d", strings.NewReader(`{"b":3,"a":null}`), "Content-Type", "application/merge-patch+json")
	assert.Equal(t, 204, resp.StatusCode)
	r, _ = s.Resource("/d")
	assert.JSONEq(t, `{"b":3}`, string(r.Body))

	s.SetBody("/d", []byte(`{"c":4}`))
	r2, _ := s.Resource("/d")
	assert.NotEqual(t, r.ETag, r2.ETag)
	resp, _ = do(t, http.DefaultClient, "DELETE", s.URL+"/d", nil, "If-Match", r.ETag)
	assert.Equal(t, 412, resp.StatusCode)
	resp, _ = do(t, http.DefaultClient, "DELETE", s.URL+"/d", nil, "If-Match", "*")
	assert.Equal(t, 204, resp.StatusCode)
	resp, _ = do(t, http.DefaultClient, "GET", s.URL+"/d", nil)
	assert.Equal(t, 404, resp.StatusCode)
}

func TestUploadCreatesAndRejectsWithoutReading(t *testing.T) {
	s := NewServer(t)
	s.AddCatalog()
	resp, _ := do(t, http.DefaultClient, "POST", s.URL+PathUploads, strings.NewReader("hello"), "Content-Type", "text/plain", "Slug", "h%C3%A9llo.txt")
	require.Equal(t, 201, resp.StatusCode)
	loc := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, s.URL+PathUploads+"/"), loc)
	assert.NotEmpty(t, resp.Header.Get("ETag"))
	resp, body := do(t, http.DefaultClient, "GET", loc, nil)
	assert.Equal(t, "hello", string(body))
	assert.Equal(t, `attachment; filename*=utf-8''h%C3%A9llo.txt`, resp.Header.Get("Content-Disposition"))
	assert.EqualValues(t, 5, s.BodyBytes(PathUploads))

	s.ResetLog()
	big := bytes.Repeat([]byte("x"), 2<<20)
	resp, _ = do(t, http.DefaultClient, "POST", s.URL+PathUploads, bytes.NewReader(big), "Content-Type", "application/octet-stream")
	assert.Equal(t, 413, resp.StatusCode)
	assert.EqualValues(t, 0, s.BodyBytes(PathUploads), "a rejected upload is not read")

	resp, _ = do(t, http.DefaultClient, "POST", s.URL+PathUploads, strings.NewReader("x"))
	assert.Equal(t, 415, resp.StatusCode)
}

func TestExpect417(t *testing.T) {
	s := NewServer(t)
	s.Handle("/up", Upload())
	s.Fail("/up", Expect417())
	resp, _ := do(t, http.DefaultClient, "POST", s.URL+"/up", strings.NewReader("a"), "Content-Type", "text/plain")
	assert.Equal(t, 201, resp.StatusCode, "without expect the fault does not apply")
	resp, _ = do(t, http.DefaultClient, "POST", s.URL+"/up", strings.NewReader("a"), "Content-Type", "text/plain", "Expect", "100-continue")
	assert.Equal(t, 417, resp.StatusCode)
}

func TestAsyncPostShowsAfterPolls(t *testing.T) {
	s := NewServer(t)
	up := Upload().With(profiles.Async)
	up.AsyncPolls, up.RetryAfter = 2, "1"
	s.Handle("/up", up)
	resp, _ := do(t, http.DefaultClient, "POST", s.URL+"/up", strings.NewReader("data"), "Content-Type", "text/plain", "Prefer", "respond-async, wait=0")
	require.Equal(t, 202, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	loc := resp.Header.Get("Location")
	for i, want := range []int{404, 404, 200} {
		resp, _ := do(t, http.DefaultClient, "GET", loc, nil)
		assert.Equal(t, want, resp.StatusCode, "poll %d", i)
	}
}

func TestAsyncPutAndDelete(t *testing.T) {
	s := NewServer(t)
	d := Data(`{"v":1}`).With(profiles.Async)
	d.AsyncPolls = 1
	s.Handle("/d", d)
	before, _ := s.Resource("/d")
	resp, _ := do(t, http.DefaultClient, "PUT", s.URL+"/d", strings.NewReader(`{"v":2}`), "Prefer", "respond-async")
	require.Equal(t, 202, resp.StatusCode)
	resp, _ = do(t, http.DefaultClient, "GET", s.URL+"/d", nil)
	assert.Equal(t, before.ETag, resp.Header.Get("ETag"), "invisible for one poll")
	resp, _ = do(t, http.DefaultClient, "GET", s.URL+"/d", nil)
	assert.NotEqual(t, before.ETag, resp.Header.Get("ETag"), "the change shows at the second poll")
	resp, _ = do(t, http.DefaultClient, "DELETE", s.URL+"/d", nil, "Prefer", "respond-async")
	require.Equal(t, 202, resp.StatusCode)
	resp, _ = do(t, http.DefaultClient, "HEAD", s.URL+"/d", nil)
	assert.Equal(t, 200, resp.StatusCode, "still there at the first poll")
	resp, _ = do(t, http.DefaultClient, "GET", s.URL+"/d", nil)
	assert.Equal(t, 404, resp.StatusCode)
}

func TestFormIdempotencyKeyRequired(t *testing.T) {
	s := NewServer(t)
	f := Form(`{"item":""}`)
	f.IdempotencyKey = "required"
	s.Handle("/f", f)
	resp, _ := do(t, http.DefaultClient, "HEAD", s.URL+"/f", nil)
	assert.Equal(t, "required", resp.Header.Get("Idempotency-Key"))
	resp, _ = do(t, http.DefaultClient, "POST", s.URL+"/f", strings.NewReader(`{"item":"a"}`), "Content-Type", "application/json")
	assert.Equal(t, 400, resp.StatusCode)
	resp, _ = do(t, http.DefaultClient, "POST", s.URL+"/f", strings.NewReader(`{"item":"a"}`), "Content-Type", "application/json", "Idempotency-Key", `"k1"`)
	assert.Equal(t, 201, resp.StatusCode)
	resp, _ = do(t, http.DefaultClient, "POST", s.URL+"/f", strings.NewReader(`{oops`), "Content-Type", "application/json", "Idempotency-Key", `"k2"`)
	assert.Equal(t, 400, resp.StatusCode)
}

func TestHTTP2(t *testing.T) {
	s := NewServer(t, WithHTTP2())
	s.Handle("/", Home())
	resp, _ := do(t, s.Client(), "GET", s.URL+"/", nil)
	assert.Equal(t, 2, resp.ProtoMajor)
	assert.Equal(t, "HTTP/2.0", s.Requests()[0].Proto)
	assert.Contains(t, s.TLSConfig().NextProtos, "h2")
}

// recorder is a testing.TB that records Errorf calls, for testing Strict.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) { r.errs = append(r.errs, format) }

func TestStrictReportsUnexpectedPaths(t *testing.T) {
	rec := &recorder{TB: t}
	s := NewServer(t, Strict(rec))
	resp, _ := do(t, http.DefaultClient, "GET", s.URL+"/nowhere", nil)
	assert.Equal(t, 404, resp.StatusCode)
	assert.Len(t, rec.errs, 1)
}

// fakeTB is a TB that is not from package testing: the server needs no
// more than these four methods.
type fakeTB struct {
	cleanups []func()
	errors   []string
	fatal    string
}

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Cleanup(fn func())                 { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Errorf(format string, args ...any) { f.errors = append(f.errors, format) }
func (f *fakeTB) Fatalf(format string, args ...any) { f.fatal = fmt.Sprintf(format, args...) }

func TestNewServerTakesAnyTB(t *testing.T) {
	var tb fakeTB
	s := NewServer(&tb, Strict(&tb))
	resp, _ := do(t, http.DefaultClient, "GET", s.URL+"/nowhere", nil)
	assert.Equal(t, 404, resp.StatusCode)
	assert.Len(t, tb.errors, 1, "Strict reports through Errorf")
	require.Len(t, tb.cleanups, 1)
	tb.cleanups[0]() // the test ends
	_, err := http.Get(s.URL + "/")
	assert.Error(t, err, "the server is closed at cleanup")

	busy := NewServer(t)
	var tb2 fakeTB
	NewServer(&tb2, WithAddr(strings.TrimPrefix(busy.URL, "http://")))
	assert.Contains(t, tb2.fatal, "mocks: ", "a server that cannot start fails the test")
}

// Programs import the server: it must not link package testing or testify.
func TestServerLinksNoTestCode(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, dep := range strings.Fields(string(out)) {
		assert.False(t, dep == "testing" || strings.Contains(dep, "testify"), "mocks depends on %s", dep)
	}
}
