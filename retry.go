// This file holds the retry layer of the Client's pipeline: which requests may
// be sent again (retryable), which outcomes deserve another try
// (DefaultCheckRetry), how long to wait (DefaultBackoff), and the layer itself,
// which hands the loop to go-retryablehttp. Replayable request bodies are made
// in body.go.

package level3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// RetryPolicy says how the Client retries a failed request. The zero value
// disables retries; [DefaultRetryPolicy] is what [New] uses.
//
// Only requests that are safe to repeat are retried: GET, HEAD, PUT, DELETE,
// OPTIONS and TRACE, and POST or PATCH that carry an Idempotency-Key header;
// and only when the body can be replayed without buffering it (no body, a
// GetBody function, or a body built by [NewRequest] from a file or an
// [io.ReadSeeker]). Anything else is sent exactly once.
type RetryPolicy struct {
	// MaxRetries is how many times a request is sent again after the first
	// attempt. 0 disables retries.
	MaxRetries int
	// MinWait is the first backoff interval; it doubles on each retry.
	MinWait time.Duration
	// MaxWait caps every wait, including one asked for by Retry-After, so a
	// server cannot park the client for an hour.
	MaxWait time.Duration
	// CheckRetry decides whether an attempt's outcome is worth another try.
	// Nil means [DefaultCheckRetry].
	CheckRetry retryablehttp.CheckRetry
	// Backoff computes the wait before the next attempt. Nil means
	// [DefaultBackoff].
	Backoff retryablehttp.Backoff
}

// DefaultRetryPolicy returns the policy [New] uses: 3 retries, waits from
// 250ms doubling up to 10s, [DefaultCheckRetry] and [DefaultBackoff].
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, MinWait: 250 * time.Millisecond, MaxWait: 10 * time.Second}
}

// validate reports a policy that cannot work.
func (p RetryPolicy) validate() error {
	switch {
	case p.MaxRetries < 0:
		return errors.New("level3: RetryPolicy.MaxRetries is negative")
	case p.MinWait < 0 || p.MaxWait < 0:
		return errors.New("level3: RetryPolicy waits must not be negative")
	case p.MaxWait < p.MinWait:
		return errors.New("level3: RetryPolicy.MaxWait is less than MinWait")
	}
	return nil
}

// DefaultCheckRetry retries transport failures (refused, reset, closed early,
// timed out, an HTTP/2 stream reset) and the statuses that say "try again
// later": 429, 502, 503 and 504. It never retries once the context is done,
// nor failures that another try cannot fix (certificate errors, a host name
// that does not resolve, TLS spoken to a plain HTTP port, a body that cannot
// be replayed), nor other statuses: a 500 usually means the request itself
// broke the server. It is a [retryablehttp.CheckRetry].
//
// Transport failures are retried unless known to be permanent, rather than
// only when known to be transient, because net/http reports several transient
// ones (HTTP/2 stream resets among them) with unexported types. This is safe
// because only idempotent requests with replayable bodies reach it.
func DefaultCheckRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx == nil {
		return false, misuse("DefaultCheckRetry", "nil Context")
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return !isPermanent(err), err
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true, nil
	}
	return false, nil
}

// isPermanent reports whether a transport error will happen again however
// often the request is sent.
func isPermanent(err error) bool {
	var (
		unknownCA    x509.UnknownAuthorityError
		hostname     x509.HostnameError
		invalidCert  x509.CertificateInvalidError
		verification *tls.CertificateVerificationError
		recordHeader tls.RecordHeaderError
		dns          *net.DNSError
		op           *net.OpError
	)
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalidCert),
		errors.As(err, &verification), errors.As(err, &recordHeader):
		return true
	case errors.As(err, &dns):
		return dns.IsNotFound
	case errors.As(err, &op) && op.Op == "dial" && op.Timeout():
		return false // a connect timeout, which net also reports as context.DeadlineExceeded
	case errors.Is(err, ErrBodyNotReplayable), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	return false
}

// DefaultBackoff waits min·2^attempt with jitter (a random point in the upper
// half of the interval, so concurrent clients spread out), at most max. When
// the response carries Retry-After (seconds or an HTTP-date, RFC 9110 §10.2.3)
// that wait is used instead, also capped at max: go-retryablehttp's own
// backoff leaves it uncapped. It is a [retryablehttp.Backoff].
func DefaultBackoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return capWait(d, max)
		}
	}
	d := min
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	d = capWait(d, max)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// capWait bounds d to [0, max].
func capWait(d, max time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	if d > max {
		return max
	}
	return d
}

// retryable reports whether req may be sent more than once: the method is
// idempotent (or an Idempotency-Key makes it so), the body can be replayed,
// and the caller did not ask for one attempt (RequestOptions.NoRetry).
func retryable(req *http.Request) bool {
	if req.Context().Value(noRetryKey{}) != nil {
		return false // RequestOptions.NoRetry
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions, http.MethodTrace, "":
	case http.MethodPost, http.MethodPatch:
		if req.Header.Get("Idempotency-Key") == "" {
			return false
		}
	default:
		return false
	}
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// attemptsKey carries a *int through the request context in which the retry
// layer records how many attempts it made, for ResponseError.Attempts.
type attemptsKey struct{}

// retryLayer returns the pipeline layer that retries with p. Requests that are
// not retryable go straight to next.
func retryLayer(p RetryPolicy, logger *slog.Logger) Middleware {
	return func(next Doer) Doer {
		if p.MaxRetries == 0 {
			return next
		}
		backoff := p.Backoff
		if backoff == nil {
			backoff = DefaultBackoff
		}
		rc := &retryablehttp.Client{
			// retryablehttp drives an *http.Client; this one only adapts the
			// next layer and follows no redirects of its own.
			HTTPClient: &http.Client{
				Transport:     roundTripperFunc(next.Do),
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			},
			RetryWaitMin: p.MinWait,
			RetryWaitMax: p.MaxWait,
			RetryMax:     p.MaxRetries,
			CheckRetry:   p.CheckRetry,
			Backoff: func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
				wait := backoff(min, max, attempt, resp)
				if logger.Enabled(context.Background(), slog.LevelDebug) {
					status := 0
					if resp != nil {
						status = resp.StatusCode
					}
					logger.Debug("level3: retrying", "attempt", attempt+1, "status", status, "wait", wait)
				}
				return wait
			},
			// Keep the last response: CheckResponse turns it into a typed
			// error that still carries the status and problem details.
			ErrorHandler: retryablehttp.PassthroughErrorHandler,
			RequestLogHook: func(_ retryablehttp.Logger, req *http.Request, attempt int) {
				if n, ok := req.Context().Value(attemptsKey{}).(*int); ok {
					*n = attempt + 1
				}
			},
			PrepareRetry: rewindBody,
		}
		if rc.CheckRetry == nil {
			rc.CheckRetry = DefaultCheckRetry
		}
		return DoerFunc(func(req *http.Request) (*http.Response, error) {
			if !retryable(req) {
				return next.Do(req)
			}
			resp, err := rc.Do(&retryablehttp.Request{Request: req})
			return resp, unwrapDoubleURLError(err)
		})
	}
}

// rewindBody gives a retried request a fresh body from GetBody. retryablehttp
// has already made req a shallow copy, so the attempt before keeps its own.
func rewindBody(req *http.Request) error {
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	if req.GetBody == nil {
		return ErrBodyNotReplayable
	}
	body, err := req.GetBody()
	if err != nil {
		return err
	}
	req.Body = body
	return nil
}

// unwrapDoubleURLError removes the *url.Error that the adapter *http.Client
// adds around one the next layer already returned, so messages name the URL
// once.
func unwrapDoubleURLError(err error) error {
	if outer, ok := err.(*url.Error); ok {
		if inner, ok := outer.Err.(*url.Error); ok {
			return inner
		}
	}
	return err
}

// roundTripperFunc adapts a function to http.RoundTripper.
type roundTripperFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f(req).
func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
