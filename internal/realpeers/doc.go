// Package realpeers starts real nginx and Apache httpd servers on 127.0.0.1
// for the SDK's integration tests. Each call starts a private instance with a
// temporary configuration, a free port and its own directories, and stops it
// in t.Cleanup, so tests may start as many as they like, in parallel.
//
// Naming rule: a test that runs the SDK against these servers is named
// TestRealPeers<What> and lives in <subject>_realpeers_test.go, and a
// benchmark is named Benchmark<What> and lives in <subject>_bench_test.go
// (<subject>_bench_<goos>_test.go when it is platform-specific), where subject
// is the file under test: download.go has download_realpeers_test.go and
// download_bench_test.go, and `go test -run RealPeers .` runs every real-peer
// test.
//
// Both servers offer the same URL layout, so a test can be table-driven over
// [Nginx] and [Apache]:
//
//	/files/NAME        static files from Server.DocRoot: Accept-Ranges, strong
//	                   ETag, Last-Modified, so Range, If-Range, If-None-Match work
//	/l3/NAME           the same files plus Level 3 headers: profile
//	                   [ContentProfile], allow [L3Allow], link [FilesListLink]
//	/l3/home           200, [HomeBody] (application/json), profile [HomeProfile],
//	                   two link header lines [HomeEntryLink] and [HomeNextLink]
//	/redirect307/NAME  307 to /files/NAME, for every method
//	/redirect308/NAME  308 to /files/NAME, for every method
//	/dav307/NAME       307 to /dav/NAME, for every method (bodies land in DAVRoot)
//	/dav308/NAME       308 to /dav/NAME, for every method
//	/dav/NAME          WebDAV (GET, PUT, DELETE, MKCOL, COPY, MOVE) on Server.DAVRoot
//	/small/NAME        the same WebDAV tree, request bodies over [SmallLimit] get 413
//	/slow/NAME         the static files at about [SlowRate] bytes per second
//	/problem/409       409, application/problem+json, [Problem409Body]
//	/problem/503       503, Retry-After: 1, application/problem+json, [Problem503Body]
//
// [Server.AccessLog] and [Server.Count] read what a server logged, to count
// requests server-side.
//
// The two servers are real, and differ where a client may care; the SDK's
// tests must accept both. differences_test.go pins each of these down:
//
//   - Expect: an unknown expectation gets 417 from Apache (which then closes
//     the connection without saying so), nothing from nginx. With
//     100-continue, both reject a too-large Content-Length before 100;
//     nginx sends 100 before a redirect or a /problem/ error (Apache does
//     not), Apache before a 405 (nginx does not).
//   - Conditional WebDAV: Apache honours If-Match, If-None-Match and
//     If-Unmodified-Since on PUT and DELETE (412, also before 100); nginx
//     ignores them all. Neither sends ETag or Last-Modified after a PUT.
//   - WebDAV: nginx creates missing parent directories on PUT (Apache: 409),
//     answers COPY/MOVE with 204 (Apache: 201) and MKCOL needs a trailing
//     slash (Apache: not).
//   - Location (redirects, 201): relative on nginx, absolute on Apache.
//   - 416: Apache sends no Content-Range: bytes */SIZE.
//   - Apache makes an ETag weak for a second after a change, and treats a
//     Last-Modified date in If-Range as strong only once it is 60 s old;
//     [WriteFile] backdates files so that both servers behave alike.
//   - Apache serves POST and OPTIONS on static files; adds its own Allow
//     line to a 405 (so /l3/ then has two); closes the connection after
//     503; and its problem bodies carry ETag and Last-Modified.
//   - /slow/: nginx sends the first second's worth at once.
package realpeers
