// This file holds the Form profile: fetching a form fresh (FetchForm),
// filling its JSON template (Form.Fill), and submitting it (Submit,
// SubmitForm). How a submission is sent with its idempotency key, and how a
// 409 for a submission still being processed is waited out (WithBusyWait),
// is in idempotency.go. Lookup submissions are in lookup.go.

package level3

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"

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
// origin of url (or to origins allowed with [WithCredentialOrigins]). opts
// (nil: none) apply to the submission, not to the GET of the form.
func (c *Client) Submit(ctx context.Context, url string, values any, opts *RequestOptions) (*Result, error) {
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
	return c.SubmitForm(ctx, f, doc, opts)
}

// SubmitForm POSTs doc (marshalled as JSON; JSON bytes are sent as they are)
// to the form f, and returns the Result: 201 with the created resource's
// Location, 204, or, with Return: "representation" in opts, 200 with the
// created resource in Body and its URL in Location (from content-location).
// opts may be nil.
//
// When the form answers idempotency-key: optional or required, the
// submission carries a fresh key ([NewIdempotencyKey], sent as an RFC 9651
// string as the IETF idempotency-key draft has it), the same on every retry
// of this submission, which also lets the Client's retry layer resend it
// safely after a lost connection. Set [RequestOptions.IdempotencyKey] to
// choose the key yourself (to resubmit after a restart); it is sent whatever
// the form says. A 409 answering a key the server has already seen means
// the first submission is still being processed: SubmitForm waits as the
// Client's busy-wait [Schedule] says ([WithBusyWait]) and resubmits, getting
// the first submission's answer once it is done. A 409 to a key the server
// cannot have seen (a fresh key, on its first attempt) is a business rule
// ([*ConflictError]), returned at once; a key you chose counts as possibly
// seen. A 422 saying the key was used with another body is a
// [*KeyReusedError].
//
// f.URL may be another origin than the one the form was fetched from (after
// a redirect): the submission carries credentials only where the call that
// fetched f could send them.
func (c *Client) SubmitForm(ctx context.Context, f *Form, doc any, opts *RequestOptions) (*Result, error) {
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
