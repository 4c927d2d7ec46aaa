// Package redirects holds the memory of permanent redirects (308) that a
// level3.Client keeps, so that the next request for a moved URL goes straight
// to its new place in one round trip (RFC 9110 §15.4.9).
//
// A [Store] maps a URL (its [Key]) to the [Entry] naming the target. Two
// stores come with the package: [Memory], a bounded in-memory LRU (the
// Client's default), and [File], the same LRU kept in a JSON file so that the
// memory survives restarts (the l3 command uses one under the user's cache
// directory). A File is private (mode 0600) and never holds a credential: an
// entry whose URLs carry one (userinfo, X-Amz-Signature, token, sig...) is
// kept in memory only. Any type with the four methods of Store can be
// plugged in with level3.WithRedirectStore.
//
// A store is a plain map: which entries may be written, whether one applies
// to a request, when one has expired, and what happens to credentials on the
// way are all decided by the Client (level3's redirect.go), so a store never
// needs to know HTTP.
package redirects
