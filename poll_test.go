package level3

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

// fakeClock is a pollClock whose Sleep returns at once after moving the
// time on. The mocks server reads the same time (mocks.WithClock), so its
// request log shows the fake schedule. With a deadline, a Sleep past it
// stops there and returns context.DeadlineExceeded, as a context with that
// deadline would.
type fakeClock struct {
	mu       sync.Mutex
	now      time.Time
	deadline time.Time
	sleeps   []time.Duration // every Sleep asked for a positive duration
	onSleep  func(n int)     // called after the nth positive Sleep, before it returns
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d <= 0 {
		return nil
	}
	if !c.deadline.IsZero() && c.now.Add(d).After(c.deadline) {
		c.now = c.deadline
		return context.DeadlineExceeded
	}
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	if c.onSleep != nil {
		n, f := len(c.sleeps), c.onSleep
		c.mu.Unlock()
		defer c.mu.Lock()
		f(n)
	}
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// asyncEnv is a fake server and a Client without retries (so that every
// poll is one request), sharing a fake clock.
type asyncEnv struct {
	srv    *mocks.Server
	client *Client
	clock  *fakeClock
}

func newAsyncEnv(t *testing.T, opts ...mocks.Option) *asyncEnv {
	t.Helper()
	clk := newFakeClock()
	srv := mocks.NewServer(t, append([]mocks.Option{mocks.WithClock(clk.Now)}, opts...)...)
	c, err := New(WithHTTPClient(srv.Client()), WithRetry(RetryPolicy{Schedule: Schedule{Attempts: -1}}))
	require.NoError(t, err)
	return &asyncEnv{srv: srv, client: c, clock: clk}
}

// opts returns o with what every test Poller gets: the fake clock and, when
// o has no schedule, a deterministic one (1s doubling to 8s, no jitter).
func (e *asyncEnv) opts(o AsyncOptions) *AsyncOptions {
	o.clock = e.clock
	if o.Poll == (Schedule{}) {
		o.Poll = Schedule{Initial: time.Second, Max: 8 * time.Second, Multiplier: 2, Jitter: -1, Attempts: 3}
	}
	return &o
}

// log returns the server's requests for path.
func (e *asyncEnv) log(path string) []mocks.Request {
	var out []mocks.Request
	for _, r := range e.srv.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// methods lists the methods of reqs.
func methods(reqs []mocks.Request) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.Method
	}
	return out
}

func TestAsyncPostPolledUntilLocationAppears(t *testing.T) {
	for _, proto := range []struct {
		name string
		opts []mocks.Option
	}{{"HTTP1", nil}, {"HTTP2", []mocks.Option{mocks.WithHTTP2()}}} {
		t.Run(proto.name, func(t *testing.T) {
			e := newAsyncEnv(t, proto.opts...)
			up := mocks.Upload().With(profiles.Async)
			up.AsyncPolls, up.RetryAfter = 2, "3"
			e.srv.Handle("/up", up)

			p, err := e.client.SendAsync(context.Background(), http.MethodPost, e.srv.URL+"/up", "text/plain",
				strings.NewReader("hello"), e.opts(AsyncOptions{Wait: 2 * time.Second}))
			require.NoError(t, err)
			require.False(t, p.Done())
			require.NotNil(t, p.Accepted())
			assert.Equal(t, http.StatusAccepted, p.Accepted().StatusCode)
			assert.Equal(t, []string{"respond-async"}, p.PreferenceApplied())
			assert.Equal(t, e.srv.URL+"/up/1", p.Location().String())
			assert.Equal(t, "respond-async, wait=2", e.log("/up")[0].Header.Get("Prefer"))
			_, err = p.Result()
			assert.ErrorIs(t, err, ErrPollerNotDone)
			tok, err := p.ResumeToken()
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(tok, "l3poll."))

			resp, err := p.Wait(context.Background())
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, "hello", string(body), "the final GET carries the new resource")
			assert.Equal(t, 3, p.Polls())
			assert.Equal(t, []time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second}, e.clock.Sleeps(),
				"Retry-After of the 202 and of each not-yet poll")

			polls := e.log("/up/1")
			assert.Equal(t, []string{"GET", "GET", "GET"}, methods(polls))
			post := e.log("/up")[0]
			for i, r := range polls {
				assert.Empty(t, r.Header.Get("Prefer"), "polls never carry Prefer")
				assert.Equal(t, post.Time.Add(time.Duration(i+1)*3*time.Second), r.Time, "poll %d", i+1)
			}

			again, err := p.Poll(context.Background())
			require.NoError(t, err)
			assert.Same(t, resp, again, "Poll after the end returns the result and sends nothing")
			assert.Len(t, e.log("/up/1"), 3)
			_, err = p.ResumeToken()
			assert.ErrorIs(t, err, ErrPollerDone)
		})
	}
}

func TestAsyncBackoffNoticesCompletionWithinOneInterval(t *testing.T) {
	e := newAsyncEnv(t)
	up := mocks.Upload().With(profiles.Async)
	up.AsyncAfter = 10 * time.Second // no Retry-After: the backoff decides
	e.srv.Handle("/up", up)

	p, err := e.client.SendAsync(context.Background(), http.MethodPost, e.srv.URL+"/up", "text/plain", strings.NewReader("x"), e.opts(AsyncOptions{}))
	require.NoError(t, err)
	resp, err := p.Wait(context.Background())
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}, e.clock.Sleeps(),
		"1s doubling, capped at 8s")

	posted := e.log("/up")[0].Time
	done := posted.Add(up.AsyncAfter)
	polls := e.log("/up/1")
	require.Len(t, polls, 4)
	last, before := polls[3].Time, polls[2].Time
	assert.True(t, before.Before(done), "the poll before saw it unfinished")
	assert.False(t, last.Before(done))
	assert.LessOrEqual(t, last.Sub(done), last.Sub(before), "completion noticed within one interval")
}

func TestAsyncJitterStaysInsideTheSchedule(t *testing.T) {
	e := newAsyncEnv(t)
	up := mocks.Upload().With(profiles.Async)
	up.AsyncAfter = time.Minute
	e.srv.Handle("/up", up)
	sched := Schedule{Initial: time.Second, Max: 5 * time.Second, Multiplier: 1.5, Jitter: 0.5, Attempts: 1}
	p, err := e.client.SendAsync(context.Background(), http.MethodPost, e.srv.URL+"/up", "text/plain", strings.NewReader("x"),
		e.opts(AsyncOptions{Poll: sched}))
	require.NoError(t, err)
	resp, err := p.Wait(context.Background())
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	sleeps := e.clock.Sleeps()
	require.Greater(t, len(sleeps), 12, "at most 5s per poll over a minute")
	for i, d := range sleeps {
		assert.GreaterOrEqual(t, d, sched.Initial, "sleep %d", i)
		assert.LessOrEqual(t, d, sched.Max, "sleep %d", i)
	}
}

// contentTag is the entity tag the mocks give body (a SHA-256 prefix).
func contentTag(body string) string {
	sum := sha256.Sum256([]byte(body))
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}

func TestAsyncPutWatchesTheEntityTag(t *testing.T) {
	e := newAsyncEnv(t)
	d := mocks.Data(`{"v":1}`).With(profiles.Async)
	d.AsyncPolls = 2
	e.srv.Handle("/d", d)
	before, _ := e.srv.Resource("/d")

	p, err := e.client.SendAsync(context.Background(), http.MethodPut, e.srv.URL+"/d", "application/json", strings.NewReader(`{"v":2}`), e.opts(AsyncOptions{}))
	require.NoError(t, err)
	resp, err := p.Wait(context.Background())
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	after, _ := e.srv.Resource("/d")
	assert.NotEqual(t, before.ETag, after.ETag)
	assert.Equal(t, after.ETag, resp.Header.Get("ETag"), "the result is the poll that saw the new tag")
	assert.Equal(t, contentTag(`{"v":2}`), after.ETag)

	log := e.log("/d")
	assert.Equal(t, []string{"HEAD", "PUT", "HEAD", "HEAD", "HEAD"}, methods(log), "validators read first, then polls by HEAD")
	assert.Empty(t, log[0].Header.Get("Prefer"), "the HEAD before carries no Prefer")
	assert.Equal(t, "respond-async", log[1].Header.Get("Prefer"))
}

func TestAsyncPatchWithExpectedETag(t *testing.T) {
	e := newAsyncEnv(t)
	twin := mocks.Data(`{"v":1}`)
	e.srv.Handle("/twin", twin)
	d := mocks.Data(`{"v":1}`).With(profiles.Async)
	d.AsyncPolls = 1
	e.srv.Handle("/d", d)
	// Learn the tag the change will give by making it, synchronously, on a twin.
	resp, err := e.client.Send(context.Background(), http.MethodPatch, e.srv.URL+"/twin", "application/merge-patch+json", strings.NewReader(`{"w":2}`), nil)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	want := resp.Header.Get("ETag")

	p, err := e.client.SendAsync(context.Background(), http.MethodPatch, e.srv.URL+"/d", "application/merge-patch+json",
		strings.NewReader(`{"w":2}`), e.opts(AsyncOptions{ExpectETag: strings.Trim(want, `"`)}))
	require.NoError(t, err)
	resp, err = p.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, want, resp.Header.Get("ETag"))
	assert.Equal(t, []string{"PATCH", "HEAD", "HEAD"}, methods(e.log("/d")), "no HEAD before: the expectation suffices")

	// An expectation that never comes true keeps the Poller waiting.
	e.clock.deadline = e.clock.Now().Add(time.Minute)
	p, err = e.client.SendAsync(context.Background(), http.MethodPatch, e.srv.URL+"/d", "application/merge-patch+json",
		strings.NewReader(`{"w":3}`), e.opts(AsyncOptions{ExpectETag: `"never"`}))
	require.NoError(t, err)
	_, err = p.Wait(context.Background())
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, p.Done())
}

func TestAsyncDeleteUntilGone(t *testing.T) {
	e := newAsyncEnv(t)
	d := mocks.Data(`{"v":1}`).With(profiles.Async)
	d.AsyncPolls, d.RetryAfter = 1, "2"
	e.srv.Handle("/d", d)

	req, err := http.NewRequest(http.MethodDelete, e.srv.URL+"/d", nil)
	require.NoError(t, err)
	p, err := e.client.DoAsync(req, e.opts(AsyncOptions{}))
	require.NoError(t, err)
	resp, err := p.Wait(context.Background())
	require.NoError(t, err, "404 is how a DELETE succeeds")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, []string{"DELETE", "HEAD", "HEAD"}, methods(e.log("/d")))
	assert.Equal(t, []time.Duration{2 * time.Second, 2 * time.Second}, e.clock.Sleeps())
	_, exists := e.srv.Resource("/d")
	assert.False(t, exists)
}

func TestAsyncPollFallsBackToGetWhenHeadIsRefused(t *testing.T) {
	e := newAsyncEnv(t)
	d := mocks.Data(`{"v":1}`).With(profiles.Async)
	d.Allow = []string{"GET", "DELETE"} // HEAD answers 405
	d.AsyncPolls = 1
	e.srv.Handle("/d", d)
	p, err := e.client.SendAsync(context.Background(), http.MethodDelete, e.srv.URL+"/d", "", nil, e.opts(AsyncOptions{}))
	require.NoError(t, err)
	resp, err := p.Wait(context.Background())
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, []string{"DELETE", "HEAD", "GET", "GET"}, methods(e.log("/d")))
}

func TestAsyncFailureDuringProcessingIsTyped(t *testing.T) {
	e := newAsyncEnv(t)
	up := mocks.Upload().With(profiles.Async)
	fail := mocks.Problem(http.StatusUnprocessableEntity, "Unreadable upload", "not a CSV file")
	up.AsyncFailure, up.AsyncPolls = &fail, 1
	e.srv.Handle("/up", up)

	p, err := e.client.SendAsync(context.Background(), http.MethodPost, e.srv.URL+"/up", "text/csv", strings.NewReader("x"), e.opts(AsyncOptions{}))
	require.NoError(t, err)
	resp, err := p.Wait(context.Background())
	assert.Nil(t, resp)
	var unproc *UnprocessableEntityError
	require.ErrorAs(t, err, &unproc)
	require.NotNil(t, unproc.Problem, "polls are GETs, so problem details arrive")
	assert.Equal(t, "Unreadable upload", unproc.Problem.Title)
	assert.Equal(t, http.MethodGet, unproc.Method)
	assert.True(t, p.Done())
	_, again := p.Result()
	assert.Same(t, err, again)
	assert.Equal(t, 2, p.Polls())
}

func TestAsyncServerErrorsWhilePollingAreNotTerminal(t *testing.T) {
	e := newAsyncEnv(t)
	d := mocks.Data(`{"v":1}`).With(profiles.Async)
	d.AsyncPolls = 1
	e.srv.Handle("/d", d)
	p, err := e.client.SendAsync(context.Background(), http.MethodDelete, e.srv.URL+"/d", "", nil, e.opts(AsyncOptions{}))
	require.NoError(t, err)
	e.srv.Fail("/d", mocks.Problem(503, "Busy", "").WithRetryAfter("5").OnlyFor("HEAD"),
		mocks.Status(500).OnlyFor("HEAD"), mocks.Status(429).OnlyFor("HEAD"), mocks.Status(408).OnlyFor("HEAD"))

	var seen []int
	for !p.Done() {
		resp, err := p.Poll(context.Background())
		var re *ResponseError
		switch {
		case errors.As(err, &re):
			seen = append(seen, re.StatusCode)
		case err != nil:
			t.Fatal(err)
		default:
			seen = append(seen, resp.StatusCode)
		}
		require.Less(t, len(seen), 10)
	}
	assert.Equal(t, []int{503, 500, 429, 408, 200, 404}, seen)
	assert.Equal(t, 5*time.Second, e.clock.Sleeps()[1], "Retry-After of the 503 honoured")
	resp, err := p.Result()
	require.NoError(t, err)
	assert.Equal(t, 404, resp.StatusCode)
}

func TestAsyncFailingForeverEndsAtTheDeadline(t *testing.T) {
	e := newAsyncEnv(t)
	d := mocks.Data(`{"v":1}`).With(profiles.Async)
	crash := mocks.Problem(500, "Worker crashed", "")
	d.AsyncFailure = &crash
	e.srv.Handle("/d", d)
	e.clock.deadline = e.clock.Now().Add(30 * time.Second)
	p, err := e.client.SendAsync(context.Background(), http.MethodDelete, e.srv.URL+"/d", "", nil, e.opts(AsyncOptions{}))
	require.NoError(t, err)
	_, err = p.Wait(context.Background())
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, p.Done(), "a 500 says nothing about the operation")
	_, err = p.ResumeToken()
	assert.NoError(t, err, "the operation can still be followed later")
	assert.Greater(t, len(e.log("/d")), 3)
}

func TestAsyncTransportFailuresGiveUpAfterAttempts(t *testing.T) {
	e := newAsyncEnv(t)
	up := mocks.Upload().With(profiles.Async)
	up.AsyncPolls = 100
	e.srv.Handle("/up", up)
	p, err := e.client.SendAsync(context.Background(), http.MethodPost, e.srv.URL+"/up", "text/plain", strings.NewReader("x"), e.opts(AsyncOptions{}))
	require.NoError(t, err)
	e.srv.Fail("/up/1", mocks.Hangup().Times(100))
	_, err = p.Wait(context.Background())
	require.Error(t, err)
	var re *ResponseError
	assert.False(t, errors.As(err, &re), "no answer, so no status: %v", err)
	assert.False(t, p.Done())
	assert.Equal(t, 0, p.Polls())
	assert.Len(t, e.clock.Sleeps(), 3, "three polls, each after its wait, then Wait gives up")
}

func TestPollsIgnoreClientDefaultsThatWouldDistortThem(t *testing.T) {
	e := newAsyncEnv(t)
	d := mocks.Data(`{"v":1}`).With(profiles.Async)
	e.srv.Handle("/d", d)
	before, _ := e.srv.Resource("/d")
	c, err := New(WithHTTPClient(e.srv.Client()), WithRetry(RetryPolicy{Schedule: Schedule{Attempts: -1}}),
		WithHeader("Prefer", "return=minimal"), WithHeader("If-Match", before.ETag), WithHeader("Authorization", "Bearer t"))
	require.NoError(t, err)
	p, err := c.SendAsync(context.Background(), http.MethodPut, e.srv.URL+"/d", "application/json", strings.NewReader(`{"v":2}`), e.opts(AsyncOptions{}))
	require.NoError(t, err)
	resp, err := p.Wait(context.Background())
	require.NoError(t, err, "a HEAD with the old If-Match would have failed with 412")
	require.NoError(t, resp.Body.Close())
	log := e.log("/d")
	require.Equal(t, []string{"HEAD", "PUT", "HEAD", "HEAD"}, methods(log))
	assert.Equal(t, "return=minimal, respond-async", log[1].Header.Get("Prefer"), "the default Prefer merged")
	for _, poll := range log[2:] {
		assert.Empty(t, poll.Header.Get("Prefer"))
		assert.Empty(t, poll.Header.Get("If-Match"))
		assert.Equal(t, "Bearer t", poll.Header.Get("Authorization"), "other defaults still apply")
	}
}
