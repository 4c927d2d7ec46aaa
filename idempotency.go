// This file holds how a Form or Lookup submission is sent (post): with an
// idempotency key when the form asks for one (NewIdempotencyKey, generated
// once per submission and reused by every retry of it), a 409 for a
// submission still being processed waited out on the Client's busy-wait
// Schedule (WithBusyWait), and a 422 for a key reused with another body
// turned into a *KeyReusedError. The Form calls are in form.go; the key is
// written into the request by RequestOptions.Apply (request_options.go).

package level3

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// defaultBusyWait is the busy-wait Schedule of a Client when [WithBusyWait]
// leaves a field zero: waits from 250ms, growing by 1.5 with a random spread
// of ±50%, at most 10s each, and at most 8 resubmissions.
var defaultBusyWait = Schedule{
	Initial:    250 * time.Millisecond,
	Max:        10 * time.Second,
	Multiplier: 1.5,
	Jitter:     0.5,
	Attempts:   8,
}

// WithBusyWait sets how [Client.SubmitForm] (and [Client.Submit]) wait for
// an earlier submission with the same idempotency key that the server
// reports as still being processed (a 409 to a key it has seen), before
// resubmitting to get that submission's answer.
//
// An attempt here is one resubmission after such a 409: s.Attempts is how
// many the Client makes before it returns the 409 ([*ConflictError]); the
// retries of each submission by the Client's [RetryPolicy] do not count. A
// Retry-After on the 409 lengthens the wait, up to s.Max. Zero fields take
// the defaults: Initial 250ms, Max 10s, Multiplier 1.5, Jitter 0.5,
// Attempts 8. A negative Attempts never resubmits: the first such 409 is
// returned at once. WithBusyWait fails for a Schedule that cannot work
// (negative waits, Max below Initial, Multiplier below 1, Jitter of 1 or
// more).
func WithBusyWait(s Schedule) Option {
	return func(c *Client) error {
		if err := s.validate("WithBusyWait"); err != nil {
			return err
		}
		c.busy = s
		return nil
	}
}

// newKey returns a fresh idempotency key when the form asks for keys, and ""
// otherwise.
func (f *Form) newKey() string {
	switch f.IdempotencyKey {
	case "optional", "required":
		return NewIdempotencyKey()
	}
	return ""
}

// post sends one JSON submission of body, with the idempotency key newKey
// unless opts choose one (IdempotencyKey, or the Idempotency-Key header),
// waiting out 409s that say an earlier submission with the same key is still
// being processed.
func (c *Client) post(ctx context.Context, url string, body []byte, newKey string, opts *RequestOptions) (*Result, error) {
	var generated string
	if newKey != "" && !choosesKey(opts) {
		keyed := RequestOptions{}
		if opts != nil {
			keyed = *opts
		}
		keyed.IdempotencyKey = newKey
		opts = &keyed
		generated, _ = idempotencyKeyField(newKey) // a UUID always serialises
	}
	// Count the times the request reaches the wire: besides the retry
	// layer, net/http's Transport itself resends a request carrying an
	// Idempotency-Key when a reused connection fails, without telling.
	var wrote atomic.Int32
	traced := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Add(1) },
	})
	sched := c.busy.or(defaultBusyWait)
	var waits backoff.BackOff
	for sent := 0; ; sent++ {
		req, err := NewRequest(traced, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("level3: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		if req, err = opts.Apply(req); err != nil {
			return nil, err
		}
		key := req.Header.Get("Idempotency-Key")
		resp, err := c.Do(req)
		if err == nil {
			return readResult(req, resp)
		}
		if key == "" {
			return nil, err
		}
		if reused := keyReused(err, key); reused != nil {
			return nil, reused
		}
		// A key the caller chose may have been sent before this call.
		retryAfter, busy := stillProcessing(err, sent > 0 || key != generated || wrote.Load() > 1)
		if !busy {
			return nil, err
		}
		if sent >= sched.Attempts {
			return nil, fmt.Errorf("level3: POST %s: still being processed after %d submissions: %w", redactURL(req.URL), sent+1, err)
		}
		if waits == nil {
			waits = sched.backOff()
		}
		d, _ := sched.wait(waits, "", retryAfter)
		c.logger.DebugContext(ctx, "level3: submission still being processed, waiting",
			"url", redactURL(req.URL), "wait", d)
		if err := sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}

// choosesKey reports whether o sets the idempotency key itself: its
// IdempotencyKey field, or an Idempotency-Key header.
func choosesKey(o *RequestOptions) bool {
	if o == nil {
		return false
	}
	for name := range o.Header {
		if strings.EqualFold(name, "Idempotency-Key") {
			return true
		}
	}
	return o.IdempotencyKey != ""
}

// stillProcessing decides whether a failed submission that carried an
// idempotency key should be sent again later, and how long the server asked
// to wait (Retry-After, 0 if it did not say). A 409 means "a submission with
// this key is still being processed" only when the server may have seen the
// key before: keySeen (a resubmission, a key the caller chose, or a request
// the transport wrote more than once), or the Client's retry layer already
// sent it (Attempts > 1). A 409 to a fresh key is a business rule.
func stillProcessing(err error, keySeen bool) (time.Duration, bool) {
	var conflict *ConflictError
	if !errors.As(err, &conflict) {
		return 0, false
	}
	if !keySeen && conflict.Attempts <= 1 {
		return 0, false
	}
	return conflict.RetryAfter, true
}

// KeyReusedError is a 422 answering a submission whose idempotency key the
// server has already seen with a different body (IETF idempotency-key draft,
// §2.7). It happens when a caller-chosen key ([RequestOptions.IdempotencyKey])
// is used for two different submissions. It unwraps to the
// [*UnprocessableEntityError], so errors.As finds that and
// [*ResponseError] too.
type KeyReusedError struct {
	Key string // the field as sent, quotes included
	Err *UnprocessableEntityError
}

// Error names the key and the server's answer.
func (e *KeyReusedError) Error() string {
	return "level3: idempotency key " + e.Key + " was already used with another body: " + e.Err.Error()
}

// Unwrap returns the 422 error.
func (e *KeyReusedError) Unwrap() error { return e.Err }

// keyReused returns a *KeyReusedError when err is a 422 whose problem
// details are about the idempotency key (the draft's example problem type
// and title both mention it), and nil otherwise: a 422 about the content
// stays a plain *UnprocessableEntityError.
func keyReused(err error, key string) error {
	var unprocessable *UnprocessableEntityError
	if !errors.As(err, &unprocessable) || unprocessable.Problem == nil {
		return nil
	}
	p := unprocessable.Problem
	text := strings.ToLower(p.Type + " " + p.Title)
	if !strings.Contains(text, "idempotency") && !strings.Contains(text, "idempotent") {
		return nil
	}
	return &KeyReusedError{Key: key, Err: unprocessable}
}

// NewIdempotencyKey returns a new random key, a version 4 UUID from
// crypto/rand, as the idempotency-key draft recommends. It is the one key
// generator of the package: submissions and keyed uploads use it too. It is
// safe for concurrent use.
func NewIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
