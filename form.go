// This file holds the Form profile: fetching a form fresh (FetchForm),
// filling its JSON template (Form.Fill), and submitting it (Submit,
// SubmitForm) with an idempotency key when the form asks for one: the key is
// generated once per submission, reused by every retry of it, a 409 for a
// submission still being processed is waited out (BusyPolicy), and a 422
// for a key reused with another body is a *KeyReusedError. Lookup
// submissions are in lookup.go.

package level3

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/l3go/level3/profiles"
)

// Form is a Level 3 Form (or Lookup) as just fetched: what its headers say
// (profiles, idempotency-key, validators, via the embedded Resource) and its
// body, the template or schema to fill.
type Form struct {
	*Resource
	// Template is the body of the form: a JSON template to fill when the
	// content-type is application/json, or a description of what to send
	// (application/schema+json, application/prs.hal-forms+json, ...).
	Template []byte
}

// FetchForm GETs the form at url. Level 3 asks clients to fetch a form
// afresh before each submission; the Client's cache only ever serves a
// template the server has just confirmed with 304. A body longer than
// [MaxResultBody] fails with [ErrResponseTooLarge]. Like a discovered
// [Resource], the Form keeps the credential scope of this call for its
// submission ([Client.SubmitForm]).
func (c *Client) FetchForm(ctx context.Context, url string) (*Form, error) {
	if err := c.check(ctx, "Client.FetchForm"); err != nil {
		return nil, err
	}
	ctx = withCallOriginOf(ctx, url)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("level3: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	res := newResource(resp)
	res.client, res.scope = c, recordScope(ctx)
	body, err := readBounded(resp.Body, MaxResultBody)
	if err != nil {
		return nil, fmt.Errorf("level3: GET %s: reading the form: %w", redactURL(res.URL), err)
	}
	return &Form{Resource: res, Template: body}, nil
}

// Fill returns the document to submit: values (a Go value marshalled as
// JSON, or JSON bytes) merged over the form's JSON template, as an RFC 7396
// merge patch is, so that fields values does not set keep the template's
// defaults. When the form is not a JSON template (a schema, say) or either
// side is not a JSON object, Fill returns values alone.
func (f *Form) Fill(values any) ([]byte, error) {
	if f == nil || f.Resource == nil {
		return nil, misuse("Form.Fill", "nil Form (use Client.FetchForm)")
	}
	doc, err := encodeJSON(values)
	if err != nil {
		return nil, fmt.Errorf("level3: filling the form: %w", err)
	}
	mt, _, _ := mime.ParseMediaType(f.ContentType)
	if mt != "application/json" || !isJSONObject(f.Template) || !isJSONObject(doc) {
		return doc, nil
	}
	filled, err := applyMerge(f.Template, doc)
	if err != nil {
		return nil, fmt.Errorf("level3: filling the form: %w", err)
	}
	return filled, nil
}

// isJSONObject reports whether b holds a JSON object.
func isJSONObject(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && t[0] == '{' && json.Valid(t)
}

// Submit fetches the form at url afresh, fills it with values ([Form.Fill])
// and submits it ([Client.SubmitForm]). When the resource turns out to be a
// Lookup, the filled query is looked up as [Client.Lookup] does. The
// submission and any 303 it answers are sent with credentials only to the
// origin of url (or to origins allowed with [WithCredentialOrigins]).
func (c *Client) Submit(ctx context.Context, url string, values any, opts ...RequestOption) (*Result, error) {
	if err := c.check(ctx, "Client.Submit"); err != nil {
		return nil, err
	}
	ctx = withCallOriginOf(ctx, url)
	f, err := c.FetchForm(ctx, url)
	if err != nil {
		return nil, err
	}
	doc, err := f.Fill(values)
	if err != nil {
		return nil, err
	}
	if f.Has(profiles.Lookup) && !f.Has(profiles.Form) {
		res, err := c.post(ctx, f.URL.String(), doc, f.newKey(), opts)
		if err != nil {
			return nil, err
		}
		return c.seeOther(ctx, res)
	}
	return c.SubmitForm(ctx, f, doc, opts...)
}

// SubmitForm POSTs doc (marshalled as JSON; JSON bytes are sent as they are)
// to the form f, and returns the Result: 201 with the created resource's
// Location, 204, or, with [PreferRepresentation], 200 with the created
// resource in Body and its URL in Location (from content-location).
//
// When the form answers idempotency-key: optional or required, the
// submission carries a fresh key (quoted, as the IETF idempotency-key draft
// has it), the same on every retry of this submission, which also lets the
// Client's retry layer resend it safely after a lost connection. Pass
// [WithIdempotencyKey] to choose the key yourself (to resubmit after a
// restart). A 409 answering a key the server has already seen means the
// first submission is still being processed: SubmitForm waits as the
// Client's [BusyPolicy] says (or as Retry-After asks, capped) and resubmits,
// getting the first submission's answer once it is done. A 409 to a key the
// server cannot have seen (a fresh key, on its first attempt) is a business
// rule ([*ConflictError]), returned at once; a key you chose counts as
// possibly seen. A 422 saying the key was used with another body is a
// [*KeyReusedError].
//
// f.URL may be another origin than the one the form was fetched from (after
// a redirect): the submission carries credentials only where the call that
// fetched f could send them.
func (c *Client) SubmitForm(ctx context.Context, f *Form, doc any, opts ...RequestOption) (*Result, error) {
	if err := c.check(ctx, "Client.SubmitForm"); err != nil {
		return nil, err
	}
	if f == nil || f.Resource == nil || f.URL == nil {
		return nil, misuse("Client.SubmitForm", "nil Form or a Form without a URL (use Client.FetchForm)")
	}
	ctx = f.scoped(ctx)
	body, err := encodeJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("level3: POST %s: %w", redactURL(f.URL), err)
	}
	return c.post(ctx, f.URL.String(), body, f.newKey(), opts)
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
// unless opts set another, waiting out 409s that say an earlier submission
// with the same key is still being processed.
func (c *Client) post(ctx context.Context, url string, body []byte, newKey string, opts []RequestOption) (*Result, error) {
	var generated string
	if newKey != "" {
		generated, _ = quoteSFString(newKey) // a UUID always quotes
		opts = append([]RequestOption{WithIdempotencyKey(newKey)}, opts...)
	}
	// Count the times the request reaches the wire: besides the retry
	// layer, net/http's Transport itself resends a request carrying an
	// Idempotency-Key when a reused connection fails, without telling.
	var wrote atomic.Int32
	traced := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Add(1) },
	})
	var waits backoff.BackOff
	for sent := 0; ; sent++ {
		req, err := NewRequest(traced, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("level3: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		if err := applyOptions(req, opts); err != nil {
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
		wait, busy := stillProcessing(err, sent > 0 || key != generated || wrote.Load() > 1)
		if !busy {
			return nil, err
		}
		if waits == nil {
			waits = c.busy.backOff()
		}
		d := waits.NextBackOff()
		if d == backoff.Stop {
			return nil, fmt.Errorf("level3: POST %s: still being processed after %d submissions: %w", redactURL(req.URL), sent+1, err)
		}
		d = max(min(d, c.busy.MaxWait), min(wait, c.busy.MaxWait))
		c.logger.DebugContext(ctx, "level3: submission still being processed, waiting",
			"url", redactURL(req.URL), "wait", d)
		if err := sleep(ctx, d); err != nil {
			return nil, err
		}
	}
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
// §2.7). It happens when a caller-chosen key ([WithIdempotencyKey]) is used
// for two different submissions. It unwraps to the
// [*UnprocessableEntityError], so errors.As finds that and
// [*ResponseError] too.
type KeyReusedError struct {
	Key string // the key as sent, quotes included
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
// crypto/rand, as the idempotency-key draft recommends.
func NewIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// WithIdempotencyKey sends key as the request's idempotency key, as a quoted
// string (an RFC 8941 sf-string, as the IETF idempotency-key draft defines
// the field): Idempotency-Key: "key". The key must be printable ASCII. A POST
// or PATCH with a key may be retried by the Client's retry layer.
func WithIdempotencyKey(key string) RequestOption {
	return func(req *http.Request) error {
		v, err := quoteSFString(key)
		if err != nil {
			return fmt.Errorf("level3: WithIdempotencyKey: %w", err)
		}
		req.Header.Set("Idempotency-Key", v)
		return nil
	}
}

// quoteSFString serialises s as an RFC 8941 string: printable ASCII in
// quotes, with " and \ escaped.
func quoteSFString(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty key")
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return "", fmt.Errorf("key has a byte 0x%02x that is not printable ASCII", c)
		}
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String(), nil
}

// BusyPolicy says how long [Client.SubmitForm] waits for a submission the
// server reports as still being processed (409 to a key it has seen) before
// giving up: exponential waits with jitter from MinWait, each at most
// MaxWait, MaxWaits of them. A Retry-After on the 409 lengthens a wait, up to
// MaxWait. The zero value gives up at the first such 409.
type BusyPolicy struct {
	MaxWaits int           // how many times to wait and resubmit
	MinWait  time.Duration // the first wait
	MaxWait  time.Duration // the longest wait
}

// DefaultBusyPolicy returns what [New] uses: up to 8 waits from 250ms,
// doubling, at most 10s each.
func DefaultBusyPolicy() BusyPolicy {
	return BusyPolicy{MaxWaits: 8, MinWait: 250 * time.Millisecond, MaxWait: 10 * time.Second}
}

// WithBusyPolicy sets how long submissions wait for an earlier submission
// with the same idempotency key that is still being processed.
func WithBusyPolicy(p BusyPolicy) Option {
	return func(c *Client) error {
		switch {
		case p.MaxWaits < 0:
			return errors.New("level3: BusyPolicy.MaxWaits is negative")
		case p.MinWait < 0 || p.MaxWait < p.MinWait:
			return errors.New("level3: BusyPolicy waits must satisfy 0 ≤ MinWait ≤ MaxWait")
		}
		c.busy = p
		return nil
	}
}

// backOff returns the schedule of waits for one submission.
func (p BusyPolicy) backOff() backoff.BackOff {
	if p.MaxWaits == 0 {
		return &backoff.StopBackOff{}
	}
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(max(p.MinWait, time.Millisecond)),
		backoff.WithMaxInterval(max(p.MaxWait, time.Millisecond)),
		backoff.WithMaxElapsedTime(0), // bounded by MaxWaits instead
	)
	return backoff.WithMaxRetries(b, uint64(p.MaxWaits))
}
