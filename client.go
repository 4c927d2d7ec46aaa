// This file holds the Client and its request pipeline. Options are in
// options.go, the retry layer in retry.go, typed errors in errors.go, and
// discovery in resource.go.

package level3

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/l3go/level3/redirects"
)

// Version is the version of this module, sent in the default User-Agent.
const Version = "0.1.0"

// DefaultUserAgent is the User-Agent the Client sends unless
// [WithUserAgent] or a request header says otherwise.
const DefaultUserAgent = "level3-go/" + Version

// Doer sends one HTTP request and returns its response. It is the shape of
// (*http.Client).Do and of every layer in the Client's pipeline.
type Doer interface {
	Do(req *http.Request) (*http.Response, error)
}

// DoerFunc adapts a function to [Doer].
type DoerFunc func(req *http.Request) (*http.Response, error)

// Do calls f(req).
func (f DoerFunc) Do(req *http.Request) (*http.Response, error) { return f(req) }

// Middleware wraps a [Doer] with one behaviour. Each Level 3 behaviour of the
// Client is one Middleware, and [WithMiddleware] adds the caller's own.
// A Middleware must not modify the request it is given (clone it first), and
// whatever response it returns, the caller closes its body.
type Middleware func(next Doer) Doer

// Client is a Level 3 REST client. It is safe for concurrent use by multiple
// goroutines; create one and reuse it, as with *http.Client.
//
// A request flows through a pipeline of layers, outermost first:
//
//	Client.Do          default headers, logging, status → typed error
//	  caller's layers  WithMiddleware, in the order given
//	  cache            Entity revalidation (cache.go): WithCache
//	  redirect         RedirectPolicy and the 308 memory (redirect.go)
//	  retry            RetryPolicy (retry.go), via go-retryablehttp
//	  preflight        PreflightPolicy (preflight.go): expect: 100-continue
//	  credentials      WithCredentialOrigins (origin.go): credentials only
//	                   to the origin of the call, or to origins allowed
//	  stall            WithStallWatch (stall.go), when given
//	  *http.Client     WithHTTPClient: connections, TLS, HTTP/2, cookies
//
// Every layer is a [Middleware] and can be tested alone.
type Client struct {
	httpClient  *http.Client
	header      http.Header
	logger      *slog.Logger
	retry       RetryPolicy     // as given: the retry layer applies its defaults
	preflight   PreflightPolicy // defaults applied (its Wait sets the transport's)
	origins     *originMemory   // origins that do not preflight (preflight.go)
	middlewares []Middleware
	pipeline    Doer
	cache       CacheStore // nil: no cache layer
	busy        Schedule   // Submit's waits for a submission still processing (WithBusyWait; zero fields: defaultBusyWait)

	// redirect and redirectStore configure the redirect layer.
	redirect      RedirectPolicy
	redirectStore redirects.Store

	// credentialOrigins are the origins allowed with WithCredentialOrigins;
	// credentials is the rule built from them and the sensitive headers.
	credentialOrigins map[string]bool
	credentials       *credentialPolicy

	// connectTimeout and stallTimeout bound a silent server (stall.go).
	connectTimeout time.Duration
	stallTimeout   time.Duration

	// rootCAs, when set, replaces the system's roots (tlsroots.go).
	rootCAs *x509.CertPool
}

// New returns a Client configured by opts. Without options it uses its own
// *http.Client (never http.DefaultClient), [DefaultUserAgent], the zero
// [RetryPolicy], [RedirectPolicy] and [PreflightPolicy] (each documents its
// defaults), a [redirects.Memory] for 308s, a [MemoryCache] (see
// [WithCache]) and a logger that discards everything. It returns an error
// when an option is invalid, such as a nil *http.Client or a header value
// with a line break.
func New(opts ...Option) (*Client, error) {
	c := &Client{
		header: http.Header{"User-Agent": {DefaultUserAgent}},
		logger: slog.New(slog.DiscardHandler),
		cache:  NewMemoryCache(DefaultCacheSize, DefaultCacheEntrySize),

		redirectStore: redirects.NewMemory(redirects.DefaultSize),
		preflight:     PreflightPolicy{}.withDefaults(),
		origins:       newOriginMemory(),
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	own := c.httpClient == nil
	if own {
		c.httpClient = newHTTPClient()
		c.httpClient.Transport.(*http.Transport).ExpectContinueTimeout = c.preflight.Wait
	}
	c.credentials = newCredentialPolicy(c.redirect.SensitiveHeaders, c.credentialOrigins)
	if err := c.setConnectTimeout(own); err != nil {
		return nil, err
	}
	if err := c.setRootCAs(own); err != nil {
		return nil, err
	}
	c.pipeline = c.buildPipeline()
	return c, nil
}

// newHTTPClient returns the Client's own *http.Client: the default transport's
// settings, with more idle connections per host for concurrent transfers.
func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: t}
}

// buildPipeline stacks the layers documented on Client around a copy of the
// *http.Client that follows no redirects (the redirect layer does).
func (c *Client) buildPipeline() Doer {
	var d Doer = laneDoer{withoutRedirects(c.httpClient)} // download_conns.go
	if c.stallTimeout > 0 {
		d = stallLayer(c.stallTimeout)(d)
	}
	d = credentialLayer(c.credentials, c.logger)(d)
	d = preflightLayer(c.preflight, c.origins, c.logger)(d)
	d = retryLayer(c.retry, c.logger)(d)
	d = redirectLayer(c.redirect, c.redirectStore, c.credentials, c.httpClient, c.logger)(d)
	d = cacheLayer(c.cache, c.credentials, c.logger)(d)
	for i := len(c.middlewares) - 1; i >= 0; i-- {
		d = c.middlewares[i](d)
	}
	return d
}

// HTTPClient returns the *http.Client given to [WithHTTPClient] (or the
// Client's own). Do not modify it; copy it first. The pipeline sends through
// a copy of it whose CheckRedirect hands every redirect back to the Client's
// redirect layer.
func (c *Client) HTTPClient() *http.Client {
	if c == nil {
		return nil
	}
	return c.httpClient
}

// Do sends req through the pipeline and returns the response.
//
// A status of 400 or more is returned as a typed error (see [CheckResponse])
// with a nil response; the body has been read and closed. Otherwise the caller
// must close resp.Body. A transport failure is returned as an error whose chain
// holds the *url.Error from net/http and, after retries, says how many
// attempts were made. Do does not modify req; its context governs the whole
// exchange, including waits between retries.
//
// Redirects are followed by the Client itself, as [RedirectPolicy] and
// [WithRedirectStore] describe: resp.Request is the last request sent, and
// a 3xx is returned only when it is not followed.
//
// Credentials (Authorization, Proxy-Authorization, Cookie, Cookie2 and
// [RedirectPolicy.SensitiveHeaders]) go only to the origin of req.URL, or to
// origins allowed with [WithCredentialOrigins]; every request sent on the
// way (redirect hops, retries, preflight probes) is held to that rule.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	if err := c.checkRequest("Client.Do", req); err != nil {
		return nil, err
	}
	if err := checkURL(req); err != nil {
		return nil, err
	}
	ctx := req.Context()
	attempts := 1
	out := req.WithContext(context.WithValue(withCallOrigin(ctx, req.URL), attemptsKey{}, &attempts))
	out.Header = c.withDefaults(req.Header)
	start := time.Now()
	resp, err := c.pipeline.Do(out)
	if err != nil {
		err = transportError(out, attempts, err)
		if c.logger.Enabled(ctx, slog.LevelDebug) {
			c.logger.LogAttrs(ctx, slog.LevelDebug, "level3: request failed",
				slog.String("method", out.Method), slog.String("url", redactURL(out.URL)),
				slog.Int("attempts", attempts), slog.Any("error", err))
		}
		return nil, err
	}
	if c.logger.Enabled(ctx, slog.LevelDebug) {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "level3: response",
			slog.String("method", out.Method), slog.String("url", redactURL(out.URL)),
			slog.Int("status", resp.StatusCode), slog.Int("attempts", attempts),
			slog.Duration("elapsed", time.Since(start)))
	}
	if resp.StatusCode >= 400 {
		if resp.Request == nil {
			resp.Request = out
		}
		base := newResponseError(resp)
		base.Attempts = attempts
		return nil, typed(base)
	}
	return resp, nil
}

// withDefaults returns a new header map holding h plus the Client's default
// headers that h does not set. Value slices are shared, not copied, but capped
// at their length so that appending to them in a later layer reallocates
// instead of writing into the caller's arrays.
func (c *Client) withDefaults(h http.Header) http.Header {
	out := make(http.Header, len(h)+len(c.header))
	for name, vals := range h {
		out[name] = vals[:len(vals):len(vals)]
	}
	for name, vals := range c.header {
		if _, set := out[name]; !set {
			out[name] = vals[:len(vals):len(vals)]
		}
	}
	return out
}

// transportError makes every failure without a response a *url.Error naming
// the method and URL, as net/http's own are, and says how many attempts were
// made when there was more than one.
func transportError(req *http.Request, attempts int, err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		op := req.Method
		if len(op) > 1 {
			op = op[:1] + strings.ToLower(op[1:])
		}
		err = &url.Error{Op: op, URL: redactURL(req.URL), Err: err}
	}
	if attempts > 1 {
		return fmt.Errorf("level3: giving up after %d attempts: %w", attempts, err)
	}
	return err
}

// checkURL rejects, before anything is sent or retried, a request that no
// server could answer.
func checkURL(req *http.Request) error {
	switch {
	case req.URL == nil:
		return errors.New("level3: request has no URL")
	case req.URL.Scheme != "http" && req.URL.Scheme != "https":
		return fmt.Errorf("level3: %s %s: unsupported URL scheme %q (want http or https)", req.Method, redactURL(req.URL), req.URL.Scheme)
	case req.URL.Host == "":
		return fmt.Errorf("level3: %s %s: URL has no host", req.Method, redactURL(req.URL))
	}
	return nil
}

// Get sends a GET request for url with opts (nil: none; see
// [RequestOptions]) and returns the response, as [Client.Do] does: the
// caller closes the body of a successful response. The GET goes through the
// Client's cache unless opts.NoCache.
func (c *Client) Get(ctx context.Context, url string, opts *RequestOptions) (*http.Response, error) {
	if err := c.check(ctx, "Client.Get"); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("level3: %w", err)
	}
	if req, err = opts.Apply(req); err != nil {
		return nil, err
	}
	return c.Do(req)
}

// Send builds a request with [NewRequest], so that a file or seekable body can
// be retried, sets its Content-Type when contentType is not empty, applies
// opts (nil: none; a content-type in opts.Header wins), and sends it with
// [Client.Do], whose contract it shares: the caller closes the body of a
// successful response. Send never closes body.
func (c *Client) Send(ctx context.Context, method, url, contentType string, body io.Reader, opts *RequestOptions) (*http.Response, error) {
	if err := c.check(ctx, "Client.Send"); err != nil {
		return nil, err
	}
	req, err := NewRequest(ctx, method, url, body)
	if err != nil {
		return nil, fmt.Errorf("level3: %w", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if req, err = opts.Apply(req); err != nil {
		return nil, err
	}
	return c.Do(req)
}
