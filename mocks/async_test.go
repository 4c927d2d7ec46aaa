package mocks

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/profiles"
)

// fakeNow is a clock the test moves by hand.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeNow) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

func TestAsyncAfterTimeOnTheServerClock(t *testing.T) {
	clk := &fakeNow{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	s := NewServer(t, WithClock(clk.now))
	up := Upload().With(profiles.Async)
	up.AsyncAfter, up.RetryAfter = 5*time.Second, "2"
	s.Handle("/up", up)

	resp, _ := do(t, http.DefaultClient, "POST", s.URL+"/up", strings.NewReader("x"), "Content-Type", "text/plain", "Prefer", "respond-async")
	require.Equal(t, 202, resp.StatusCode)
	loc := resp.Header.Get("Location")
	for _, step := range []struct {
		advance    time.Duration
		status     int
		retryAfter string
	}{
		{0, 404, "2"},
		{4 * time.Second, 404, "2"},
		{time.Second, 200, ""}, // 5 s after acceptance
		{0, 200, ""},
	} {
		clk.advance(step.advance)
		resp, _ := do(t, http.DefaultClient, "HEAD", loc, nil)
		assert.Equal(t, step.status, resp.StatusCode, "at %s", clk.now())
		assert.Equal(t, step.retryAfter, resp.Header.Get("Retry-After"))
	}
	log := s.Requests()
	assert.Equal(t, 5*time.Second, log[len(log)-2].Time.Sub(log[0].Time), "request times follow the fake clock")
}

func TestAsyncPollsAndTimeBothCount(t *testing.T) {
	clk := &fakeNow{t: time.Unix(1_800_000_000, 0)}
	s := NewServer(t, WithClock(clk.now))
	d := Data(`{"v":1}`).With(profiles.Async)
	d.AsyncPolls, d.AsyncAfter = 2, time.Second
	s.Handle("/d", d)
	before, _ := s.Resource("/d")
	resp, _ := do(t, http.DefaultClient, "PATCH", s.URL+"/d", strings.NewReader(`{"v":2}`), "Content-Type", "application/merge-patch+json", "Prefer", "respond-async")
	require.Equal(t, 202, resp.StatusCode)
	clk.advance(time.Hour)
	for i := 0; i < 2; i++ {
		resp, _ = do(t, http.DefaultClient, "HEAD", s.URL+"/d", nil)
		assert.Equal(t, before.ETag, resp.Header.Get("ETag"), "poll %d: time alone is not enough", i+1)
	}
	resp, _ = do(t, http.DefaultClient, "HEAD", s.URL+"/d", nil)
	assert.NotEqual(t, before.ETag, resp.Header.Get("ETag"))
	after, _ := s.Resource("/d")
	assert.JSONEq(t, `{"v":2}`, string(after.Body))
}

func TestAsyncFailureReplacesTheOutcome(t *testing.T) {
	s := NewServer(t)
	up := Upload().With(profiles.Async)
	fail := Problem(422, "Unreadable upload", "not a CSV file")
	up.AsyncFailure = &fail
	s.Handle("/up", up)
	resp, _ := do(t, http.DefaultClient, "POST", s.URL+"/up", strings.NewReader("x"), "Content-Type", "text/csv", "Prefer", "respond-async")
	require.Equal(t, 202, resp.StatusCode)
	loc := resp.Header.Get("Location")
	resp, _ = do(t, http.DefaultClient, "GET", loc, nil)
	assert.Equal(t, 404, resp.StatusCode)
	for i := 0; i < 2; i++ {
		resp, body := do(t, http.DefaultClient, "GET", loc, nil)
		assert.Equal(t, 422, resp.StatusCode, "every poll after the failure")
		assert.Contains(t, string(body), "Unreadable upload")
	}

	d := Data(`{"v":1}`).With(profiles.Async)
	boom := Problem(500, "Worker crashed", "")
	d.AsyncFailure = &boom
	s.Handle("/d", d)
	resp, _ = do(t, http.DefaultClient, "DELETE", s.URL+"/d", nil, "Prefer", "respond-async")
	require.Equal(t, 202, resp.StatusCode)
	resp, _ = do(t, http.DefaultClient, "HEAD", s.URL+"/d", nil)
	assert.Equal(t, 200, resp.StatusCode)
	resp, _ = do(t, http.DefaultClient, "HEAD", s.URL+"/d", nil)
	assert.Equal(t, 500, resp.StatusCode)
	_, still := s.Resource("/d")
	assert.True(t, still, "a failed DELETE deletes nothing")
}

func TestAsyncWaitAnswersSynchronouslyWhenQuick(t *testing.T) {
	s := NewServer(t)
	d := Data(`{"v":1}`).With(profiles.Async)
	d.AsyncAfter = 2 * time.Second
	s.Handle("/d", d)
	for _, tc := range []struct {
		prefer string
		want   int
	}{
		{"respond-async", 202},
		{"respond-async, wait=1", 202},
		{"respond-async, wait=2", 204},
		{"wait=10, respond-async", 204},
		{"return=minimal", 204},
	} {
		resp, _ := do(t, http.DefaultClient, "PUT", s.URL+"/d", strings.NewReader(`{"v":2}`), "Prefer", tc.prefer)
		assert.Equal(t, tc.want, resp.StatusCode, tc.prefer)
	}
}
