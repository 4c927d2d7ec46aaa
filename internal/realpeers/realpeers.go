// This file holds the Server type, the layout constants and the start-up
// shared by the three HTTP servers (free ports, readiness, finding the
// binaries); doc.go describes the package, layout.go holds each instance's
// directories and WriteFile, nginx.go, apache.go and caddy.go the three
// configurations, ca.go the run's certificates, transport.go the transports
// and the clients for them, and proc_*.go the platform-specific process
// handling.

package realpeers

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Level 3 headers and bodies served by every server.
const (
	// ContentProfile is the profile header of every /l3/NAME response.
	ContentProfile = `<https://level3.rest/profiles/content>, <https://level3.rest/profiles/mixins/entity>`
	// L3Allow is the allow header of every /l3/ response, /l3/home included.
	L3Allow = "GET, HEAD"
	// FilesListLink is the link header of every /l3/NAME response.
	FilesListLink = `</files/>; rel="https://level3.rest/patterns/list#list"; title="All files"`

	// HomeProfile is the profile header of /l3/home.
	HomeProfile = `<https://level3.rest/profiles/home>`
	// HomeEntryLink is the first of the two link header lines of /l3/home.
	HomeEntryLink = `</l3/a.txt>; rel="https://level3.rest/patterns/list#list-entry"; title="A"`
	// HomeNextLink is the second of the two link header lines of /l3/home.
	HomeNextLink = `</files/>; rel="next"`
	// HomeBody is the body of /l3/home, served as application/json.
	HomeBody = `{"title":"realpeers home","files":"/files/","entry":"/l3/a.txt"}`

	// ProblemType is the content type of the /problem/ responses.
	ProblemType = "application/problem+json"
	// Problem409Body is the exact body of /problem/409.
	Problem409Body = `{"type":"https://example.com/probs/out-of-stock","title":"Out of stock","status":409,"detail":"Item 12 is out of stock","instance":"/orders/12","balance":30}`
	// Problem503Body is the exact body of /problem/503, which also sends Retry-After: 1.
	Problem503Body = `{"type":"https://example.com/probs/maintenance","title":"Down for maintenance","status":503,"detail":"Back in a second","instance":"/problem/503"}`

	// SmallLimit is the largest request body /small/ accepts; bigger ones get 413.
	SmallLimit = 1 << 20
	// SlowRate is the approximate download rate of /slow/, in bytes per second
	// per connection. nginx sends the first second's worth at once, so
	// n MiB take about n-1 s from nginx and n s from Apache.
	SlowRate = 1 << 20
)

// Starter starts one kind of server for a test: [Nginx], [Apache] or [Caddy].
type Starter struct {
	Name  string // "nginx", "apache" or "caddy", as in Server.Name
	Start func(t testing.TB) *Server
}

// Starters returns nginx, Apache and Caddy, for tests table-driven over the
// servers (see [Run] for the servers times the transports):
//
//	for _, srv := range realpeers.Starters() {
//		t.Run(srv.Name, func(t *testing.T) {
//			t.Parallel()
//			s := srv.Start(t)
//			realpeers.WriteFile(t, s.DocRoot, "a.txt", data)
//			// ... requests to s.URL + "/l3/a.txt"
//		})
//	}
func Starters() []Starter {
	return []Starter{{"nginx", Nginx}, {"apache", Apache}, {"caddy", Caddy}}
}

// Server is a running real HTTP server started for one test. Its fields are
// read-only; the process stops when the test (and its subtests) end.
//
// Every server listens on two ports of 127.0.0.1: URL speaks HTTP/1.1 in
// clear text, TLSURL speaks TLS with a certificate from the run's CA (see
// [CertPool]) and offers HTTP/2 and HTTP/1.1 by ALPN. Both serve the same
// layout from the same directories; [Server.URLFor] picks one for a
// [Transport].
type Server struct {
	Name    string // "nginx", "apache" or "caddy"
	URL     string // http://127.0.0.1:PORT (no trailing slash)
	TLSURL  string // https://127.0.0.1:PORT2 (no trailing slash): h2 and http/1.1 by ALPN
	CAFile  string // PEM file of the run's CA certificate, for clients such as curl --cacert
	DocRoot string // directory served read-only at URL+"/files/" (and /l3/, /slow/); tests put files here, before or after start
	// DAVRoot is the directory behind URL+"/dav/" (WebDAV PUT, DELETE, MKCOL,
	// COPY, MOVE) and URL+"/small/" (the same, but request bodies over
	// SmallLimit get 413). nginx creates missing parent directories on PUT,
	// Apache and Caddy answer 409 instead (see differences_test.go).
	DAVRoot  string
	ErrorLog string // path of the server's error log, dumped into t.Log when the test fails

	base     string // private directory holding everything of this instance
	backend  string // caddy only: host:port of the WebDAV backend it proxies /dav/ and /small/ to
	mu       sync.Mutex
	proc     *process
	stopErr  error
	reserved []*os.File // locks of the ports it listens on (ports.go)
}

// URLFor returns the server's base URL for tr: URL for clear text, TLSURL
// for the TLS transports.
func (s *Server) URLFor(tr Transport) string {
	if tr.TLS {
		return s.TLSURL
	}
	return s.URL
}

// Stop stops the server now and waits for its processes to exit. It is
// called by t.Cleanup; calling it earlier (to test a vanished peer) is fine,
// and calling it twice is harmless.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.stopErr = s.proc.stop()
		s.proc = nil
	}
	s.release()
	return s.stopErr
}

// Logs returns the server's error log and the output of its process, for
// diagnostics.
func (s *Server) Logs() string {
	var b strings.Builder
	for _, f := range []string{s.ErrorLog, filepath.Join(s.base, "logs", "stderr.log")} {
		data, err := os.ReadFile(f)
		if err != nil || len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		fmt.Fprintf(&b, "--- %s\n%s", f, data)
		if !bytes.HasSuffix(data, []byte("\n")) {
			b.WriteByte('\n')
		}
	}
	if b.Len() == 0 {
		return "(logs are empty)\n"
	}
	return b.String()
}

// flavor is what differs between the servers in starting them.
type flavor struct {
	name string // "nginx", "apache" or "caddy"
	// find returns the binary, or "" when the server is not installed.
	find func() string
	// missing is the t.Skip message when find returns "".
	missing string
	// prepare, when set, readies what the server needs besides its
	// configuration, once, before the first attempt (Caddy's WebDAV
	// backend); what it starts it stops in t.Cleanup.
	prepare func(t testing.TB, s *Server) error
	// configure writes the configuration for s listening on the ports and
	// returns the command line arguments.
	configure func(s *Server, bin string, p ports) ([]string, error)
	// env, when set, returns variables added to the process environment.
	env func(s *Server) []string
	// port picks each port of each attempt; nil means Server.reservePort.
	// Tests set it to check the retry when a port is taken.
	port func() (int, error)
}

// ports are the two ports of 127.0.0.1 a server listens on.
type ports struct {
	plain int // HTTP/1.1 in clear text
	tls   int // TLS: h2 and http/1.1 by ALPN
}

// RequireEnv names the environment variable that turns a missing server
// into a test failure instead of a skip: CI sets REALPEERS_REQUIRE=1 so that
// an image without nginx or Apache cannot pass by skipping.
const RequireEnv = "REALPEERS_REQUIRE"

// startAttempts is how often a start is tried with a new port when another
// process took the chosen port in the meantime.
const startAttempts = 5

// readyTimeout bounds the wait for a started server to answer.
const readyTimeout = 10 * time.Second

// start is Nginx, Apache and Caddy: it lays out the directories, then tries
// ports until the server answers with this instance's token on both.
func start(t testing.TB, f flavor) *Server {
	t.Helper()
	bin := f.find()
	requireInstalled(t, bin, f.missing)
	s, err := layout(t, f.name)
	if err != nil {
		t.Fatalf("realpeers: %s: %v", f.name, err)
	}
	token := randomToken()
	if err := os.WriteFile(filepath.Join(s.base, "internal", "id.txt"), []byte(token), 0o644); err != nil {
		t.Fatalf("realpeers: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("realpeers: stopping %s: %v", s.Name, err)
		}
		if t.Failed() {
			t.Logf("realpeers: %s at %s, logs:\n%s", s.Name, s.URL, s.Logs())
		}
	})

	if f.prepare != nil {
		if err := f.prepare(t, s); err != nil {
			t.Fatalf("realpeers: preparing %s: %v", f.name, err)
		}
	}
	var env []string
	if f.env != nil {
		env = f.env(s)
	}
	pick := f.port
	if pick == nil {
		pick = s.reservePort
	}
	for attempt := 1; ; attempt++ {
		var p ports
		var err error
		if p.plain, err = pick(); err == nil {
			p.tls, err = pick()
		}
		if err == nil && p.tls == p.plain {
			p.tls, err = pick() // the kernel may hand out a just-freed port again
		}
		if err != nil {
			t.Fatalf("realpeers: %v", err)
		}
		args, err := f.configure(s, bin, p)
		if err != nil {
			t.Fatalf("realpeers: configuring %s: %v", f.name, err)
		}
		for _, log := range []string{s.ErrorLog, filepath.Join(s.base, "logs", "stderr.log")} {
			_ = os.Truncate(log, 0) // logs of an earlier attempt
		}
		s.URL = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(p.plain))
		s.TLSURL = "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(p.tls))
		proc, err := startProcess(bin, args, env, filepath.Join(s.base, "logs", "stderr.log"))
		if err != nil {
			t.Fatalf("realpeers: starting %s: %v", bin, err)
		}
		s.mu.Lock()
		s.proc = proc
		s.mu.Unlock()

		err = waitReady(s.URL+"/_realpeers/id", token, proc)
		if err == nil {
			err = waitReady(s.TLSURL+"/_realpeers/id", token, proc)
		}
		if err == nil {
			return s
		}
		_ = s.Stop()
		if errors.Is(err, errExited) && portTaken(s.Logs()) && attempt < startAttempts {
			t.Logf("realpeers: %s: port %d or %d was taken, retrying with others", f.name, p.plain, p.tls)
			continue
		}
		t.Fatalf("realpeers: %s (%s %s) did not start: %v\n%s", f.name, bin, strings.Join(args, " "), err, s.Logs())
	}
}

// requireInstalled ends t unless bin was found and real servers can run
// here: a missing binary skips t with the message missing, or fails it when
// RequireEnv is set; a system that is not Unix skips it.
func requireInstalled(t testing.TB, bin, missing string) {
	t.Helper()
	if bin == "" {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("%s (%s is set)", missing, RequireEnv)
		}
		t.Skip(missing)
	}
	if err := supported(); err != nil {
		t.Skipf("realpeers: %v", err)
	}
}

// freePort asks the kernel for a free port on 127.0.0.1. Another process
// may take it before the server binds it; start then retries.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// portTaken reports whether logs say the listening port was in use.
func portTaken(logs string) bool {
	return strings.Contains(logs, "Address already in use") ||
		strings.Contains(logs, "address already in use") || // Caddy
		strings.Contains(logs, "could not bind to address")
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// errExited means the server process ended before it answered.
var errExited = errors.New("server process exited")

// waitReady polls url until it answers 200 with body token (and not some
// other process that owns the port), the process exits, or readyTimeout.
// An https URL must present a certificate from the run's CA.
func waitReady(url, token string, p *process) error {
	client := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true, TLSClientConfig: TLSConfig()},
	}
	return waitUntil(p, func() error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != token {
			return fmt.Errorf("GET %s: %s %q, not this instance's token", url, resp.Status, body)
		}
		return nil
	})
}

// waitUntil calls probe until it returns nil, the process p exits
// (errExited), or readyTimeout passes (with probe's last error), waiting
// 5 ms between calls at first and up to 100 ms later. It is the readiness
// wait of every server: the HTTP servers (waitReady) and Redis.
func waitUntil(p *process, probe func() error) error {
	deadline := time.Now().Add(readyTimeout)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		select {
		case <-p.exited:
			return fmt.Errorf("%w: %v", errExited, p.waitErr)
		default:
		}
		err := probe()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %v", readyTimeout, err)
		}
		select {
		case <-p.exited:
		case <-time.After(delay):
		}
	}
}

// findBinary returns the first of names found in PATH or in dirs, or "".
func findBinary(names []string, dirs []string) string {
	for _, name := range names {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
		for _, dir := range dirs {
			path := filepath.Join(dir, name)
			if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
				return path
			}
		}
	}
	return ""
}

// sbinDirs are searched after PATH, which often lacks them for non-root users.
var sbinDirs = []string{"/usr/sbin", "/usr/local/sbin", "/sbin", "/opt/homebrew/bin", "/usr/local/bin"}
