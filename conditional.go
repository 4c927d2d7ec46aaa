// This file holds the Entity mixin's conditional changes: Validators, the
// RequestOptions that turn them into preconditions (If-Match,
// If-Unmodified-Since, the forced If-Match: *), and Update, the optimistic
// concurrency loop (fetch, modify, conditional PUT, redo on 412). The
// cache-aware fetch with If-None-Match is in cache.go; Change and Result are
// in change.go.

package level3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ErrNoValidator is returned (wrapped) when a conditional request is asked
// for but there is nothing to make it conditional on: no strong entity tag
// (a weak one never satisfies If-Match, RFC 9110 §13.1.1) and no
// last-modified date.
var ErrNoValidator = errors.New("level3: no validator to make the request conditional")

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

// preconditionHeaders decides the precondition fields for a change
// conditional on v: If-Match with a strong entity tag, or else
// If-Unmodified-Since with the date (RFC 9110 §13.1.4 ignores it when
// If-Match is present, so it is only sent as the fallback). A weak tag alone
// cannot be used.
func preconditionHeaders(v Validators) (ifMatch, ifUnmodifiedSince string, err error) {
	switch {
	case isStrongETag(v.ETag):
		return v.ETag, "", nil
	case !v.LastModified.IsZero():
		return "", v.LastModified.UTC().Format(http.TimeFormat), nil
	case v.ETag != "":
		return "", "", fmt.Errorf("%w: the entity tag %s is weak and there is no last-modified date", ErrNoValidator, v.ETag)
	default:
		return "", "", ErrNoValidator
	}
}

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

// Conditional makes a change conditional on the validators of the version the
// caller read, from [Resource.Validators] or [Result.Validators]: the server
// applies it only if the resource is still that version, and answers 412
// ([*PreconditionFailedError]) otherwise. It sends If-Match with a strong
// entity tag, or If-Unmodified-Since when there is only a date; it fails with
// [ErrNoValidator] when there is neither.
func Conditional(v Validators) RequestOption {
	return func(req *http.Request) error {
		im, ius, err := preconditionHeaders(v)
		if err != nil {
			return err
		}
		req.Header.Del("If-Match")
		req.Header.Del("If-Unmodified-Since")
		if im != "" {
			req.Header.Set("If-Match", im)
		}
		if ius != "" {
			req.Header.Set("If-Unmodified-Since", ius)
		}
		return nil
	}
}

// IfMatch makes a change conditional on an entity tag given explicitly, such
// as one the user typed ("abc" or with its quotes, "\"abc\""). It fails for a
// weak tag, which never satisfies If-Match, and for a tag that is not a valid
// entity tag.
func IfMatch(etag string) RequestOption {
	return func(req *http.Request) error {
		tag := strings.TrimSpace(etag)
		if tag != "" && !strings.HasPrefix(tag, `"`) && !strings.HasPrefix(tag, "W/") {
			tag = `"` + tag + `"`
		}
		if !isStrongETag(tag) {
			return fmt.Errorf("level3: IfMatch(%q): %w", etag, errBadETag(tag))
		}
		req.Header.Set("If-Match", tag)
		return nil
	}
}

// errBadETag says why tag cannot be used with If-Match.
func errBadETag(tag string) error {
	if strings.HasPrefix(tag, "W/") {
		return fmt.Errorf("%w: weak entity tags never satisfy If-Match", ErrNoValidator)
	}
	return errors.New("not a valid entity tag")
}

// IfUnmodifiedSince makes a change conditional on the resource not having
// changed after t (HTTP dates have a resolution of one second).
func IfUnmodifiedSince(t time.Time) RequestOption {
	return func(req *http.Request) error {
		if t.IsZero() {
			return fmt.Errorf("level3: IfUnmodifiedSince: %w: zero time", ErrNoValidator)
		}
		req.Header.Set("If-Unmodified-Since", t.UTC().Format(http.TimeFormat))
		return nil
	}
}

// Force makes a PUT or DELETE a forced change: If-Match: * applies it
// whatever the current version is, but only if the resource exists (RFC 9110
// §13.1.1), so a PUT never creates. It replaces other preconditions.
func Force() RequestOption {
	return func(req *http.Request) error {
		req.Header.Del("If-Unmodified-Since")
		req.Header.Set("If-Match", "*")
		return nil
	}
}

// UpdateAttempts is how many times [Update] fetches, modifies and writes
// before it gives up on a resource that keeps changing under it.
const UpdateAttempts = 4

// Update changes the JSON state at url with optimistic concurrency (Entity
// mixin): it GETs the state into a new T, calls modify with it, and PUTs the
// result conditional on the validators it read ([Conditional]). When someone
// else changed the resource in between (412), it starts again from a fresh
// GET, up to [UpdateAttempts] times; then it returns the last
// [*PreconditionFailedError], wrapped.
//
// modify may be called more than once, each time with the state then
// current; it must not have side effects it cannot repeat. An error from
// modify stops Update and is returned wrapped, with nothing written. opts
// apply to the PUT (for instance [PreferRepresentation]). Update fails with
// [ErrNoValidator] when the resource sends neither a strong etag nor a
// last-modified date, rather than overwrite blindly. On success, the Result
// carries the new validators when the server sends them.
func Update[T any](ctx context.Context, c *Client, url string, modify func(*T) error, opts ...RequestOption) (*Result, error) {
	if err := c.check(ctx, "Update"); err != nil {
		return nil, err
	}
	if modify == nil {
		return nil, misuse("Update", "nil modify function")
	}
	var lastErr error
	for attempt := 1; attempt <= UpdateAttempts; attempt++ {
		var v T
		res, err := c.GetJSON(ctx, url, &v)
		if err != nil {
			return nil, err
		}
		if _, _, err := preconditionHeaders(res.Validators); err != nil {
			return nil, fmt.Errorf("level3: update %s: %w", redactURL(res.URL), err)
		}
		cond := Conditional(res.Validators)
		if err := modify(&v); err != nil {
			return nil, fmt.Errorf("level3: update %s: %w", redactURL(res.URL), err)
		}
		put := append([]RequestOption{cond}, opts...)
		out, err := c.PutJSON(ctx, url, v, put...)
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
