// This file holds the one rule for calls that can never work: a nil
// context.Context, a nil or zero-value *Client, Poller or Resource where one
// made by this package is needed, or a nil required argument. Every exported
// function and method reports them as an error wrapping ErrInvalidUse and
// never panics; accessors that only read (Resource.Has, Poller.Done,
// MemoryCache.Len...) treat a nil receiver as empty. misuse_test.go walks
// every exported entry point to hold it.

package level3

import (
	"context"
	"net/http"
)

// misuseError names the call and what was wrong with it.
type misuseError struct{ op, what string }

func (e *misuseError) Error() string        { return "level3: " + e.op + ": " + e.what }
func (e *misuseError) Is(target error) bool { return target == ErrInvalidUse }

// misuse returns the error for a call op that can never work because of what.
func misuse(op, what string) error { return &misuseError{op: op, what: what} }

// check returns the error for a call op on c with ctx when either cannot
// work: a nil or zero Client, or a nil context. Every exported method of
// Client that takes a context calls it first.
func (c *Client) check(ctx context.Context, op string) error {
	switch {
	case c == nil:
		return misuse(op, "nil *Client (make one with New)")
	case c.pipeline == nil:
		return misuse(op, "Client not made by New (its zero value is not usable)")
	case ctx == nil:
		return misuse(op, "nil Context")
	}
	return nil
}

// checkRequest is check for the methods that take a request instead of a
// context.
func (c *Client) checkRequest(op string, req *http.Request) error {
	if req == nil {
		return misuse(op, "nil *http.Request")
	}
	return c.check(req.Context(), op)
}

// usable returns the error for a method op of p (with ctx, when it takes
// one) on a Poller this package did not make.
func (p *Poller) usable(ctx context.Context, op string) error {
	if p == nil || p.client == nil || p.clock == nil || (!p.done && p.strategy == nil) {
		return misuse(op, "nil or zero Poller (get one from Client.DoAsync, Client.SendAsync or Client.ResumePoller)")
	}
	return p.client.check(ctx, op)
}

// errNoClient is the error of a Resource method that needs a Client on a
// Resource no Client made.
func errNoClient(op string) error {
	return misuse(op, "the Resource has no Client (use Client.Discover)")
}

// requester returns the Client that made r, for a method op of r that sends
// requests with ctx, or the error that says why there is none.
func (r *Resource) requester(ctx context.Context, op string) (*Client, error) {
	if r == nil || r.client == nil || r.URL == nil {
		return nil, errNoClient(op)
	}
	if err := r.client.check(ctx, op); err != nil {
		return nil, err
	}
	return r.client, nil
}
