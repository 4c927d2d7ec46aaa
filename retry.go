// This file holds the retry layer of the Client's pipeline: the policy
// (RetryPolicy: a Schedule and a Check), which requests may be sent again
// (retryable), which outcomes deserve another try (DefaultCheckRetry), and
// the layer itself, which hands the loop to go-retryablehttp with waits from
// the Schedule (schedule.go). Replayable request bodies are made in body.go.

package level3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// RetryPolicy says how the Client retries a failed request ([WithRetry]).
// The zero value is the default: up to 3 retries, waiting from 250ms,
// doubling up to 10s, each wait spread ±50% at random, with
// [DefaultCheckRetry] deciding.
//
// Only requests that are safe to repeat are retried: GET, HEAD, PUT, DELETE,
// OPTIONS and TRACE, and POST or PATCH that carry an Idempotency-Key header;
// and only when the body can be replayed without buffering it (no body, a
// GetBody function, or a body built by [NewRequest] from a file or an
// [io.ReadSeeker]), and [RequestOptions.NoRetry] is not set. Anything else is
// sent exactly once.
type RetryPolicy struct {
	// Schedule gives the waits between attempts and how many retries to
	// make. Attempts counts the requests sent again after the first: zero
	// means 3, a negative number disables retries. The other zero fields
	// take the defaults above. A Retry-After from the server (on a 429 or
	// 503, say) replaces the computed wait, capped at Max.
	Schedule
	// Check decides, after each attempt, whether to try again. It is given
	// the request's context, and the response (nil on a transport failure)
	// or the error of the attempt; it must not read or close the response
	// body. A non-nil error stops the retries, and the call fails with it.
	// Check is called from the goroutine of the call, once per attempt.
	// Nil means [DefaultCheckRetry].
	Check func(ctx context.Context, resp *http.Response, err error) (bool, error)
}

// defaultRetrySchedule is what the zero fields of RetryPolicy.Schedule
// take.
var defaultRetrySchedule = Schedule{
	Initial: 250 * time.Millisecond, Max: 10 * time.Second, Multiplier: 2, Jitter: 0.5, Attempts: 3,
}

// schedule returns p's Schedule with its defaults applied.
func (p RetryPolicy) schedule() Schedule { return p.Schedule.or(defaultRetrySchedule) }

// validate reports a policy that cannot work.
func (p RetryPolicy) validate() error { return p.Schedule.validate("RetryPolicy") }

// DefaultCheckRetry retries transport failures (refused, reset, closed early,
// timed out, an HTTP/2 stream reset) and the statuses that say "try again
// later": 429, 502, 503 and 504. It never retries once the context is done,
// nor failures that another try cannot fix (certificate errors, a host name
// that does not resolve, TLS spoken to a plain HTTP port, a body that cannot
// be replayed), nor other statuses: a 500 usually means the request itself
// broke the server. It is the [RetryPolicy.Check] used when none is given,
// and a Check of one's own can call it for the cases it does not decide.
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
//
// The loop is go-retryablehttp's (Client.Do), driven by p: RetryMax from
// Attempts, Backoff from the Schedule, CheckRetry from Check. Its only seam
// for sending a request is the *http.Client in its HTTPClient field (its
// RoundTripper type goes through the same field), so the layer hands it one
// whose Transport is the next layer: it follows no redirects (the redirect
// layer above does), has no timeout of its own, and adds a *url.Error
// around what the next layer returns, which unwrapDoubleURLError removes.
func retryLayer(p RetryPolicy, logger *slog.Logger) Middleware {
	return func(next Doer) Doer {
		s := p.schedule()
		if s.Attempts == 0 {
			return next
		}
		check := p.Check
		if check == nil {
			check = DefaultCheckRetry
		}
		rc := &retryablehttp.Client{
			HTTPClient: &http.Client{
				Transport:     roundTripperFunc(next.Do),
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			},
			RetryMax:   s.Attempts,
			CheckRetry: retryablehttp.CheckRetry(check),
			Backoff: func(_, _ time.Duration, attempt int, resp *http.Response) time.Duration {
				retryAfter, status := "", 0
				if resp != nil {
					retryAfter, status = resp.Header.Get("Retry-After"), resp.StatusCode
				}
				wait, _ := s.wait(attemptBackOff{s: s, n: attempt}, retryAfter, 0)
				if logger.Enabled(context.Background(), slog.LevelDebug) {
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
		return DoerFunc(func(req *http.Request) (*http.Response, error) {
			if !retryable(req) {
				return next.Do(req)
			}
			resp, err := rc.Do(&retryablehttp.Request{Request: req})
			if err != nil && resp != nil {
				// A Check (or a body that cannot be rewound) stopped the
				// retries with an error: the call fails with it, and the
				// response it came with is closed here.
				drainAndClose(resp.Body)
				resp = nil
			}
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
