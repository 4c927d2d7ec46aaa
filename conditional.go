// This file holds the Entity mixin's conditional changes: Validators (which
// RequestOptions.IfVersion turns into If-Match or If-Unmodified-Since, in
// request_options.go) and Update, the optimistic concurrency loop (fetch,
// modify, conditional PUT, redo on 412). The cache-aware fetch with
// If-None-Match is in cache.go; Change and Result are in change.go.

package level3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Validators are the two validators of the Entity mixin (RFC 9110 §8.8): the
// entity tag and the modification date of a representation. The zero value
// has neither.
type Validators struct {
	ETag         string    // as sent, quotes and W/ included; "" when absent
	LastModified time.Time // zero when absent or malformed
}

// ValidatorsOf reads the etag and last-modified fields of h. A malformed
// date is left out.
func ValidatorsOf(h http.Header) Validators {
	v := Validators{ETag: strings.TrimSpace(h.Get("Etag"))}
	if lm := h.Get("Last-Modified"); lm != "" {
		if t, err := http.ParseTime(lm); err == nil {
			v.LastModified = t
		}
	}
	return v
}

// IsZero reports whether v has neither validator.
func (v Validators) IsZero() bool { return v.ETag == "" && v.LastModified.IsZero() }

// Strong reports whether the entity tag is present and strong, so that it can
// be used with If-Match and If-Range.
func (v Validators) Strong() bool { return isStrongETag(v.ETag) }

// Weak reports whether the entity tag is weak (W/ prefix). Weak tags cannot
// validate ranges or If-Match.
func (v Validators) Weak() bool { return strings.HasPrefix(v.ETag, "W/") }

// isStrongETag reports whether tag is a syntactically valid strong entity
// tag: a quoted string without W/ (RFC 9110 §8.8.3).
func isStrongETag(tag string) bool {
	if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return false
	}
	for i := 1; i < len(tag)-1; i++ {
		if c := tag[i]; c == '"' || c < 0x21 || c == 0x7f {
			return false
		}
	}
	return true
}

// UpdateAttempts is how many times [Update] fetches, modifies and writes
// before it gives up on a resource that keeps changing under it.
const UpdateAttempts = 4

// Update changes the JSON state at url with optimistic concurrency (Entity
// mixin): it GETs the state into a new T, calls modify with it, and PUTs the
// result conditional on the validators it read ([RequestOptions.IfVersion]).
// When someone else changed the resource in between (412), it starts again
// from a fresh GET, up to [UpdateAttempts] times; then it returns the last
// [*PreconditionFailedError], wrapped.
//
// modify may be called more than once, each time with the state then
// current; it must not have side effects it cannot repeat. An error from
// modify stops Update and is returned wrapped, with nothing written. opts
// (nil: none) apply to the PUT, such as Return: "representation"; Update
// sets IfVersion itself, so opts must set neither IfVersion nor Force.
// Update fails with [ErrNoValidator] when the resource sends neither a
// strong etag nor a last-modified date, rather than overwrite blindly. On
// success, the Result carries the new validators when the server sends
// them.
func Update[T any](ctx context.Context, c *Client, url string, modify func(*T) error, opts *RequestOptions) (*Result, error) {
	if err := c.check(ctx, "Update"); err != nil {
		return nil, err
	}
	if modify == nil {
		return nil, misuse("Update", "nil modify function")
	}
	var put RequestOptions
	if opts != nil {
		if opts.Force || !opts.IfVersion.IsZero() {
			return nil, errors.New("level3: Update: RequestOptions.IfVersion and Force are Update's to set")
		}
		put = *opts
	}
	var lastErr error
	for attempt := 1; attempt <= UpdateAttempts; attempt++ {
		var v T
		res, err := c.GetJSON(ctx, url, &v, nil)
		if err != nil {
			return nil, err
		}
		if _, _, err := res.Validators.preconditions(); err != nil {
			return nil, fmt.Errorf("level3: update %s: %w", redactURL(res.URL), err)
		}
		if err := modify(&v); err != nil {
			return nil, fmt.Errorf("level3: update %s: %w", redactURL(res.URL), err)
		}
		put.IfVersion = res.Validators
		out, err := c.PutJSON(ctx, url, v, &put)
		var stale *PreconditionFailedError
		if !errors.As(err, &stale) {
			return out, err
		}
		lastErr = err
		c.logger.DebugContext(ctx, "level3: update lost a race, starting again",
			"url", redactURL(res.URL), "attempt", attempt)
	}
	return nil, fmt.Errorf("level3: update %s: the resource changed during each of %d attempts: %w", redactRawURL(url), UpdateAttempts, lastErr)
}
