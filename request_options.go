// This file holds RequestOptions, the settings any one request can carry,
// and Apply, the one function that puts them on a request. Every per-call
// options struct of the package embeds RequestOptions (the option rule is
// in doc.go); the Client-wide settings are the With... options of
// options.go.

package level3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/dunglas/httpsfv"
	"github.com/l3go/level3/internal/prefer"
)

// RequestOptions are the settings that any one request can carry. Every
// per-call options struct of this package ([UploadOptions],
// [DownloadOptions], [AsyncOptions], ...) embeds them, and the calls that
// need nothing else take a *RequestOptions; nil means none. A request built
// by hand gets them from [RequestOptions.Apply].
//
// Invalid settings (a header value with a line break, a weak entity tag in
// IfVersion alone, Force with IfVersion) make the call fail before anything is
// sent.
type RequestOptions struct {
	// Header holds further request headers. Each name given replaces the
	// request's values for that name, the Client's defaults ([WithHeader])
	// included. Credentials given here are scoped like any other (see
	// [WithCredentialOrigins]).
	Header http.Header

	// IfVersion makes a change conditional on the version the caller read
	// (Entity mixin), from [Resource.Validators] or [Result.Validators]: the
	// server applies it only if the resource is still that version, and
	// answers 412 ([*PreconditionFailedError]) otherwise. It sends If-Match
	// with a strong entity tag (a bare tag such as abc is quoted), else
	// If-Unmodified-Since with the date (HTTP dates have a resolution of one
	// second). A weak tag without a date fails with [ErrNoValidator]: weak
	// tags never satisfy If-Match (RFC 9110 §13.1.1). The zero value sends
	// no precondition.
	IfVersion Validators

	// Force sends If-Match: *, which applies a PUT or DELETE whatever the
	// current version is, but only if the resource exists (RFC 9110
	// §13.1.1): a forced PUT never creates. It excludes IfVersion.
	Force bool

	// IdempotencyKey is sent as the idempotency-key field, an RFC 9651
	// string ("key", as Level 3 writes it); it must be printable ASCII. A
	// POST or PATCH with a key may be retried like a PUT. See
	// [NewIdempotencyKey].
	IdempotencyKey string

	// Return asks for a kind of answer (Representation mixin, RFC 7240
	// §4.2): "representation" for the resulting representation (200 and a
	// body instead of 204; the body instead of a 303 for an Action or
	// Lookup), "minimal" for none. A server without the mixin ignores it.
	Return string

	// NoCache sends the request past the Client's cache (see [WithCache]):
	// it is neither answered from it nor stored in it.
	NoCache bool

	// NoRetry sends the request once, whatever the Client's [RetryPolicy].
	NoRetry bool
}

// Apply returns a copy of req carrying o: its header is a copy of req's with
// o's fields set, and its context carries NoCache and NoRetry for the
// Client's pipeline. req itself is not modified; the body is shared. A nil o
// returns req. Apply is what every call of this package uses; call it on a
// request built by hand before [Client.Do].
func (o *RequestOptions) Apply(req *http.Request) (*http.Request, error) {
	if o == nil {
		return req, nil
	}
	if req == nil {
		return nil, misuse("RequestOptions.Apply", "nil *http.Request")
	}
	h := req.Header.Clone()
	if h == nil {
		h = make(http.Header)
	}
	if err := o.setHeaders(h); err != nil {
		return nil, err
	}
	ctx := req.Context()
	if o.NoCache {
		ctx = context.WithValue(ctx, cacheBypassKey{}, true)
	}
	if o.NoRetry {
		ctx = context.WithValue(ctx, noRetryKey{}, true)
	}
	out := req.WithContext(ctx)
	out.Header = h
	return out, nil
}

// setHeaders writes o's header fields into h.
func (o *RequestOptions) setHeaders(h http.Header) error {
	for name, vals := range o.Header {
		if !validHeaderName(name) {
			return fmt.Errorf("level3: RequestOptions.Header: invalid header name %q", name)
		}
		for _, v := range vals {
			if !validHeaderValue(v) {
				return fmt.Errorf("level3: RequestOptions.Header: invalid value for header %s", name)
			}
		}
		h[http.CanonicalHeaderKey(name)] = append([]string(nil), vals...)
	}
	switch {
	case o.Force && !o.IfVersion.IsZero():
		return errors.New("level3: RequestOptions: Force and IfVersion exclude each other")
	case o.Force:
		h.Del("If-Unmodified-Since")
		h.Set("If-Match", "*")
	case !o.IfVersion.IsZero():
		im, ius, err := o.IfVersion.preconditions()
		if err != nil {
			return fmt.Errorf("level3: RequestOptions.IfVersion: %w", err)
		}
		h.Del("If-Match")
		h.Del("If-Unmodified-Since")
		if im != "" {
			h.Set("If-Match", im)
		}
		if ius != "" {
			h.Set("If-Unmodified-Since", ius)
		}
	}
	if o.IdempotencyKey != "" {
		v, err := idempotencyKeyField(o.IdempotencyKey)
		if err != nil {
			return fmt.Errorf("level3: RequestOptions.IdempotencyKey: %w", err)
		}
		h.Set("Idempotency-Key", v)
	}
	switch r := strings.ToLower(strings.TrimSpace(o.Return)); r {
	case "":
	case "representation", "minimal":
		prefer.Set(h, "return", r) // lenient: keeps what the caller wrote
	default:
		return fmt.Errorf("level3: RequestOptions.Return: %q is neither \"representation\" nor \"minimal\"", o.Return)
	}
	return nil
}

// idempotencyKeyField serialises key as the idempotency-key field: an RFC
// 9651 sf-string (printable ASCII in quotes, " and \ escaped). A key already
// given in that form is kept as it is.
func idempotencyKeyField(key string) (string, error) {
	if it, err := httpsfv.UnmarshalItem([]string{key}); err == nil {
		if _, ok := it.Value.(string); ok && strings.HasPrefix(strings.TrimSpace(key), `"`) {
			return httpsfv.Marshal(it)
		}
	}
	if key == "" {
		return "", errors.New("empty key")
	}
	return httpsfv.Marshal(httpsfv.NewItem(key))
}

// preconditions decides the precondition fields for a change conditional
// on v: If-Match with a strong entity tag (a bare one is quoted), or else
// If-Unmodified-Since with the date (RFC 9110 §13.1.4 ignores it when
// If-Match is present, so it is only sent as the fallback). A weak tag alone
// cannot be used.
func (v Validators) preconditions() (ifMatch, ifUnmodifiedSince string, err error) {
	tag := strings.TrimSpace(v.ETag)
	if tag != "" && !strings.HasPrefix(tag, `"`) && !strings.HasPrefix(tag, "W/") {
		tag = `"` + tag + `"`
	}
	switch {
	case isStrongETag(tag):
		return tag, "", nil
	case !v.LastModified.IsZero():
		return "", v.LastModified.UTC().Format(http.TimeFormat), nil
	case strings.HasPrefix(tag, "W/"):
		return "", "", fmt.Errorf("%w: the entity tag %s is weak and there is no last-modified date", ErrNoValidator, tag)
	case tag != "":
		return "", "", fmt.Errorf("%w: %q is not a valid entity tag", ErrNoValidator, v.ETag)
	default:
		return "", "", ErrNoValidator
	}
}

// noRetryKey marks a request context whose request is sent once
// (RequestOptions.NoRetry).
type noRetryKey struct{}
