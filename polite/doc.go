// Package polite makes the clients of a process, or of a fleet of
// processes, one polite client to each server they call.
//
// A [Limiter] is a level3 Middleware (plus a retry Check) that, per origin,
// adapts the requests in flight (additive increase while answers are fast,
// halving on 429, 503 and timeouts), pauses every request when a 429 or 503
// says Retry-After, and spends the quota the server announces in its
// RateLimit and RateLimit-Policy fields (draft-ietf-httpapi-ratelimit-headers-11)
// from a budget shared through a [Store]:
//
//	lim, err := polite.New(nil) // a MemoryStore: this process
//	client, err := level3.New(lim.ClientOptions(level3.RetryPolicy{})...)
//
// For a fleet, give every process the same Store in Redis
// (github.com/l3go/level3/l3redis, Limits): the pauses and budgets are then
// the fleet's, so N processes together stay within the quota instead of
// each spending it. This package does not import Redis.
package polite
