// This file holds the transports every server is reached over (HTTP/1.1 in
// clear text, HTTP/1.1 over TLS, HTTP/2 over TLS), the clients configured
// for each, Peer (one server on one transport) and Run, which runs a test
// against every server on every transport. ca.go holds the certificates the
// clients trust.

package realpeers

import (
	"net/http"
	"strings"
	"testing"
)

// Transport is one way to reach a [Server]: HTTP/1.1 in clear text, or TLS
// with HTTP/1.1 or HTTP/2. Every server offers all three.
type Transport struct {
	Name  string // "http/1.1", "https/1.1" or "https/h2"
	TLS   bool   // reached at Server.TLSURL, verified with the run's CA
	HTTP2 bool   // HTTP/2 (over TLS, chosen by ALPN); otherwise HTTP/1.1
}

// The three transports, as [Transports] returns them.
var (
	HTTP1  = Transport{Name: "http/1.1"}
	HTTPS1 = Transport{Name: "https/1.1", TLS: true}
	HTTPS2 = Transport{Name: "https/h2", TLS: true, HTTP2: true}
)

// Transports returns HTTP1, HTTPS1 and HTTPS2, in that order.
func Transports() []Transport { return []Transport{HTTP1, HTTPS1, HTTPS2} }

// String returns tr.Name.
func (tr Transport) String() string { return tr.Name }

// testName is tr.Name as a subtest name: go test's -run splits patterns at
// slashes, so "https/h2" becomes "https-h2".
func (tr Transport) testName() string { return strings.ReplaceAll(tr.Name, "/", "-") }

// Proto is the value of http.Response.Proto for a response received over tr:
// "HTTP/1.1" or "HTTP/2.0".
func (tr Transport) Proto() string {
	if tr.HTTP2 {
		return "HTTP/2.0"
	}
	return "HTTP/1.1"
}

// HTTPTransport returns a new *http.Transport that speaks tr and nothing
// else: the settings of http.DefaultTransport (ExpectContinueTimeout 1s
// among them), no proxy, 16 idle connections per host, and for TLS a
// configuration trusting the run's CA ([TLSConfig]). HTTPS2 allows HTTP/2
// only (ALPN offers "h2" alone), so a server that fell back to HTTP/1.1
// would fail the request instead of passing the test on the wrong protocol;
// HTTPS1 and HTTP1 allow HTTP/1.1 only. The caller owns it: close its idle
// connections when done.
func (tr Transport) HTTPTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.MaxIdleConnsPerHost = 16
	t.TLSClientConfig = TLSConfig()
	var p http.Protocols
	if tr.HTTP2 {
		p.SetHTTP2(true)
		t.ForceAttemptHTTP2 = true
	} else {
		p.SetHTTP1(true)
		t.ForceAttemptHTTP2 = false
		t.TLSClientConfig.NextProtos = []string{"http/1.1"}
	}
	t.Protocols = &p
	return t
}

// Peer is one [Server] reached over one [Transport]: the unit a test
// table-driven over servers and transports runs against (see [Run]). Its
// URL field, the base URL on Transport, hides Server.URL (the clear-text
// one); the other fields and methods are the Server's.
type Peer struct {
	*Server
	Transport Transport
	URL       string // Server.URLFor(Transport): http://127.0.0.1:PORT or https://127.0.0.1:PORT2
}

// String returns "nginx over https/h2".
func (p Peer) String() string { return p.Name + " over " + p.Transport.Name }

// HTTPClient returns a new *http.Client for p's transport (see
// [Transport.HTTPTransport]), otherwise net/http's defaults. Its idle
// connections are closed when t ends.
func (p Peer) HTTPClient(t testing.TB) *http.Client {
	tr := p.Transport.HTTPTransport()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// CurlArgs returns curl's flags for reaching p as its HTTPClient does:
// --http1.1 or --http2, and over TLS the run's CA (--cacert).
func (p Peer) CurlArgs() []string {
	flags := []string{"--http1.1"}
	if p.Transport.HTTP2 {
		flags = []string{"--http2"}
	}
	if p.Transport.TLS {
		flags = append(flags, "--cacert", p.CAFile)
	}
	return flags
}

// GoEnv returns the environment variables that make a Go program started
// by a test (l3, a baseline written in net/http) reach p as its HTTPClient
// does: over TLS the run's CA (SSL_CERT_FILE), and over https/1.1 no HTTP/2
// (GODEBUG=http2client=0).
func (p Peer) GoEnv() []string {
	var env []string
	if p.Transport.TLS {
		env = append(env, "SSL_CERT_FILE="+p.CAFile)
	}
	if p.Transport.TLS && !p.Transport.HTTP2 {
		env = append(env, "GODEBUG=http2client=0")
	}
	return env
}

// On returns s reached over tr.
func (s *Server) On(tr Transport) Peer {
	return Peer{Server: s, Transport: tr, URL: s.URLFor(tr)}
}

// Run runs f in a parallel subtest per server and transport, named
// "nginx/https-h2", each with a server of its own: tests may write the same
// file names, count requests in the access log and stop the server without
// seeing each other. A server that is not installed skips its subtests (or
// fails them under REALPEERS_REQUIRE).
//
//	realpeers.Run(t, func(t *testing.T, p realpeers.Peer) {
//		realpeers.WriteFile(t, p.DocRoot, "a.txt", data)
//		resp, err := p.HTTPClient(t).Get(p.URL + "/files/a.txt")
//		...
//	})
func Run(t *testing.T, f func(t *testing.T, p Peer)) {
	t.Helper()
	for _, srv := range Starters() {
		t.Run(srv.Name, func(t *testing.T) {
			t.Parallel()
			for _, tr := range Transports() {
				t.Run(tr.testName(), func(t *testing.T) {
					t.Parallel()
					f(t, srv.Start(t).On(tr))
				})
			}
		})
	}
}

// RunShared is [Run] with one server per kind shared by its three
// transports' subtests, which run in parallel: for flows that only read, or
// that write names of their own (put p.Transport in them). It starts a third
// of the servers Run does.
func RunShared(t *testing.T, f func(t *testing.T, p Peer)) {
	t.Helper()
	for _, srv := range Starters() {
		t.Run(srv.Name, func(t *testing.T) {
			t.Parallel()
			s := srv.Start(t)
			for _, tr := range Transports() {
				t.Run(tr.testName(), func(t *testing.T) {
					t.Parallel()
					f(t, s.On(tr))
				})
			}
		})
	}
}
