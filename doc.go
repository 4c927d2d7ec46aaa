// Package level3 is a client for Level 3 REST hypermedia APIs
// (https://level3.rest): servers that describe every resource with profile,
// allow and link headers and use plain HTTP semantics precisely.
//
// Start with [New] and [Client.Discover]: it HEADs a URL and returns a
// [Resource] with the resource's profiles, allowed methods, links
// (RFC 8288) and validators, from which [Resource.Follow], [Client.Pages] and
// the profile calls go on:
//
//	client, err := level3.New(level3.WithHeader("Authorization", "Bearer "+token))
//	home, err := client.Discover(ctx, "https://api.example.com/")
//	orders, err := home.Follow(ctx, profiles.RelListEntry)
//
// # Request flow
//
// Every request, whether the caller built it ([Client.Do]) or a profile call
// did (uploads, downloads, polls, links followed), goes through one pipeline
// of layers, described on [Client]: default headers, the caller's middleware,
// the Entity cache, redirects (with the memory of 308s), retries, the
// Preflight body gate (expect: 100-continue), and the credential layer, which
// sends Authorization, cookies and other sensitive headers only to the origin
// of the call the caller made (see [WithCredentialOrigins]).
//
// # Errors
//
// Every response with status 400 or more is returned as an error, never as a
// response: a type per status ([*BadRequestError], [*ConflictError],
// [*UnprocessableEntityError], ...), each unwrapping to the shared
// [*ResponseError] with the status, method, URL (credentials removed) and any
// RFC 9457 [Problem]. Match them with errors.As. Policy stops are sentinels
// matched with errors.Is, such as [ErrTooManyRedirects] or
// [ErrTooManyRestarts].
//
// A call that can never work (a nil Context, a Client not made by New, a
// zero Poller, a nil request) returns an error wrapping [ErrInvalidUse] and
// sends nothing; no exported function panics on bad input.
//
// # Trust boundaries
//
// SECURITY.md in the module's repository lists the rules this package keeps
// (credentials and origins, files on disk, journals and memories, bounded
// reads) and the tests that hold them.
package level3
