package level3

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

// These tests run on the real clock, on both sides, so they take about a
// second each (Retry-After has a resolution of one second); they run in
// parallel.

// Polls are never closer than Retry-After, by the server's own clock, and
// completion is noticed at the first poll after it.
func TestPollTimingOnTheWire(t *testing.T) {
	t.Parallel()
	srv := mocks.NewServer(t)
	up := mocks.Upload().With(profiles.Async)
	up.AsyncPolls, up.RetryAfter = 1, "1"
	srv.Handle("/up", up)
	c := newTestClient(t, srv)

	start := time.Now()
	p, err := c.SendAsync(context.Background(), http.MethodPost, srv.URL+"/up", "text/plain", strings.NewReader("x"),
		&AsyncOptions{Poll: Schedule{Initial: 50 * time.Millisecond, Max: 2 * time.Second, Multiplier: 2, Jitter: -1, Attempts: 1}})
	require.NoError(t, err)
	resp, err := p.Wait(context.Background())
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	log := srv.Requests()
	require.Len(t, log, 3, "POST, a poll that sees nothing, a poll that sees the upload")
	for i := 1; i < len(log); i++ {
		gap := log[i].Time.Sub(log[i-1].Time)
		assert.GreaterOrEqual(t, gap, time.Second, "request %d came %v after the one before; Retry-After is 1 s", i, gap)
		assert.Less(t, gap, 1500*time.Millisecond, "and not much later")
	}
	assert.Less(t, time.Since(start), 3*time.Second)
}

// With a time-based completion and backoff, the poll that notices it comes
// within one interval of it.
func TestPollNoticesCompletionWithinOneIntervalOnTheWire(t *testing.T) {
	t.Parallel()
	srv := mocks.NewServer(t)
	up := mocks.Upload().With(profiles.Async)
	up.AsyncAfter = 600 * time.Millisecond
	srv.Handle("/up", up)
	c := newTestClient(t, srv)
	sched := Schedule{Initial: 100 * time.Millisecond, Max: 400 * time.Millisecond, Multiplier: 2, Jitter: 0.2, Attempts: 1}
	p, err := c.SendAsync(context.Background(), http.MethodPost, srv.URL+"/up", "text/plain", strings.NewReader("x"), &AsyncOptions{Poll: sched})
	require.NoError(t, err)
	resp, err := p.Wait(context.Background())
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	log := srv.Requests()
	require.GreaterOrEqual(t, len(log), 3)
	done := log[0].Time.Add(up.AsyncAfter)
	last, before := log[len(log)-1].Time, log[len(log)-2].Time
	assert.True(t, before.Before(done), "the poll before saw it unfinished")
	assert.False(t, last.Before(done))
	assert.LessOrEqual(t, last.Sub(done), last.Sub(before), "noticed within one interval")
	assert.LessOrEqual(t, last.Sub(before), sched.Max+100*time.Millisecond, "intervals stay capped")
	for i := 2; i < len(log); i++ {
		assert.GreaterOrEqual(t, log[i].Time.Sub(log[i-1].Time), sched.Initial, "no poll sooner than Initial")
	}
}

// Cancelling the context stops Wait at once, mid-sleep, and the operation
// can be resumed.
func TestWaitStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	srv := mocks.NewServer(t)
	up := mocks.Upload().With(profiles.Async)
	up.AsyncPolls, up.RetryAfter = 1, "30"
	srv.Handle("/up", up)
	c := newTestClient(t, srv)
	p, err := c.SendAsync(context.Background(), http.MethodPost, srv.URL+"/up", "text/plain", strings.NewReader("x"), nil)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = p.Wait(ctx)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.Less(t, time.Since(start), time.Second, "a 30 s Retry-After does not hold Wait past its context")
	assert.False(t, p.Done())
	assert.Equal(t, 1, len(srv.Requests()), "no poll was sent")
	tok, err := p.ResumeToken()
	require.NoError(t, err)
	q, err := c.ResumePoller(tok, nil)
	require.NoError(t, err)
	assert.WithinDuration(t, start.Add(30*time.Second), q.NextPoll(), 2*time.Second, "the resumed Poller still waits for Retry-After")
}
