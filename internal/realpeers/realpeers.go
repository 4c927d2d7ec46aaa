// This file holds the Server type, the layout constants and the start-up
// shared by both servers (free ports, readiness, finding the binaries);
// doc.go describes the package, layout.go holds each instance's directories
// and WriteFile, nginx.go and apache.go the two configurations, and
// proc_*.go the platform-specific process handling.

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

// Level 3 headers and bodies served by both servers.
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

// Starter starts one kind of server for a test: [Nginx] or [Apache].
type Starter struct {
	Name  string // "nginx" or "apache", as in Server.Name
	Start func(t testing.TB) *Server
}

// Starters returns nginx and Apache, for tests table-driven over both:
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
	return []Starter{{"nginx", Nginx}, {"apache", Apache}}
}

// Server is a running real HTTP server started for one test. Its fields are
// read-only; the process stops when the test (and its subtests) end.
type Server struct {
	Name    string // "nginx" or "apache"
	URL     string // http://127.0.0.1:PORT (no trailing slash)
	DocRoot string // directory served read-only at URL+"/files/" (and /l3/, /slow/); tests put files here, before or after start
	// DAVRoot is the directory behind URL+"/dav/" (WebDAV PUT, DELETE, MKCOL,
	// COPY, MOVE) and URL+"/small/" (the same, but request bodies over
	// SmallLimit get 413). nginx creates missing parent directories on PUT,
	// Apache answers 409 instead (see differences_test.go).
	DAVRoot  string
	ErrorLog string // path of the server's error log, dumped into t.Log when the test fails

	base    string // private directory holding everything of this instance
	mu      sync.Mutex
	proc    *process
	stopErr error
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
	name string // "nginx" or "apache"
	// find returns the binary, or "" when the server is not installed.
	find func() string
	// missing is the t.Skip message when find returns "".
	missing string
	// configure writes the configuration for s listening on port and
	// returns the command line arguments.
	configure func(s *Server, bin string, port int) ([]string, error)
	// port picks the port of each attempt; nil means freePort. Tests
	// set it to check the retry when a port is taken.
	port func() (int, error)
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

// start is Nginx and Apache: it lays out the directories, then tries ports
// until the server answers with this instance's token.
func start(t testing.TB, f flavor) *Server {
	t.Helper()
	bin := f.find()
	if bin == "" {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("%s (%s is set)", f.missing, RequireEnv)
		}
		t.Skip(f.missing)
	}
	if err := supported(); err != nil {
		t.Skipf("realpeers: %v", err)
	}
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

	pick := f.port
	if pick == nil {
		pick = freePort
	}
	for attempt := 1; ; attempt++ {
		port, err := pick()
		if err != nil {
			t.Fatalf("realpeers: %v", err)
		}
		args, err := f.configure(s, bin, port)
		if err != nil {
			t.Fatalf("realpeers: configuring %s: %v", f.name, err)
		}
		for _, log := range []string{s.ErrorLog, filepath.Join(s.base, "logs", "stderr.log")} {
			_ = os.Truncate(log, 0) // logs of an earlier attempt
		}
		s.URL = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		p, err := startProcess(bin, args, filepath.Join(s.base, "logs", "stderr.log"))
		if err != nil {
			t.Fatalf("realpeers: starting %s: %v", bin, err)
		}
		s.mu.Lock()
		s.proc = p
		s.mu.Unlock()

		err = waitReady(s.URL+"/_realpeers/id", token, p)
		if err == nil {
			return s
		}
		_ = s.Stop()
		if errors.Is(err, errExited) && portTaken(s.Logs()) && attempt < startAttempts {
			t.Logf("realpeers: %s: port %d was taken, retrying with another", f.name, port)
			continue
		}
		t.Fatalf("realpeers: %s (%s %s) did not start: %v\n%s", f.name, bin, strings.Join(args, " "), err, s.Logs())
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
func waitReady(url, token string, p *process) error {
	client := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
	deadline := time.Now().Add(readyTimeout)
	var last error
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		select {
		case <-p.exited:
			return fmt.Errorf("%w: %v", errExited, p.waitErr)
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && string(body) == token {
				return nil
			}
			err = fmt.Errorf("GET %s: %s %q, not this instance's token", url, resp.Status, body)
		}
		last = err
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %v", readyTimeout, last)
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
