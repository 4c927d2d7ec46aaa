// This file holds the Lookup profile: Lookup POSTs a filled query and
// follows the 303 See Other to the single result (POST/Redirect/GET). Forms
// that are fetched and filled first are in form.go, which also hands a
// fetched Lookup to the same path; the 303 is followed by seeOther
// (action.go).

package level3

import (
	"context"
	"fmt"
)

// Lookup POSTs query (marshalled as JSON; JSON bytes are sent as they are) to
// the Lookup at url and returns the single result it finds: the server
// answers 303 See Other with the result's location, which Lookup follows
// with a GET (through the cache), so the Result holds the result's URL,
// representation and validators. With Return: "representation" in opts, a
// server with the Representation mixin sends the result at once (200,
// content-location).
//
// No match is a 404, returned as [*NotFoundError]; a malformed query 400,
// an unsupported media type 415 and a semantically wrong one 422, all typed.
// To fill the lookup's template first, use [Client.Submit]. The GET of the
// result carries credentials only to the origin of url (or to origins
// allowed with [WithCredentialOrigins]). opts (nil: none) apply to the POST
// only; a content-type in opts.Header replaces application/json.
func (c *Client) Lookup(ctx context.Context, url string, query any, opts *RequestOptions) (*Result, error) {
	if err := c.check(ctx, "Client.Lookup"); err != nil {
		return nil, err
	}
	ctx = withCallOriginOf(ctx, url)
	body, err := encodeJSON(query)
	if err != nil {
		return nil, fmt.Errorf("level3: POST %s: %w", redactRawURL(url), err)
	}
	res, err := c.post(ctx, url, body, "", opts)
	if err != nil {
		return nil, err
	}
	return c.seeOther(ctx, res)
}
