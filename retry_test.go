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

func TestDefaultBackoff(t *testing.T) {
	min, max := 100*time.Millisecond, 2*time.Second
	for attempt := 0; attempt < 8; attempt++ {
		ceiling := min << attempt
		if ceiling > max {
			ceiling = max
		}
		for i := 0; i < 50; i++ {
			d := DefaultBackoff(min, max, attempt, nil)
			assert.GreaterOrEqual(t, d, ceiling/2, "attempt %d", attempt)
			assert.LessOrEqual(t, d, ceiling, "attempt %d", attempt)
		}
	}
	resp := &http.Response{Header: http.Header{"Retry-After": {"3600"}}}
	assert.Equal(t, max, DefaultBackoff(min, max, 0, resp), "Retry-After is capped")
	resp.Header.Set("Retry-After", "1")
	assert.Equal(t, time.Second, DefaultBackoff(min, max, 5, resp), "Retry-After wins over the schedule")
	assert.Equal(t, time.Duration(0), DefaultBackoff(0, 0, 3, nil))
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
	assert.NoError(t, DefaultRetryPolicy().validate())
	assert.Error(t, RetryPolicy{MaxRetries: -1}.validate())
	assert.Error(t, RetryPolicy{MinWait: -1}.validate())
	assert.Error(t, RetryPolicy{MinWait: time.Second, MaxWait: time.Millisecond}.validate())
}
