package polite_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/politetest"
	"github.com/l3go/level3/polite"
)

func TestThreeClientsOfOneStoreStayWithinTheQuota(t *testing.T) {
	s := politetest.NewQuotaServer(t, 20, 2*time.Second)
	store := polite.NewMemoryStore(0)
	var clients []*level3.Client
	for range 3 {
		clients = append(clients, politetest.Client(t, polite.Options{Store: store}))
	}
	politetest.Fleet(t, s, clients, politetest.Files(t, 20))
	accepted, first, after := s.Counts()
	assert.Equal(t, 60, accepted)
	assert.Zero(t, after, "429s after the first window (per window: %v)", s.PerWindow())
	assert.Zero(t, first, "the probe announced the quota before the rest went")
	assert.GreaterOrEqual(t, len(s.PerWindow()), 3, "60 requests at 20 per window take three windows")
}

func TestWithoutTheLimiterTheQuotaIsExceeded(t *testing.T) {
	// The baseline of the test above: the same fleet, impolite.
	s := politetest.NewQuotaServer(t, 20, 2*time.Second)
	var clients []*level3.Client
	for range 3 {
		c, err := level3.New()
		require.NoError(t, err)
		clients = append(clients, c)
	}
	politetest.Upload(context.Background(), s, clients, politetest.Files(t, 20), level3.Schedule{Attempts: -1})
	_, first, _ := s.Counts()
	assert.Equal(t, 40, first, "60 sent at once, 20 allowed")
}

func TestRetryAfterPausesEveryClientOfTheStore(t *testing.T) {
	var (
		mu       sync.Mutex
		throttle = true
		pausedAt time.Time
		arrivals []time.Time
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("X-Client") == "a" && throttle {
			throttle = false
			pausedAt = time.Now()
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		if r.Header.Get("X-Client") == "b" {
			arrivals = append(arrivals, time.Now())
		}
	}))
	t.Cleanup(srv.Close)
	store := polite.NewMemoryStore(0)
	a := politetest.Client(t, polite.Options{Store: store})
	b := politetest.Client(t, polite.Options{Store: store})
	ctx := context.Background()
	get := func(c *level3.Client, who string) error {
		resp, err := c.Get(ctx, srv.URL, &level3.RequestOptions{Header: http.Header{"X-Client": {who}}, NoRetry: true})
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	var tooMany *level3.TooManyRequestsError
	require.ErrorAs(t, get(a, "a"), &tooMany)
	require.NoError(t, get(b, "b"))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, arrivals, 1)
	assert.GreaterOrEqual(t, arrivals[0].Sub(pausedAt), 1900*time.Millisecond,
		"b waited for the pause a was asked for (2 s, whole seconds; the store keeps milliseconds)")
}

func TestThrottlingHalvesTheConcurrencyAndFastAnswersRestoreIt(t *testing.T) {
	var (
		inFlight, peak atomic.Int64
		throttling     atomic.Bool
	)
	throttling.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(5 * time.Millisecond) // let requests overlap
		if throttling.Load() {
			w.WriteHeader(http.StatusServiceUnavailable) // no Retry-After: no pause, only less concurrency
		}
	}))
	t.Cleanup(srv.Close)
	c := politetest.Client(t, polite.Options{InitialConcurrency: 16, MaxConcurrency: 16})
	ctx := context.Background()
	burst := func() {
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				resp, err := c.Get(ctx, srv.URL, &level3.RequestOptions{NoRetry: true})
				if err == nil {
					resp.Body.Close()
				}
			})
		}
		wg.Wait()
	}
	for range 6 {
		burst() // each flight of 503s halves the limit once
	}
	peak.Store(0)
	burst()
	assert.LessOrEqual(t, peak.Load(), int64(2), "16 halved by each of six flights of 503s is 1")
	throttling.Store(false)
	for range 30 {
		burst()
	}
	peak.Store(0)
	burst()
	assert.Greater(t, peak.Load(), int64(4), "fast answers let the limit grow back")
}

func TestAWaitBeyondMaxWaitFailsAtOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("RateLimit", `"daily";r=0;t=86400`)
	}))
	t.Cleanup(srv.Close)
	c := politetest.Client(t, polite.Options{MaxWait: time.Minute})
	ctx := context.Background()
	resp, err := c.Get(ctx, srv.URL, nil)
	require.NoError(t, err)
	resp.Body.Close()
	_, err = c.Get(ctx, srv.URL, nil)
	assert.ErrorIs(t, err, polite.ErrWaitTooLong)
	assert.ErrorContains(t, err, "24h0m0s")
}

func TestWaitsEndWithTheContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("RateLimit", `"default";r=0;t=60`)
	}))
	t.Cleanup(srv.Close)
	c := politetest.Client(t, polite.Options{})
	resp, err := c.Get(context.Background(), srv.URL, nil)
	require.NoError(t, err)
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.Get(ctx, srv.URL, nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestCheckRetrySeesTheRetriesBelow(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("RateLimit", `"default";r=3;t=60`)
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	t.Cleanup(srv.Close)
	store := polite.NewMemoryStore(0)
	c := politetest.Client(t, polite.Options{Store: store})
	resp, err := c.Get(context.Background(), srv.URL, nil) // a 429, retried below the Middleware
	require.NoError(t, err)
	resp.Body.Close()
	assert.EqualValues(t, 2, calls.Load())
	// The server said 3 were left; the retry was counted too: 2 more may go.
	g1, _ := store.Take(context.Background(), "http://"+srv.Listener.Addr().String())
	g2, _ := store.Take(context.Background(), "http://"+srv.Listener.Addr().String())
	g3, _ := store.Take(context.Background(), "http://"+srv.Listener.Addr().String())
	assert.Zero(t, g1.Wait)
	assert.Zero(t, g2.Wait)
	assert.Positive(t, g3.Wait)
}

func TestNewRejectsImpossibleOptions(t *testing.T) {
	for _, o := range []polite.Options{{MaxConcurrency: -1}, {InitialConcurrency: -1}, {MaxRate: -1}, {MaxWait: -1}} {
		_, err := polite.New(&o)
		assert.Error(t, err, "%+v", o)
	}
	_, err := polite.New(nil)
	assert.NoError(t, err)
	var zero polite.Limiter
	_, err = zero.Middleware()(level3.DoerFunc(http.DefaultClient.Do)).Do(httptest.NewRequest(http.MethodGet, "http://a.test/", nil))
	assert.ErrorIs(t, err, level3.ErrInvalidUse)
}

func TestAnAnswerCountsForTheOriginThatGaveIt(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("RateLimit", `"default";r=0;t=60`)
	}))
	t.Cleanup(target.Close)
	alias := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(alias.Close)
	store := polite.NewMemoryStore(0)
	c := politetest.Client(t, polite.Options{Store: store})
	ctx := context.Background()
	resp, err := c.Get(ctx, alias.URL, nil)
	require.NoError(t, err)
	resp.Body.Close()
	g, err := store.Take(ctx, "http://"+target.Listener.Addr().String())
	require.NoError(t, err)
	assert.Greater(t, g.Wait, 50*time.Second, "the target's quota is spent")
	g, err = store.Take(ctx, "http://"+alias.Listener.Addr().String())
	require.NoError(t, err)
	assert.Zero(t, g.Wait, "the alias said nothing")
}

// countingStore counts the Observe calls that reach a MemoryStore.
type countingStore struct {
	*polite.MemoryStore
	observed atomic.Int64
}

func (s *countingStore) Observe(ctx context.Context, origin string, o polite.Observation) error {
	s.observed.Add(1)
	return s.MemoryStore.Observe(ctx, origin, o)
}

func TestEachAnswerIsObservedOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("RateLimit", `"default";r=50;t=60`)
	}))
	t.Cleanup(srv.Close)
	store := &countingStore{MemoryStore: polite.NewMemoryStore(0)}
	c := politetest.Client(t, polite.Options{Store: store})
	for range 3 {
		resp, err := c.Get(context.Background(), srv.URL, nil)
		require.NoError(t, err)
		resp.Body.Close()
	}
	assert.EqualValues(t, 3, store.observed.Load(), "CheckRetry and the Middleware both saw each answer: the Store hears of it once")
}
