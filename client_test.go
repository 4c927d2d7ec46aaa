package level3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

// fastRetry retries quickly so tests do not sleep.
var fastRetry = RetryPolicy{Schedule: Schedule{Attempts: 3, Initial: time.Millisecond, Max: 20 * time.Millisecond}}

// newTestClient returns a Client for srv (trusting its certificate) with fast
// retries and the given options.
func newTestClient(t *testing.T, srv *mocks.Server, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{WithHTTPClient(srv.Client()), WithRetry(fastRetry)}, opts...)
	c, err := New(opts...)
	require.NoError(t, err)
	return c
}

// forEachProto runs test against a fresh catalog server over HTTP/1.1 and
// over HTTP/2, as net/http's own tests do.
func forEachProto(t *testing.T, test func(t *testing.T, srv *mocks.Server)) {
	for _, proto := range []struct {
		name string
		opts []mocks.Option
	}{{"HTTP1", nil}, {"HTTP2", []mocks.Option{mocks.WithHTTP2()}}} {
		t.Run(proto.name, func(t *testing.T) {
			srv := mocks.NewServer(t, proto.opts...)
			srv.AddCatalog()
			test(t, srv)
		})
	}
}

func TestNewValidatesOptions(t *testing.T) {
	cases := map[string]Option{
		"nil client":          WithHTTPClient(nil),
		"bad header name":     WithHeader("Bad Name", "x"),
		"header CRLF":         WithHeader("X-A", "a\r\nInjected: yes"),
		"empty UA":            WithUserAgent(" "),
		"negative retry wait": WithRetry(RetryPolicy{Schedule: Schedule{Initial: -1}}),
		"nil middleware":      WithMiddleware(nil),
	}
	for name, opt := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := New(opt)
			assert.Error(t, err)
			assert.Nil(t, c)
		})
	}
	c, err := New(nil, WithLogger(nil))
	require.NoError(t, err, "nil options and a nil logger are harmless")
	assert.NotSame(t, http.DefaultClient, c.HTTPClient(), "no global state")
}

func TestDefaultHeaders(t *testing.T) {
	forEachProto(t, func(t *testing.T, srv *mocks.Server) {
		c := newTestClient(t, srv, WithHeader("Authorization", "Bearer t0k"), WithHeader("X-Tenant", "a"), WithHeader("X-Tenant", "b"))
		resp, err := c.Get(context.Background(), srv.URL+mocks.PathStats, nil)
		require.NoError(t, err)
		resp.Body.Close()

		req, _ := http.NewRequest("GET", srv.URL+mocks.PathStats, nil)
		req.Header.Set("Authorization", "Bearer mine")
		req.Header.Set("User-Agent", "custom/1")
		resp, err = c.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Len(t, req.Header, 2, "Do does not modify the caller's request")

		log := srv.Requests()
		require.Len(t, log, 2)
		assert.Equal(t, "Bearer t0k", log[0].Header.Get("Authorization"))
		assert.Equal(t, []string{"a", "b"}, log[0].Header.Values("X-Tenant"))
		assert.Equal(t, DefaultUserAgent, log[0].Header.Get("User-Agent"))
		assert.Equal(t, "Bearer mine", log[1].Header.Get("Authorization"), "the request's own header wins")
		assert.Equal(t, "custom/1", log[1].Header.Get("User-Agent"))
	})
}

func TestWithUserAgent(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv, WithUserAgent("acme-sync/2.0"))
	resp, err := c.Get(context.Background(), srv.URL+mocks.PathStats, nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "acme-sync/2.0", srv.Requests()[0].Header.Get("User-Agent"))
}

func TestRetriesUntilSuccess(t *testing.T) {
	forEachProto(t, func(t *testing.T, srv *mocks.Server) {
		srv.Fail(mocks.PathStats, mocks.Status(503).WithRetryAfter("0"), mocks.Status(429), mocks.Hangup())
		c := newTestClient(t, srv)
		resp, err := c.Get(context.Background(), srv.URL+mocks.PathStats, nil)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		assert.JSONEq(t, `{"orders":3,"revenue":"126.00 EUR"}`, string(body))
		assert.Equal(t, 4, srv.Count(mocks.PathStats))
	})
}

func TestRetriesRunOutKeepLastStatusAndProblem(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	srv.Fail(mocks.PathStats, mocks.Problem(503, "Maintenance", "back at noon").WithRetryAfter("1").Times(100))
	c := newTestClient(t, srv)
	_, err := c.Get(context.Background(), srv.URL+mocks.PathStats, nil)
	var se *ServerError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 503, se.StatusCode)
	assert.Equal(t, 4, se.Attempts)
	require.NotNil(t, se.Problem)
	assert.Equal(t, "Maintenance", se.Problem.Title)
	assert.Equal(t, time.Second, se.RetryAfter)
	assert.Contains(t, err.Error(), "after 4 attempts")
	assert.Equal(t, 4, srv.Count(mocks.PathStats), "Retry-After of 1s was capped by MaxWait")
}

func TestConnectionErrorsRunOut(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	srv.Fail(mocks.PathStats, mocks.Hangup().Times(10))
	c := newTestClient(t, srv)
	_, err := c.Get(context.Background(), srv.URL+mocks.PathStats, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "giving up after 4 attempts")
	var ue *url.Error
	assert.ErrorAs(t, err, &ue, "transport failures keep net/http's *url.Error")
	assert.Equal(t, 1, strings.Count(err.Error(), srv.URL+mocks.PathStats), "the URL is named once")
	assert.Equal(t, 4, srv.Count(mocks.PathStats))
}

func TestNotRetried(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	ctx := context.Background()

	t.Run("500", func(t *testing.T) {
		srv.ResetLog()
		srv.Fail(mocks.PathStats, mocks.Status(500))
		_, err := c.Get(ctx, srv.URL+mocks.PathStats, nil)
		var se *ServerError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, 1, se.Attempts)
		assert.Equal(t, 1, srv.Count(mocks.PathStats))
	})
	t.Run("POST without idempotency key", func(t *testing.T) {
		srv.ResetLog()
		srv.Fail(mocks.PathOrderForm, mocks.Status(503).Times(5))
		_, err := c.Send(ctx, "POST", srv.URL+mocks.PathOrderForm, "application/json", strings.NewReader(`{"item":"a"}`), nil)
		var se *ServerError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, 1, srv.Count(mocks.PathOrderForm))
	})
	t.Run("one-shot body", func(t *testing.T) {
		srv.ResetLog()
		srv.Fail(mocks.PathOrder1, mocks.Status(503).Times(5))
		_, err := c.Send(ctx, "PUT", srv.URL+mocks.PathOrder1, "application/json", io.MultiReader(strings.NewReader(`{}`)), nil)
		require.Error(t, err)
		assert.Equal(t, 1, srv.Count(mocks.PathOrder1))
	})
}

func TestPostWithIdempotencyKeyIsRetried(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	srv.Fail(mocks.PathOrderForm, mocks.Status(503).Times(2))
	c := newTestClient(t, srv)
	req, err := NewRequest(context.Background(), "POST", srv.URL+mocks.PathOrderForm, strings.NewReader(`{"item":"tea"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", `"8e0f"`)
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 201, resp.StatusCode)
	assert.Equal(t, 3, srv.Count(mocks.PathOrderForm))
}

func TestFileBodyIsRewoundOnRetry(t *testing.T) {
	forEachProto(t, func(t *testing.T, srv *mocks.Server) {
		data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
		path := filepath.Join(t.TempDir(), "blob.bin")
		require.NoError(t, os.WriteFile(path, data, 0o600))
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		_, err = f.Seek(16, io.SeekStart) // send from the current offset
		require.NoError(t, err)

		srv.Fail(mocks.PathReport, mocks.Status(502).Times(2))
		c := newTestClient(t, srv)
		resp, err := c.Send(context.Background(), "PUT", srv.URL+mocks.PathReport, "application/octet-stream", f, nil)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 204, resp.StatusCode)
		got, _ := srv.Resource(mocks.PathReport)
		assert.True(t, bytes.Equal(data[16:], got.Body), "the third attempt sent the whole file again")
		assert.Equal(t, 3, srv.Count(mocks.PathReport))
	})
}

// seekOnly hides every method of a ReadSeeker but Read and Seek.
type seekOnly struct{ io.ReadSeeker }

func TestSeekerBodyIsRewoundOnRetry(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	srv.Fail(mocks.PathReport, mocks.Status(503))
	c := newTestClient(t, srv)
	resp, err := c.Send(context.Background(), "PUT", srv.URL+mocks.PathReport, "text/plain", seekOnly{strings.NewReader("new report")}, nil)
	require.NoError(t, err)
	resp.Body.Close()
	got, _ := srv.Resource(mocks.PathReport)
	assert.Equal(t, "new report", string(got.Body))
}

func TestContextCancelsRetryWait(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	srv.Fail(mocks.PathStats, mocks.Status(503).WithRetryAfter("30").Times(5))
	c := newTestClient(t, srv, WithRetry(RetryPolicy{Schedule: Schedule{Attempts: 3, Initial: time.Second, Max: time.Minute}}))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Get(ctx, srv.URL+mocks.PathStats, nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), mocks.PathStats, "the error names the URL")
	assert.Less(t, time.Since(start), 10*time.Second, "the 30s Retry-After wait ended with the context")
	assert.Equal(t, 1, srv.Count(mocks.PathStats))
}

func TestRetryDisabled(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	srv.Fail(mocks.PathStats, mocks.Status(503))
	c := newTestClient(t, srv, WithRetry(RetryPolicy{Schedule: Schedule{Attempts: -1}}))
	_, err := c.Get(context.Background(), srv.URL+mocks.PathStats, nil)
	var se *ServerError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 1, srv.Count(mocks.PathStats))
}

func TestMiddlewareOrderAndOncePerCall(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	srv.Fail(mocks.PathStats, mocks.Status(503))
	var mu sync.Mutex
	var trace []string
	layer := func(name string) Middleware {
		return func(next Doer) Doer {
			return DoerFunc(func(req *http.Request) (*http.Response, error) {
				mu.Lock()
				trace = append(trace, name)
				mu.Unlock()
				return next.Do(req)
			})
		}
	}
	c := newTestClient(t, srv, WithMiddleware(layer("outer"), layer("inner")))
	resp, err := c.Get(context.Background(), srv.URL+mocks.PathStats, nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, []string{"outer", "inner"}, trace, "caller layers sit outside the retry layer")
	assert.Equal(t, 2, srv.Count(mocks.PathStats))
}

func TestInjectedHTTPClientIsUsed(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	var n int
	hc := &http.Client{Transport: roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		n++
		return http.DefaultTransport.RoundTrip(req)
	})}
	c, err := New(WithHTTPClient(hc))
	require.NoError(t, err)
	resp, err := c.Get(context.Background(), srv.URL+mocks.PathStats, nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 1, n)
	assert.Same(t, hc, c.HTTPClient())
}

func TestLoggingRedactsAndIsStructured(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	srv.Fail(mocks.PathStats, mocks.Status(503))
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newTestClient(t, srv, WithLogger(logger))
	resp, err := c.Get(context.Background(), srv.URL+mocks.PathStats+"?token=s3cret", nil)
	require.NoError(t, err)
	resp.Body.Close()
	out := buf.String()
	assert.Contains(t, out, `"msg":"level3: retrying"`)
	assert.Contains(t, out, `"msg":"level3: response"`)
	assert.Contains(t, out, `"status":200`)
	assert.NotContains(t, out, "s3cret")
}

func TestTransportErrorIsNotWrappedTwice(t *testing.T) {
	c, err := New(WithRetry(RetryPolicy{Schedule: Schedule{Attempts: -1}}))
	require.NoError(t, err)
	_, err = c.Get(context.Background(), "http://127.0.0.1:1/", nil)
	require.Error(t, err)
	assert.Equal(t, 1, strings.Count(err.Error(), "http://127.0.0.1:1/"), err.Error())
	var ue *url.Error
	assert.ErrorAs(t, err, &ue)
	_, err = c.Get(context.Background(), "::not a url", nil)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "level3: "))
	assert.False(t, errors.Is(err, context.Canceled))
}

func TestPipeBodyIsSentOnce(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	go func() {
		_, _ = w.WriteString(`{"v":1}`)
		w.Close()
	}()
	defer r.Close()
	req, err := NewRequest(context.Background(), "PUT", "http://h/x", r)
	require.NoError(t, err, "a pipe is not seekable but is a valid one-shot body")
	assert.Nil(t, req.GetBody)
	assert.False(t, retryable(req))
}
