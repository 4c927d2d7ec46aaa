package level3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"99999999999999", 0, false},
		{"Wed, 25 Nov 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Wed, 25 Nov 2026 11:00:00 GMT", 0, true},
		{"soon", 0, false},
	}
	for _, tc := range cases {
		got, ok := parseRetryAfter(tc.in, now)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestRetryWaits(t *testing.T) {
	s := RetryPolicy{Schedule: Schedule{Initial: 100 * time.Millisecond, Max: 2 * time.Second}}.schedule()
	assert.Equal(t, Schedule{Initial: 100 * time.Millisecond, Max: 2 * time.Second, Multiplier: 2, Jitter: 0.5, Attempts: 3}, s,
		"zero fields take the defaults")
	for attempt := 0; attempt < 8; attempt++ {
		center := min(s.Initial<<attempt, s.Max)
		for i := 0; i < 50; i++ {
			d, fromServer := s.wait(attemptBackOff{s: s, n: attempt}, "", 0)
			assert.False(t, fromServer)
			assert.GreaterOrEqual(t, d, center/2, "attempt %d", attempt)
			assert.LessOrEqual(t, d, min(center*3/2, s.Max), "attempt %d: never more than Max", attempt)
		}
	}
	d, fromServer := s.wait(attemptBackOff{s: s}, "3600", 0)
	assert.True(t, fromServer)
	assert.Equal(t, s.Max, d, "Retry-After is capped")
	d, _ = s.wait(attemptBackOff{s: s, n: 5}, "1", 0)
	assert.Equal(t, time.Second, d, "Retry-After wins over the schedule")
	d, _ = s.wait(attemptBackOff{s: s, n: 5}, "0", 0)
	assert.Equal(t, time.Duration(0), d, "a retry has no floor: Retry-After: 0 retries at once")
	none := Schedule{Initial: 0, Max: 0, Multiplier: 2}
	assert.Equal(t, time.Duration(0), none.nth(3))

	def := RetryPolicy{}.schedule()
	assert.Equal(t, defaultRetrySchedule, def, "the zero RetryPolicy: 3 retries, 250ms doubling to 10s, ±50%")
	assert.Equal(t, 0, RetryPolicy{Schedule: Schedule{Attempts: -1}}.schedule().Attempts, "negative Attempts: no retries")
}

func TestDefaultCheckRetry(t *testing.T) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	status := func(code int) *http.Response { return &http.Response{StatusCode: code} }
	_, dialTimeout := (&net.Dialer{Timeout: time.Nanosecond}).Dial("tcp", "127.0.0.1:1")
	require.ErrorIs(t, dialTimeout, context.DeadlineExceeded, "net reports a connect timeout so")
	cases := []struct {
		name string
		ctx  context.Context
		resp *http.Response
		err  error
		want bool
	}{
		{"200", ctx, status(200), nil, false},
		{"404", ctx, status(404), nil, false},
		{"409", ctx, status(409), nil, false},
		{"429", ctx, status(429), nil, true},
		{"500 is not retried", ctx, status(500), nil, false},
		{"501", ctx, status(501), nil, false},
		{"502", ctx, status(502), nil, true},
		{"503", ctx, status(503), nil, true},
		{"504", ctx, status(504), nil, true},
		{"refused", ctx, nil, &url.Error{Op: "Get", URL: "http://h", Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, true},
		{"reset", ctx, nil, fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"eof", ctx, nil, &url.Error{Op: "Get", URL: "http://h", Err: io.EOF}, true},
		{"unknown CA", ctx, nil, &url.Error{Op: "Get", URL: "https://h", Err: x509.UnknownAuthorityError{}}, false},
		{"stream reset", ctx, nil, errors.New("stream error: stream ID 3; INTERNAL_ERROR"), true},
		{"no such host", ctx, nil, &url.Error{Op: "Get", URL: "http://h", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", IsNotFound: true}}}, false},
		{"DNS timeout", ctx, nil, &net.DNSError{Err: "timeout", IsTimeout: true}, true},
		{"connect timeout", ctx, nil, &url.Error{Op: "Get", URL: "http://h", Err: dialTimeout}, true},
		{"TLS to plain port", ctx, nil, tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, false},
		{"not replayable", ctx, nil, ErrBodyNotReplayable, false},
		{"cancelled", cancelled, status(503), nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DefaultCheckRetry(tc.ctx, tc.resp, tc.err)
			assert.Equal(t, tc.want, got)
			if tc.ctx.Err() != nil {
				assert.ErrorIs(t, err, context.Canceled)
			}
		})
	}
}

func TestRetryable(t *testing.T) {
	mk := func(method string, body io.Reader, key string) *http.Request {
		req, _ := http.NewRequest(method, "http://h/", body)
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		return req
	}
	oneShot := func() io.Reader { return io.MultiReader(strings.NewReader("x")) }
	assert.True(t, retryable(mk("GET", nil, "")))
	assert.True(t, retryable(mk("HEAD", nil, "")))
	assert.True(t, retryable(mk("DELETE", nil, "")))
	assert.True(t, retryable(mk("OPTIONS", nil, "")))
	assert.True(t, retryable(mk("PUT", strings.NewReader("x"), "")))
	assert.False(t, retryable(mk("PUT", oneShot(), "")), "a one-shot body is sent once")
	assert.False(t, retryable(mk("POST", strings.NewReader("x"), "")))
	assert.True(t, retryable(mk("POST", strings.NewReader("x"), `"k"`)))
	assert.False(t, retryable(mk("PATCH", strings.NewReader("x"), "")))
	assert.True(t, retryable(mk("PATCH", strings.NewReader("x"), `"k"`)))
	assert.False(t, retryable(mk("CONNECT", nil, "")))
}

func TestRetryPolicyValidate(t *testing.T) {
	assert.NoError(t, RetryPolicy{}.validate())
	assert.NoError(t, RetryPolicy{Schedule: defaultRetrySchedule}.validate())
	assert.NoError(t, RetryPolicy{Schedule: Schedule{Attempts: -1}}.validate(), "negative Attempts disables retries")
	assert.ErrorContains(t, RetryPolicy{Schedule: Schedule{Initial: -1}}.validate(), "RetryPolicy")
	assert.Error(t, RetryPolicy{Schedule: Schedule{Initial: time.Second, Max: time.Millisecond}}.validate())
	assert.Error(t, RetryPolicy{Schedule: Schedule{Multiplier: 0.5}}.validate())
	assert.Error(t, RetryPolicy{Schedule: Schedule{Jitter: 1}}.validate())
}

func TestRetryCheckOfOurOwn(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	srv.Fail(mocks.PathStats, mocks.Status(http.StatusInternalServerError).Times(2))
	var calls int
	retry500 := func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		calls++
		if err == nil && resp.StatusCode == http.StatusInternalServerError {
			return true, nil
		}
		return DefaultCheckRetry(ctx, resp, err)
	}
	c := newTestClient(t, srv, WithRetry(RetryPolicy{Schedule: fastRetry.Schedule, Check: retry500}))
	resp, err := c.Get(context.Background(), srv.URL+mocks.PathStats, nil)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 3, srv.Count(mocks.PathStats), "two 500s retried by the Check")
	assert.Equal(t, 3, calls, "once per attempt")
}

func TestRetryCheckErrorStopsAndClosesTheResponse(t *testing.T) {
	stop := errors.New("stop here")
	var sent int
	body := &closeCounter{ReadCloser: io.NopCloser(strings.NewReader("busy"))}
	hc := &http.Client{Transport: roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		sent++
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}, Body: body, Request: req}, nil
	})}
	c, err := New(WithHTTPClient(hc), WithRetry(RetryPolicy{
		Schedule: Schedule{Initial: time.Millisecond},
		Check:    func(context.Context, *http.Response, error) (bool, error) { return false, stop },
	}))
	require.NoError(t, err)
	_, err = c.Get(context.Background(), "http://h.example/x", nil)
	assert.ErrorIs(t, err, stop, "the Check's error is the call's")
	assert.Equal(t, 1, sent)
	assert.Positive(t, body.closed, "the response it came with is closed")
}
