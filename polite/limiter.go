// This file holds the Limiter: its Options, the Middleware that makes every
// call of a level3 Client wait its turn per origin (gate, MaxRate, Store),
// and CheckRetry, which shows it the attempts the retry layer makes below.
// The rules of the Store are in budget.go, the concurrency in aimd.go.

package polite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/l3go/level3"
)

// Defaults of the zero Options.
const (
	DefaultMaxConcurrency     = 64
	DefaultInitialConcurrency = 8
	DefaultMaxWait            = 10 * time.Minute
)

// ErrWaitTooLong is wrapped by the error of a request that would have to
// wait longer than [Options.MaxWait] for an origin's quota to come back.
var ErrWaitTooLong = errors.New("polite: the wait for the server's quota is longer than MaxWait")

// Options configure a [Limiter]. The zero value is the defaults.
type Options struct {
	// Store keeps the pauses and budgets of origins. Give the same Store
	// (l3redis.Limits) to every process of a fleet to make them one client
	// in the servers' eyes. Nil means a [MemoryStore] of the Limiter's own.
	Store Store
	// MaxConcurrency bounds the requests in flight to one origin from this
	// Limiter: 0 means [DefaultMaxConcurrency]. The limit starts at
	// InitialConcurrency (0: [DefaultInitialConcurrency]) and adapts below
	// it (see [Limiter]).
	MaxConcurrency     int
	InitialConcurrency int
	// MaxRate caps the requests per second sent to one origin by this
	// Limiter (a token bucket of golang.org/x/time/rate, without bursts),
	// for servers that do not announce their limits. 0 means no cap; it is
	// not shared through the Store.
	MaxRate float64
	// MaxWait is the longest a request waits for an origin: a Retry-After
	// asking for more is capped to it, and a request whose budget comes
	// back later fails with [ErrWaitTooLong]. 0 means [DefaultMaxWait].
	MaxWait time.Duration
	// Logger receives the waits (at debug level) and the Store's failures
	// (warnings). Nil discards them.
	Logger *slog.Logger
}

// Limiter makes the requests of one or more level3 Clients polite to each
// origin (scheme, host and port) they call, through [Limiter.Middleware]:
//
//   - Concurrency: the requests in flight to an origin are held to a limit
//     that grows by about one per round trip while answers come fast and
//     successful and the limit is in use, and falls to half the requests
//     in flight on a 429 or 503, a timeout or a 504 (additive increase,
//     multiplicative decrease; the answers of one burst make one decrease).
//     It never exceeds MaxConcurrency, nor grows past what the caller sends
//     at once.
//   - Pauses: a Retry-After on a 429 or 503 stops every request to that
//     origin until it has passed, in every Limiter sharing the Store.
//   - Budgets: the RateLimit and RateLimit-Policy fields
//     (draft-ietf-httpapi-ratelimit-headers-11) give each quota policy of
//     the origin a window of requests in the Store; a request waits until
//     every budget has a request left, then spends one of each, so that
//     the Limiters sharing a Store together stay within the quota.
//
// A request is "in flight" from the moment it is let through until its
// answer's body is closed. A Limiter is safe for concurrent use; share one
// between the Clients of a process.
type Limiter struct {
	store    Store
	fallback *MemoryStore // when the Store fails: this process alone stays polite
	opts     Options
	logger   *slog.Logger

	mu       sync.Mutex
	origins  map[string]*originState
	warnedAt time.Time // the last warning about the Store, at most one per storeWarnEvery
}

// originState is what a Limiter keeps of one origin in this process.
type originState struct {
	gate    *gate
	rate    *rate.Limiter // nil without MaxRate
	changed chan struct{} // closed (and replaced) when an answer is observed
}

// Bounds of the Limiter's own bookkeeping.
const (
	maxOrigins     = 4096             // origins kept by a Limiter
	maxPoll        = time.Second      // longest sleep before asking the Store again
	storeTimeout   = 5 * time.Second  // bound on a Store call made after the request's context ended
	storeWarnEvery = 10 * time.Second // between two warnings about the Store
)

// New returns a Limiter configured by opts (nil: the defaults). It fails
// with an error naming the field when a number is negative or not a number.
func New(opts *Options) (*Limiter, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	switch {
	case o.MaxConcurrency < 0 || o.InitialConcurrency < 0:
		return nil, errors.New("polite: MaxConcurrency and InitialConcurrency must not be negative")
	case !(o.MaxRate >= 0): // NaN too
		return nil, fmt.Errorf("polite: MaxRate %g must not be negative", o.MaxRate)
	case o.MaxWait < 0:
		return nil, fmt.Errorf("polite: MaxWait %v must not be negative", o.MaxWait)
	}
	if o.MaxConcurrency == 0 {
		o.MaxConcurrency = DefaultMaxConcurrency
	}
	if o.InitialConcurrency == 0 {
		o.InitialConcurrency = min(DefaultInitialConcurrency, o.MaxConcurrency)
	}
	if o.MaxWait == 0 {
		o.MaxWait = DefaultMaxWait
	}
	l := &Limiter{store: o.Store, fallback: NewMemoryStore(0), opts: o, logger: o.Logger, origins: map[string]*originState{}}
	if l.store == nil {
		l.store = l.fallback
	}
	if l.logger == nil {
		l.logger = slog.New(slog.DiscardHandler)
	}
	return l, nil
}

// Middleware returns the layer that makes every call of a Client polite;
// give it to level3.WithMiddleware, first, so that it sees each call before
// the cache, redirects and retries. It sees one request per call: give
// [Limiter.CheckRetry] to the Client's RetryPolicy too, so that the retries
// made below it count as well.
//
// Before sending, a request waits for its place within the origin's
// concurrency limit, for MaxRate, then for the Store: until a pause ends
// and every budget has a request left. Waits end with the request's
// context; a wait longer than MaxWait fails at once with [ErrWaitTooLong].
// Requests whose URL has no host go through untouched.
func (l *Limiter) Middleware() level3.Middleware {
	return func(next level3.Doer) level3.Doer {
		return level3.DoerFunc(func(req *http.Request) (*http.Response, error) {
			if l == nil || l.origins == nil {
				return nil, misuse("Limiter.Middleware: Limiter not made by New")
			}
			origin, ok := originOf(req.URL)
			if !ok {
				return next.Do(req)
			}
			ctx := req.Context()
			st := l.origin(origin)
			sent, err := st.gate.acquire(ctx)
			if err != nil {
				return nil, err
			}
			g, err := l.wait(ctx, origin, st)
			if err != nil {
				st.gate.release(sent, neutral, 0)
				return nil, err
			}
			start := time.Now()
			c := &call{origin: origin, sent: sent}
			resp, err := next.Do(req.WithContext(context.WithValue(ctx, callKey{}, c)))
			latency := time.Since(start)
			o := l.answered(ctx, c, g.Probe, resp, err)
			if err != nil || resp.Body == nil || resp.Body == http.NoBody {
				st.gate.release(sent, o, latency)
				return resp, err
			}
			resp.Body = &releasingBody{ReadCloser: resp.Body, release: func() { st.gate.release(sent, o, latency) }}
			return resp, nil
		})
	}
}

// CheckRetry returns a level3.RetryPolicy Check that shows l each attempt
// the Client's retry layer makes, then lets next decide (nil:
// level3.DefaultCheckRetry): a 429 or 503 pauses the origin and lowers its
// concurrency at once, the RateLimit fields of every attempt update the
// budgets, and each retry decided is taken from the budgets, since it goes
// out without waiting for them.
func (l *Limiter) CheckRetry(next func(context.Context, *http.Response, error) (bool, error)) func(context.Context, *http.Response, error) (bool, error) {
	if next == nil {
		next = level3.DefaultCheckRetry
	}
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		retry, cerr := next(ctx, resp, err)
		if l == nil || l.origins == nil || ctx == nil || resp == nil || resp.Request == nil {
			return retry, cerr
		}
		origin, ok := originOf(resp.Request.URL)
		if !ok {
			return retry, cerr
		}
		obs, o := l.observation(resp)
		if retry && cerr == nil {
			obs.Spent = 1
		}
		c, _ := ctx.Value(callKey{}).(*call)
		if len(obs.Limits) > 0 || obs.Pause > 0 || obs.Spent > 0 {
			l.observe(ctx, origin, obs)
			if c != nil {
				c.observed = resp
			}
		}
		if c != nil && c.origin == origin && o == throttled {
			l.origin(origin).gate.penalize(c.sent)
		}
		return retry, cerr
	}
}

// ClientOptions returns the options that make a Client use l: its
// Middleware, and retry with the given policy whose Check goes through
// [Limiter.CheckRetry]. Give them to level3.New before options that add
// other middleware, and give no other WithRetry.
func (l *Limiter) ClientOptions(retry level3.RetryPolicy) []level3.Option {
	retry.Check = l.CheckRetry(retry.Check)
	return []level3.Option{level3.WithMiddleware(l.Middleware()), level3.WithRetry(retry)}
}

// call is what the Middleware tells CheckRetry about the call it let
// through, in the request's context, and what CheckRetry tells it back.
// CheckRetry runs within the Middleware's next.Do, so no lock is needed.
type call struct {
	origin   string
	sent     time.Time
	observed *http.Response // the last answer CheckRetry gave the Store
}

// callKey is the context key of *call.
type callKey struct{}

// origin returns the state of origin in this process, made on first use.
func (l *Limiter) origin(origin string) *originState {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.origins[origin]
	if st != nil {
		return st
	}
	if len(l.origins) >= maxOrigins {
		for o, s := range l.origins {
			if _, n := s.gate.current(); n == 0 {
				delete(l.origins, o)
			}
		}
	}
	st = &originState{
		gate: newGate(float64(l.opts.InitialConcurrency), aimdConfig{
			min: 1, max: float64(l.opts.MaxConcurrency), decrease: 0.5,
		}),
		changed: make(chan struct{}),
	}
	if l.opts.MaxRate > 0 {
		st.rate = rate.NewLimiter(rate.Limit(l.opts.MaxRate), 1)
	}
	l.origins[origin] = st
	return st
}

// wait waits until a request may go to origin: MaxRate, then the Store.
func (l *Limiter) wait(ctx context.Context, origin string, st *originState) (Grant, error) {
	if st.rate != nil {
		if err := st.rate.Wait(ctx); err != nil {
			return Grant{}, err
		}
	}
	for {
		g := l.take(ctx, origin)
		if g.Wait <= 0 {
			return g, nil
		}
		if g.Wait > l.opts.MaxWait {
			return Grant{}, fmt.Errorf("polite: %s: the quota comes back in %v, after MaxWait (%v): %w",
				origin, g.Wait.Round(time.Second), l.opts.MaxWait, ErrWaitTooLong)
		}
		if l.logger.Enabled(ctx, slog.LevelDebug) {
			l.logger.LogAttrs(ctx, slog.LevelDebug, "polite: waiting", slog.String("origin", origin), slog.Duration("wait", g.Wait))
		}
		l.mu.Lock()
		changed := st.changed
		l.mu.Unlock()
		t := time.NewTimer(min(g.Wait, maxPoll))
		select {
		case <-t.C:
		case <-changed:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return Grant{}, ctx.Err()
		}
	}
}

// take asks the Store, or the fallback when the Store fails.
func (l *Limiter) take(ctx context.Context, origin string) Grant {
	g, err := l.store.Take(ctx, origin)
	if err == nil {
		return g
	}
	if ctx.Err() == nil {
		l.warn(ctx, "Take", err)
	}
	g, _ = l.fallback.Take(context.WithoutCancel(ctx), origin)
	return g
}

// observe tells the Store (and the fallback) what an answer said, and wakes
// the requests of this process waiting for origin.
func (l *Limiter) observe(ctx context.Context, origin string, o Observation) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := l.store.Observe(sctx, origin, o); err != nil {
		l.warn(ctx, "Observe", err)
	}
	if l.store != Store(l.fallback) {
		_ = l.fallback.Observe(sctx, origin, o)
	}
	st := l.origin(origin)
	l.mu.Lock()
	close(st.changed)
	st.changed = make(chan struct{})
	l.mu.Unlock()
}

// warn logs a failure of the Store, at most once per storeWarnEvery.
func (l *Limiter) warn(ctx context.Context, op string, err error) {
	l.mu.Lock()
	now := time.Now()
	due := now.Sub(l.warnedAt) >= storeWarnEvery
	if due {
		l.warnedAt = now
	}
	l.mu.Unlock()
	if due {
		l.logger.LogAttrs(ctx, slog.LevelWarn, "polite: the shared store failed; this process goes on alone",
			slog.String("op", op), slog.Any("error", err))
	}
}

// answered records what the answer to call c said, against the origin
// that gave it (a redirect may have led elsewhere), unless CheckRetry has
// already given that answer to the Store, and returns its outcome for the
// concurrency limit of the call's origin.
func (l *Limiter) answered(ctx context.Context, c *call, probe bool, resp *http.Response, err error) outcome {
	origin := c.origin
	if err != nil {
		if probe {
			l.observe(ctx, origin, Observation{}) // let the others go
		}
		if timeout(ctx, err) {
			return timedOut
		}
		return neutral
	}
	from := origin // the origin that answered: another after a redirect
	if resp.Request != nil {
		if answering, ok := originOf(resp.Request.URL); ok {
			from = answering
		}
	}
	if from != origin && probe {
		l.observe(ctx, origin, Observation{})
		probe = false
	}
	if resp == c.observed { // the Store has it, which ended any probe of from
		return outcomeOf(resp.StatusCode)
	}
	obs, o := l.observation(resp)
	if probe || len(obs.Limits) > 0 || obs.Pause > 0 {
		l.observe(ctx, from, obs)
	}
	return o
}

// observation returns what resp says about its origin, and its outcome.
func (l *Limiter) observation(resp *http.Response) (Observation, outcome) {
	var obs Observation
	if !level3.FromCache(resp) { // stored fields are not current (draft section 7.3)
		obs.Limits = ParseLimits(resp.Header)
	}
	o := outcomeOf(resp.StatusCode)
	if o == throttled {
		if d, ok := retryAfter(resp.Header, time.Now()); ok {
			obs.Pause = min(d, l.opts.MaxWait)
		}
	}
	return obs, o
}

// outcomeOf returns what an answer's status says about the server's load.
func outcomeOf(status int) outcome {
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return throttled
	case http.StatusGatewayTimeout:
		return timedOut
	}
	return fast
}

// timeout reports whether err is a timeout of the server's making: no
// answer in time, not the caller's context ending.
func timeout(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var ne net.Error
	return errors.Is(err, level3.ErrStalled) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// originOf returns u's origin, "scheme://host:port" in lower case with the
// scheme's default port, and false when u has no host.
func originOf(u *url.URL) (string, bool) {
	if u == nil || u.Host == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port), true
}

// releasingBody ends a request's time in flight when its body is closed or
// read to the end.
type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releasingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.once.Do(b.release)
	}
	return n, err
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// misuse returns the error of a call that can never work.
func misuse(what string) error { return fmt.Errorf("polite: %s: %w", what, level3.ErrInvalidUse) }
