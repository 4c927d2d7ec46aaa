// This file holds the functional options of New. Each validates its input,
// so a misconfigured Client fails at construction, not at its first request.

package level3

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// Option configures a [Client] in [New].
type Option func(*Client) error

// WithHTTPClient makes the Client send its requests with hc, for its
// transport, TLS, proxy, timeout, cookie jar and CheckRedirect. The Client
// never modifies hc: it sends through a copy that follows no redirects,
// because the Client follows them itself (see [RedirectPolicy]), calling
// hc.CheckRedirect, when set, before each one as net/http would. hc.Timeout
// then bounds each request sent (each redirect hop and each retry), not the
// whole call: use the request context for that.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("level3: WithHTTPClient: nil *http.Client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithHeader adds a header sent with every request that does not set that
// header itself, such as Authorization. It may be given several times; values
// for the same name accumulate.
func WithHeader(name, value string) Option {
	return func(c *Client) error {
		if !validHeaderName(name) {
			return fmt.Errorf("level3: WithHeader: invalid header name %q", name)
		}
		if !validHeaderValue(value) {
			return fmt.Errorf("level3: WithHeader: invalid value for header %s", name)
		}
		key := http.CanonicalHeaderKey(name)
		if key == "User-Agent" {
			c.header[key] = []string{value}
			return nil
		}
		c.header[key] = append(c.header[key], value)
		return nil
	}
}

// WithUserAgent sets the User-Agent sent with every request that does not set
// its own. The default is [DefaultUserAgent].
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		if strings.TrimSpace(ua) == "" || !validHeaderValue(ua) {
			return fmt.Errorf("level3: WithUserAgent: invalid user agent %q", ua)
		}
		c.header["User-Agent"] = []string{ua}
		return nil
	}
}

// WithLogger makes the Client log to l: each response and retry at Debug
// level, with credentials removed from URLs. A nil l discards logs, which is
// the default.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) error {
		if l == nil {
			l = slog.New(slog.DiscardHandler)
		}
		c.logger = l
		return nil
	}
}

// WithRetry sets the retry policy; see [RetryPolicy] for its defaults (the
// zero RetryPolicy, which [New] uses). A negative Attempts disables retries:
//
//	level3.WithRetry(level3.RetryPolicy{Schedule: level3.Schedule{Attempts: -1}})
//
// An invalid Schedule (a negative wait, Max below Initial, Multiplier below
// 1, Jitter of 1 or more) makes New fail with an error naming the field.
func WithRetry(p RetryPolicy) Option {
	return func(c *Client) error {
		if err := p.validate(); err != nil {
			return err
		}
		c.retry = p
		return nil
	}
}

// WithMiddleware adds layers to the Client's pipeline, outside the built-in
// ones: the first given is the outermost, and sees every request once per call
// to Do, before retries.
func WithMiddleware(m ...Middleware) Option {
	return func(c *Client) error {
		for _, mw := range m {
			if mw == nil {
				return errors.New("level3: WithMiddleware: nil Middleware")
			}
		}
		c.middlewares = append(c.middlewares, m...)
		return nil
	}
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v has no control characters other than
// horizontal tab, so it cannot split or smuggle a header.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// isTokenChar reports whether c may appear in an RFC 9110 token.
func isTokenChar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
