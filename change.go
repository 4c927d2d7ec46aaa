// This file holds what every state-changing call shares: Result (what a
// successful change answered) and Client.Change, the one primitive that
// sends a change with its RequestOptions (request_options.go) and reads its
// Result. The profile calls build on it: data.go (Data), conditional.go
// (Entity), form.go and idempotency.go (Form), action.go (Action), lookup.go
// (Lookup); RequestOptions.Return asks for the Representation mixin (its
// Prefer field is set by internal/prefer).

package level3

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/l3go/level3/internal/redact"
)

// MaxResultBody is the most bytes of a response body a [Result] (or a JSON
// decode by [Client.GetJSON]) reads into memory. A longer body fails the call
// with an error wrapping [ErrResponseTooLarge]; stream such bodies with
// [Client.Do] instead.
const MaxResultBody = 8 << 20

// Result is what a successful request answered, read into memory: the status,
// where the server points, the new validators and the representation, if the
// server sent one. It is the one result of every change: PUT, PATCH, DELETE,
// form and lookup submissions, actions and uploads. Statuses of 400 and more
// never make a Result: they are typed errors (see [CheckResponse]). A Result
// is not modified after it is returned; the caller owns it.
type Result struct {
	// Status is the status code of the final response: 200 with a
	// representation, 201 created, 204 no content, or, when the call
	// followed a 303 See Other, the status of the GET that followed it.
	Status int

	// URL is the URL of the final response: the request URL, or the target
	// of a 303 (or other redirect) that was followed.
	URL *url.URL

	// Location is where the server points: the location header (the created
	// resource of a 201, the target of a 303), or, when there is none, the
	// content-location header, which a server honouring
	// prefer: return=representation sends instead (RFC 9110 §8.7: the URL of
	// the representation in the body). When the call followed a 303, it is
	// the 303's target. Relative values are resolved against the request
	// URL. Nil when the server named no URL.
	Location *url.URL

	// Validators are the etag and last-modified of the final response: the
	// new validators after a successful conditional PUT or PATCH (Entity
	// mixin), or those of the representation in the body. Servers that do
	// not send them after a change (Apache and nginx WebDAV among them)
	// leave them empty; HEAD the resource to learn them, knowing that
	// someone else may have changed it since.
	Validators Validators

	// Header is the header of the final response.
	Header http.Header

	// Body is the representation the server sent (Representation mixin:
	// prefer: return=representation, or the state a followed 303 points
	// to), at most [MaxResultBody] bytes; empty for 204 and 201 without a
	// body.
	Body []byte

	// Sent is how many request body bytes the last attempt sent: the
	// length of the body, unless the server answered before it had all of
	// it (a preflighted upload refused after its headers sends none).
	Sent int64
}

// Decode unmarshals the JSON representation in r.Body into v. It fails when
// there is no body.
func (r *Result) Decode(v any) error {
	if r == nil {
		return misuse("Result.Decode", "nil *Result")
	}
	if len(r.Body) == 0 {
		return fmt.Errorf("level3: decoding the %d response: no body", r.Status)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("level3: decoding the %d response: %w", r.Status, err)
	}
	return nil
}

// Change sends one state-changing request (PUT, PATCH, DELETE or POST) with
// body, sets its content-type when contentType is not empty, applies opts
// with [RequestOptions.Apply] (nil: none; a content-type in opts.Header
// wins), and reads the successful response into a [Result]. The body is made
// replayable as [NewRequest] does, so a file or an [io.ReadSeeker] can be
// retried; Change never closes body. A status of 400 or more is a typed
// error ([*PreconditionFailedError] for 412, [*PreconditionRequiredError] for
// 428, ...). A response body longer than [MaxResultBody] fails with
// [ErrResponseTooLarge]. Invalid opts fail before anything is sent.
//
//	res, err := client.Change(ctx, http.MethodPut, url, "text/csv", file,
//		&level3.RequestOptions{IfVersion: doc.Validators})
func (c *Client) Change(ctx context.Context, method, url, contentType string, body io.Reader, opts *RequestOptions) (*Result, error) {
	if err := c.check(ctx, "Client.Change"); err != nil {
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
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	return readResult(req, resp)
}

// readResult reads resp (a status below 400) into a Result and closes its
// body. req is the request that was sent, for resolving relative URLs when
// the response does not record its own request.
func readResult(req *http.Request, resp *http.Response) (*Result, error) {
	defer resp.Body.Close()
	final := resp.Request
	if final == nil {
		final = req
	}
	r := &Result{
		Status:     resp.StatusCode,
		URL:        final.URL,
		Header:     resp.Header,
		Validators: ValidatorsOf(resp.Header),
	}
	r.Location = resolveHeaderURL(final.URL, resp.Header.Get("Location"))
	if r.Location == nil {
		r.Location = resolveHeaderURL(final.URL, resp.Header.Get("Content-Location"))
	}
	if redirected(req, resp) && r.Location == nil {
		r.Location = final.URL
	}
	if final.Method == http.MethodHead || resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified || resp.Body == http.NoBody {
		return r, nil
	}
	body, err := readBounded(resp.Body, MaxResultBody)
	if err != nil {
		return nil, fmt.Errorf("level3: %s %s: reading the %d response: %w", final.Method, redactURL(final.URL), resp.StatusCode, err)
	}
	if len(body) > 0 {
		r.Body = body
	}
	return r, nil
}

// redirected reports whether resp answers a request other than req: the
// *http.Client (or a redirect layer) followed a redirect, such as a 303 See
// Other to the changed state of an Action.
func redirected(req *http.Request, resp *http.Response) bool {
	final := resp.Request
	if final == nil || final == req {
		return false
	}
	if final.Response != nil {
		return true
	}
	return final.Method != req.Method || final.URL.String() != req.URL.String()
}

// resolveHeaderURL resolves a location or content-location value against
// base (RFC 9110 §10.2.2). It returns nil for an empty or malformed value.
func resolveHeaderURL(base *url.URL, v string) *url.URL {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil {
		return nil
	}
	if base == nil {
		return u
	}
	return base.ResolveReference(u)
}

// readBounded reads all of r if it holds at most limit bytes, and fails with
// ErrResponseTooLarge (after reading limit+1 bytes, no more) otherwise.
func readBounded(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w (more than %d bytes)", ErrResponseTooLarge, limit)
	}
	return b, nil
}

// redactRawURL is redactURL for a URL still in text form; text that does
// not parse is replaced entirely, since it cannot be redacted reliably.
func redactRawURL(s string) string { return redact.String(s) }
