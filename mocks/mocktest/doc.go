// Package mocktest holds testify mocks of the interfaces the level3 package
// lets callers plug in: [Doer] (one layer of the Client's pipeline, to test
// a level3.Middleware alone), [RedirectStore] (the Client's memory of
// permanent redirects) and [CacheStore] (its Entity cache).
//
// It is a package of its own so that only tests import testify: the fake
// server in package mocks is also used by programs (`l3 serve`, `l3 demo`),
// which must not link package testing or testify.
//
// The package does not import the root level3 package, whose own in-package
// tests import this one; that is why [CacheStore] takes the response type as
// a parameter: use it as CacheStore[level3.CachedResponse].
package mocktest
