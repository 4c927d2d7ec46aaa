// This file holds the Action profile: Trigger POSTs with no body and follows
// a 303 See Other to the changed state (later draft) or takes a 204 as done
// (older draft). seeOther, shared with Lookup (lookup.go), follows a 303 that
// the pipeline did not follow itself.

package level3

import (
	"context"
	"fmt"
	"net/http"
)

// Trigger triggers the Action at url: a POST with no body. The server answers
// in one of three ways, all of which succeed:
//
//   - 303 See Other (later draft): Trigger follows it with a GET of the
//     changed state and returns that: Status 200, URL and Location the
//     state's URL, Body its representation, Validators its own;
//   - 204 No Content (older draft): done, nothing to read;
//   - 200 with the changed state in the body, when you asked for it with
//     Return: "representation" in opts (Representation mixin).
//
// The 303 is followed whether the *http.Client below the Client follows it
// (it does by default) or returns it. A refusal is typed: 403
// ([*ForbiddenError]) or, from older servers, 409 ([*ConflictError]) when
// the business state does not allow the action. An Action is not
// idempotent: Trigger never resends it. The GET of the 303's location
// carries credentials only to the origin of url (or to origins allowed with
// [WithCredentialOrigins]). opts (nil: none) apply to the POST only.
func (c *Client) Trigger(ctx context.Context, url string, opts *RequestOptions) (*Result, error) {
	if err := c.check(ctx, "Client.Trigger"); err != nil {
		return nil, err
	}
	ctx = withCallOriginOf(ctx, url)
	res, err := c.Change(ctx, http.MethodPost, url, "", nil, opts)
	if err != nil {
		return nil, err
	}
	return c.seeOther(ctx, res)
}

// seeOther follows res when it is a 303 See Other that was not followed
// already: it GETs the location and returns what that answered, with
// Location still the 303's target. Any other Result is returned as it is.
// ctx carries the credential scope of the call that got res.
func (c *Client) seeOther(ctx context.Context, res *Result) (*Result, error) {
	if res.Status != http.StatusSeeOther {
		return res, nil
	}
	if res.Location == nil {
		return nil, fmt.Errorf("%w: 303 See Other from %s", ErrNoLocation, redactURL(res.URL))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, res.Location.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("level3: following 303 See Other: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	out, err := readResult(req, resp)
	if err != nil {
		return nil, err
	}
	if out.Location == nil {
		out.Location = out.URL
	}
	return out, nil
}
