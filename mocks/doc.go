// Package mocks is a scriptable fake Level 3 server for tests, demos and
// examples, built on net/http/httptest. It imports neither package testing
// nor testify, so programs can run it too (`l3 serve`, `l3 demo`); the
// testify mocks of the interfaces the level3 package lets callers plug in
// are in package mocks/mocktest, which only tests import.
//
// In a test, [NewServer] starts a server and closes it when the test ends
// (it takes a [TB], which *testing.T satisfies); elsewhere [Start] returns
// one to Close. [Server.AddCatalog] installs a small shop API that covers
// every profile, or [Server.Handle] serves the resources a test builds:
//
//	srv := mocks.NewServer(t, mocks.Strict(t)) // an unknown path fails the test
//	srv.Handle("/orders/1", mocks.Data(`{"id":1}`))
//	srv.Fail("/orders/1", mocks.Status(503).WithRetryAfter("1").Times(2))
//	// ... exercise the client against srv.URL + "/orders/1" ...
//	assert.Equal(t, 3, srv.Count("/orders/1"))
//
// A [Server] serves [Resource] values at paths. Each resource has profiles,
// allowed methods, links, a body and validators, and answers like a Level 3
// server of its profile: GET/HEAD with ranges and conditional requests for
// everything, PUT/PATCH/DELETE for Data and Content (a DELETE's 204 names
// no validators), POST for Upload, Form, Lookup and Action, 307/308 for
// Alias, and 202 for Async when asked with prefer: respond-async; the
// accepted operation then finishes after some polls or some time
// ([Resource.AsyncPolls], [Resource.AsyncAfter]), or fails
// ([Resource.AsyncFailure]), with [WithClock] to run the server on a test's
// fake clock. State changes as on a real server: a [Transition] action
// moves a resource into a state and is refused (409) from it, a [LookupIn]
// lookup searches resources by their JSON members and answers 404 without a
// match. Errors carry RFC 9457 problem details whose type is an absolute URI
// ([ProblemType]).
//
// Faults ([Fault]) are queued on a resource and used up one request at a
// time: error statuses with problem details and Retry-After, connections
// dropped after N body bytes, delays, 417 answers to expect: 100-continue.
// For downloads (content.go): connections cut or stalled at content offsets
// ([DropAt], [StallAt]), bytes that change between requests ([ChangeBody]),
// ranges ignored ([IgnoreRange]), a lying content-length ([LieLength]), weak
// entity tags (Resource.WeakETag), resources without ranges
// (Resource.NoRanges) or throttled per response (Resource.Rate), and hostile
// content-disposition names ([Attachment] or Resource.Header); for uploads
// (expect.go): answers that keep the connection open and read the body
// afterwards ([KeepOpen]), and silence instead of 100 Continue
// ([NoContinue]). Without a fault, a request with expect: 100-continue is
// handled as net/http's server handles it: 100 when the body is first read,
// and a closed connection after an answer that left the body unread.
//
// Everything the server saw is recorded ([Server.Requests], [Server.Count],
// [Server.BodyBytes]), and what it sent is counted ([Server.BytesSent],
// [Server.Connections]), so tests can assert what went over the wire.
//
// For redirects, [Server.AliasTo] installs an alias that lists the target's
// profiles and allow header as the specification asks, [Server.Chain] a
// chain of aliases and [Server.Loop] a circle of them; an alias whose target
// is another Server's URL redirects to a second origin.
package mocks
