// Package realpeers starts real nginx, Apache httpd and Caddy servers (and
// redis-server) on 127.0.0.1 for the SDK's integration tests. Each call
// starts a private instance with a temporary configuration, free ports and
// its own directories, and stops it in t.Cleanup, so tests may start as
// many as they like, in parallel.
//
// Naming rule: a test that runs the SDK against these servers is named
// TestRealPeers<What> and lives in <subject>_realpeers_test.go, and a
// benchmark is named Benchmark<What> and lives in <subject>_bench_test.go
// (<subject>_bench_<goos>_test.go when it is platform-specific), where subject
// is the file under test: download.go has download_realpeers_test.go and
// download_bench_test.go, and `go test -run RealPeers .` runs every real-peer
// test.
//
// # Servers and transports
//
// Every server listens twice: [Server.URL] speaks HTTP/1.1 in clear text,
// [Server.TLSURL] speaks TLS with a certificate for 127.0.0.1, ::1 and
// localhost signed by a CA made for the test process ([CertPool],
// [TLSConfig], [Server.CAFile]; never InsecureSkipVerify), and offers h2 and
// http/1.1 by ALPN. A [Transport] is one of [HTTP1], [HTTPS1] and [HTTPS2];
// [Transport.HTTPTransport] is a client transport that speaks it and nothing
// else. A [Peer] is one server on one transport, and [Run] runs a test on
// every server and transport (nine subtests, a server each):
//
//	realpeers.Run(t, func(t *testing.T, p realpeers.Peer) {
//		realpeers.WriteFile(t, p.DocRoot, "a.txt", data)
//		resp, err := p.HTTPClient(t).Get(p.URL + "/l3/a.txt")
//		...
//	})
//
// [Wire] counts what a client writes at the socket, and the request body
// bytes among it (decrypting TLS with the client's logged keys).
//
// # Layout
//
// All servers offer the same URL layout:
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
//	                   (not on Caddy: 404)
//	/problem/409       409, application/problem+json, [Problem409Body]
//	/problem/503       503, Retry-After: 1, application/problem+json, [Problem503Body]
//
// Caddy 2.6 has no WebDAV and no rate limit without plugins: its /dav/ and
// /small/ are its reverse_proxy to golang.org/x/net/webdav (what the
// caddy-webdav plugin wraps) served by the test process, and it has no
// /slow/ ([Caddy] says more).
//
// [Server.AccessLog] and [Server.Count] read what a server logged, to count
// requests server-side.
//
// # Differences
//
// The servers are real, and differ where a client may care, from server to
// server and from transport to transport; the SDK's tests must accept every
// answer. differences_test.go pins each of these down:
//
//   - Expect: an unknown expectation gets 417 from Apache (which then closes
//     the connection without saying so) and from Caddy (Go's server, which
//     says close) over HTTP/1.1, from Apache alone over HTTP/2, and nothing
//     from nginx. With 100-continue, all reject a too-large Content-Length
//     before 100; over HTTP/1.1 nginx sends 100 before a redirect or a
//     /problem/ error (the others do not), Apache before a 405 (not over
//     HTTP/2). nginx never sends 100 over HTTP/2: a preflighted upload
//     waits out the client's timeout there.
//   - Conditional WebDAV: Apache honours If-Match, If-None-Match and
//     If-Unmodified-Since on PUT and DELETE (412, also before 100); nginx
//     and Caddy's backend ignore them all. nginx and Apache send no ETag or
//     Last-Modified after a PUT; Caddy's backend sends an ETag, and 201 for
//     every PUT, new file or not.
//   - WebDAV: nginx creates missing parent directories on PUT (Apache and
//     Caddy: 409), answers COPY/MOVE with 204 (the others: 201) and MKCOL
//     needs a trailing slash (the others: not).
//   - Location (redirects, 201): relative on nginx and Caddy, absolute on
//     Apache; none after a PUT on Caddy.
//   - 416: Apache sends no Content-Range: bytes */SIZE.
//   - Apache makes an ETag weak for a second after a change, and treats a
//     Last-Modified date in If-Range as strong only once it is 60 s old;
//     [WriteFile] backdates files so that all servers behave alike.
//   - Apache serves POST and OPTIONS on static files, Caddy every method;
//     Apache adds its own Allow line to a 405 (so /l3/ then has two); closes
//     the connection after 503 over HTTP/1.1; its problem bodies carry ETag
//     and Last-Modified; and over TLS with HTTP/1.1 it advertises
//     Upgrade: h2.
//   - /slow/: nginx sends the first second's worth at once.
package realpeers
