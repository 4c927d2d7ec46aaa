// This file holds the Data profile's calls: GetJSON, PutJSON, Patch (with the
// format chosen from accept-patch) and Delete. Patch documents and their
// translation are in patch.go; validators and Update in conditional.go;
// Result and Change in change.go.

package level3

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// GetJSON GETs url and decodes its JSON body into v (which may be nil to
// discard it), and returns what the headers say about the resource: its
// profiles, links and, for [RequestOptions.IfVersion] or [Update], its
// validators. The GET goes through the Client's cache (unless opts.NoCache),
// so a second GetJSON of an unchanged resource costs a 304. opts (nil: none)
// apply to the request; without an Accept header among them it asks for
// application/json. A body longer than [MaxResultBody] fails with
// [ErrResponseTooLarge]; a 204 leaves v unchanged.
func (c *Client) GetJSON(ctx context.Context, url string, v any, opts *RequestOptions) (*Resource, error) {
	if err := c.check(ctx, "Client.GetJSON"); err != nil {
		return nil, err
	}
	ctx = withCallOriginOf(ctx, url)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("level3: %w", err)
	}
	if req, err = opts.Apply(req); err != nil {
		return nil, err
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	res := newResource(resp)
	res.client, res.scope = c, recordScope(ctx)
	if resp.StatusCode == http.StatusNoContent {
		return res, nil
	}
	if err := decodeBody(resp.Body, v); err != nil {
		return nil, fmt.Errorf("level3: GET %s: decoding the body (%s): %w", redactURL(res.URL), orNone(res.ContentType), err)
	}
	return res, nil
}

// decodeBody decodes one JSON value from body into v (or checks and discards
// it when v is nil), reading at most MaxResultBody bytes, then reads on to
// the end of the body, still within that bound and for at most drainWait,
// so that a caching layer sees it complete, and closes it.
func decodeBody(body io.ReadCloser, v any) error {
	lr := &limitedReader{r: body, left: MaxResultBody}
	dec := json.NewDecoder(lr)
	var err error
	if v == nil {
		var raw json.RawMessage
		err = dec.Decode(&raw)
	} else {
		err = dec.Decode(v)
	}
	if err != nil {
		if lr.exceeded {
			return fmt.Errorf("%w (more than %d bytes)", ErrResponseTooLarge, MaxResultBody)
		}
		return err
	}
	closeNow := closeAfter(body, drainWait)
	_, _ = io.Copy(io.Discard, lr)
	closeNow()
	return nil
}

// limitedReader reads at most left bytes and then reports exceeded, so a
// decoder that runs out of input can say why.
type limitedReader struct {
	r        io.Reader
	left     int64
	exceeded bool
}

// Read reads from r until left is spent.
func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// Probe one byte: only a body that goes on is too large.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			l.exceeded = true
			return 0, ErrResponseTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// orNone returns s, or "no content-type" when it is empty.
func orNone(s string) string {
	if s == "" {
		return "no content-type"
	}
	return s
}

// PutJSON replaces the state of the Data resource at url with v, marshalled
// as JSON (a json.RawMessage or []byte is sent as it is, once checked). A
// Level 3 PUT replaces and never creates; make it safe against a concurrent
// change with [RequestOptions.IfVersion] (412 [*PreconditionFailedError]
// when you lost the race), or a forced overwrite with
// [RequestOptions.Force]. The Result carries the new validators (Entity
// mixin: 204 with etag) or, with Return: "representation", the new state.
// opts may be nil.
func (c *Client) PutJSON(ctx context.Context, url string, v any, opts *RequestOptions) (*Result, error) {
	if err := c.check(ctx, "Client.PutJSON"); err != nil {
		return nil, err
	}
	body, err := encodeJSON(v)
	if err != nil {
		return nil, fmt.Errorf("level3: PUT %s: %w", redactRawURL(url), err)
	}
	return c.Change(ctx, http.MethodPut, url, "application/json", bytes.NewReader(body), opts)
}

// Delete deletes the resource at url. Make it conditional with
// [RequestOptions.IfVersion] or force it with [RequestOptions.Force], as for
// PUT; opts may be nil.
func (c *Client) Delete(ctx context.Context, url string, opts *RequestOptions) (*Result, error) {
	if err := c.check(ctx, "Client.Delete"); err != nil {
		return nil, err
	}
	return c.Change(ctx, http.MethodDelete, url, "", nil, opts)
}

// Patch changes the JSON state at url with p, in a format the server accepts
// (RFC 5789). Knowing nothing of the server, it sends p's merge patch if it
// has one, else its JSON Patch; if the server answers 415 with the formats it
// accepts (accept-patch), it sends once more in one of those. Use
// [Resource.Patch] to choose from a discovered accept-patch without the
// detour. When the server takes only JSON Patch and p has only a merge
// patch, Patch GETs the current document, translates the merge patch against
// it and sends the translation conditional on that document's validators
// (a 412 then means the document changed in between), unless opts carry a
// precondition of their own. opts (nil: none) apply to every PATCH sent.
//
// The server's rejections come back typed: 400 malformed, 403 or 409 a
// business rule or a patch that cannot apply, 415 no acceptable format
// ([*PatchFormatError] when the two sides have none in common), 422
// semantically wrong, 428 a precondition or content-type demanded.
func (c *Client) Patch(ctx context.Context, url string, p Patch, opts *RequestOptions) (*Result, error) {
	if err := c.check(ctx, "Client.Patch"); err != nil {
		return nil, err
	}
	return c.patch(ctx, url, nil, p, opts)
}

// Patch changes the resource's JSON state with p, choosing the format from
// the resource's accept-patch; see [Client.Patch].
func (r *Resource) Patch(ctx context.Context, p Patch, opts *RequestOptions) (*Result, error) {
	c, err := r.requester(ctx, "Resource.Patch")
	if err != nil {
		return nil, err
	}
	return c.patch(r.scoped(ctx), r.URL.String(), r.AcceptPatch, p, opts)
}

// patch sends p to url, choosing from accepted, and tries once more in
// another format after a 415 that names the accepted ones.
func (c *Client) patch(ctx context.Context, url string, accepted []string, p Patch, opts *RequestOptions) (*Result, error) {
	plan, err := choosePatch(accepted, p)
	if err != nil {
		return nil, err
	}
	res, err := c.sendPatch(ctx, url, plan, p, opts)
	var unsupported *UnsupportedMediaTypeError
	if !errors.As(err, &unsupported) {
		return res, err
	}
	retry, ok := patchRetryPlan(unsupported.Header.Values("Accept-Patch"), plan.mediaType, p)
	if !ok {
		return nil, err
	}
	c.logger.DebugContext(ctx, "level3: PATCH format refused, trying another",
		"refused", plan.mediaType, "sending", retry.mediaType)
	return c.sendPatch(ctx, url, retry, p, opts)
}

// patchRetryPlan decides whether a PATCH refused with 415 deserves a second
// try, and in which format: one from the 415's accept-patch (RFC 5789 §2.2),
// or, when it lists none, the other format p offers; never the refused one.
func patchRetryPlan(acceptPatch []string, refused string, p Patch) (patchPlan, bool) {
	accepted := slices.DeleteFunc(splitList(acceptPatch, strings.ToLower), func(v string) bool {
		mt, _, err := mime.ParseMediaType(v)
		return err != nil || mt == refused
	})
	if len(acceptPatch) == 0 {
		accepted = slices.DeleteFunc(p.offered(), func(mt string) bool { return mt == refused })
	}
	if len(accepted) == 0 {
		return patchPlan{}, false
	}
	plan, err := choosePatch(accepted, p)
	return plan, err == nil
}

// sendPatch sends one PATCH as planned, translating first when needed.
func (c *Client) sendPatch(ctx context.Context, url string, plan patchPlan, p Patch, opts *RequestOptions) (*Result, error) {
	body := plan.body
	if plan.translate {
		var current json.RawMessage
		res, err := c.GetJSON(ctx, url, &current, nil)
		if err != nil {
			return nil, fmt.Errorf("level3: PATCH %s: fetching the document to translate the merge patch: %w", redactRawURL(url), err)
		}
		if body, err = mergeToJSONPatch(current, p.Merge); err != nil {
			return nil, fmt.Errorf("level3: PATCH %s: %w", redactRawURL(url), err)
		}
		// The translation is only right for the document it was made
		// from; the caller's own precondition, if any, wins.
		if _, _, err := res.Validators.preconditions(); err == nil && !hasPrecondition(opts) {
			cond := RequestOptions{IfVersion: res.Validators}
			if opts != nil {
				cond = *opts
				cond.IfVersion = res.Validators
			}
			opts = &cond
		}
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("level3: PATCH %s: the %s document is not valid JSON", redactRawURL(url), plan.mediaType)
	}
	return c.Change(ctx, http.MethodPatch, url, plan.mediaType, bytes.NewReader(body), opts)
}

// hasPrecondition reports whether o asks for a precondition of its own:
// IfVersion, Force, or an If-Match or If-Unmodified-Since header.
func hasPrecondition(o *RequestOptions) bool {
	if o == nil {
		return false
	}
	for name := range o.Header {
		if strings.EqualFold(name, "If-Match") || strings.EqualFold(name, "If-Unmodified-Since") {
			return true
		}
	}
	return o.Force || !o.IfVersion.IsZero()
}

// encodeJSON marshals v, passing json.RawMessage and []byte through as they
// are after checking that they hold valid JSON.
func encodeJSON(v any) ([]byte, error) {
	switch b := v.(type) {
	case json.RawMessage:
		return validJSON(b)
	case []byte:
		return validJSON(b)
	}
	return json.Marshal(v)
}

// validJSON returns b when it is valid JSON.
func validJSON(b []byte) ([]byte, error) {
	if !json.Valid(b) {
		return nil, errors.New("not valid JSON")
	}
	return b, nil
}
