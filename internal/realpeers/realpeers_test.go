// This file holds the helpers the package's tests share (forEachServer, the
// clients per transport, Peer.do, want...) and the tests of a server's life:
// parallel instances, Stop, a missing binary, a taken port, a broken
// configuration. layout_test.go checks the layout in the package
// documentation; differences_test.go pins down where the servers behave
// differently; wire_test.go checks Wire.

package realpeers

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// forEachServer runs f in a parallel subtest per server, each with a server
// of its own, for the tests of a server's life.
func forEachServer(t *testing.T, f func(t *testing.T, s *Server)) {
	for _, srv := range Starters() {
		t.Run(srv.Name, func(t *testing.T) {
			t.Parallel()
			f(t, srv.Start(t))
		})
	}
}

// clients holds one client per transport, shared by the tests. They follow
// no redirects, so tests see the 307/308 themselves.
var clients = func() map[Transport]*http.Client {
	m := map[Transport]*http.Client{}
	for _, tr := range Transports() {
		m[tr] = &http.Client{
			Transport: tr.HTTPTransport(),
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
			Timeout: 20 * time.Second,
		}
	}
	return m
}()

// do sends one request to p.URL+path with header pairs (name, value, name,
// value...) and returns the response with its body read. It fails the test
// when the response did not come over p's protocol.
func (p Peer) do(t *testing.T, method, path string, body []byte, header ...string) (*http.Response, []byte) {
	t.Helper()
	resp, data := doWith(t, clients[p.Transport], method, p.URL+path, body, header...)
	if resp.Proto != p.Transport.Proto() {
		t.Fatalf("%s %s over %s: response came as %s", method, path, p.Transport, resp.Proto)
	}
	return resp, data
}

// doWith sends one request with c to url, with header pairs as Peer.do, and
// returns the response with its body read.
func doWith(t *testing.T, c *http.Client, method, url string, body []byte, header ...string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp, data
}

// wantStatus fails the test unless resp has status want.
func wantStatus(t *testing.T, resp *http.Response, body []byte, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; header %v; body %.300q",
			resp.Request.Method, resp.Request.URL, resp.StatusCode, want, resp.Header, body)
	}
}

// wantSuccess fails the test unless resp has status 201 or 204.
func wantSuccess(t *testing.T, resp *http.Response, body []byte) {
	t.Helper()
	if resp.StatusCode != 201 && resp.StatusCode != 204 {
		wantStatus(t, resp, body, 201)
	}
}

// wantHeader fails the test unless resp has exactly the header lines want
// for name, in order.
func wantHeader(t *testing.T, resp *http.Response, name string, want ...string) {
	t.Helper()
	got := resp.Header.Values(name)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s %s: %s = %q, want %q", resp.Request.Method, resp.Request.URL, name, got, want)
	}
}

// pattern returns n bytes of a repeating, position-dependent pattern, so a
// wrong range is noticed.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26 + i/26%3)
	}
	return b
}

// TestParallelInstances starts several instances of each server at once and
// checks that each serves its own directories.
func TestParallelInstances(t *testing.T) {
	t.Parallel()
	for _, srv := range Starters() {
		for i := range 3 {
			t.Run(srv.Name+strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				s := srv.Start(t)
				want := s.Name + " " + strconv.Itoa(i) + " " + s.URL
				WriteFile(t, s.DocRoot, "who.txt", []byte(want))
				for _, tr := range Transports() {
					resp, body := s.On(tr).do(t, "GET", "/files/who.txt", nil)
					wantStatus(t, resp, body, 200)
					if string(body) != want {
						t.Errorf("over %s: got %q, want %q", tr, body, want)
					}
				}
			})
		}
	}
}

// TestStop checks that a stopped server is gone: its port refuses
// connections and Stop may be called again.
func TestStop(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *Server) {
		host := strings.TrimPrefix(s.URL, "http://")
		s.mu.Lock()
		pid := s.proc.cmd.Process.Pid
		s.mu.Unlock()
		began := time.Now()
		if err := s.Stop(); err != nil {
			t.Fatal(err)
		}
		t.Logf("stopped pid %d in %v", pid, time.Since(began))
		if c, err := net.DialTimeout("tcp", host, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Stop", host)
		}
		if err := s.Stop(); err != nil {
			t.Errorf("second Stop: %v", err)
		}
	})
}

// TestMissingBinary checks the skip message, and that RequireEnv turns it
// into a failure (observed through a fake testing.TB).
func TestMissingBinary(t *testing.T) {
	f := flavor{name: "none", find: func() string { return "" }, missing: "none not installed: apt-get install none (CI installs it)"}

	t.Setenv(RequireEnv, "")
	var skipped bool
	t.Run("skip", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		start(t, f)
		t.Error("start returned for a missing binary")
	})
	if !skipped {
		t.Error("a missing binary did not skip")
	}

	t.Setenv(RequireEnv, "1")
	fake := &recordingTB{TB: t}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // Fatalf ends the goroutine with runtime.Goexit
		defer wg.Done()
		start(fake, f)
	}()
	wg.Wait()
	if !strings.Contains(fake.fatal, "none not installed") || fake.skipped {
		t.Errorf("with %s=1: fatal %q, skipped %v", RequireEnv, fake.fatal, fake.skipped)
	}
}

// TestPortTaken checks that a start whose port (clear-text or TLS) another
// process holds is retried on new ports.
func TestPortTaken(t *testing.T) {
	t.Parallel()
	for _, f := range []flavor{nginxFlavor(), apacheFlavor(), caddyFlavor()} {
		for _, which := range []string{"plain", "tls"} {
			t.Run(f.name+"/"+which, func(t *testing.T) {
				t.Parallel()
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				taken := l.Addr().(*net.TCPAddr).Port
				takenCall := map[string]int{"plain": 1, "tls": 2}[which]
				calls := 0
				f := f // a copy of this subtest's own: its sibling runs in parallel with the same f
				f.port = func() (int, error) {
					calls++
					if calls == takenCall {
						return taken, nil
					}
					return freePort()
				}
				s := start(t, f)
				takenURL := map[string]string{"plain": s.URL, "tls": s.TLSURL}[which]
				if calls != 4 || strings.HasSuffix(takenURL, ":"+strconv.Itoa(taken)) {
					t.Errorf("%d ports picked, URLs %s %s; want a second attempt on ports other than %d", calls, s.URL, s.TLSURL, taken)
				}
				for _, tr := range Transports() {
					resp, body := s.On(tr).do(t, "GET", "/l3/home", nil)
					wantStatus(t, resp, body, 200)
				}
			})
		}
	}
}

// TestBrokenConfig checks that a server that does not start fails the test
// with its error log.
func TestBrokenConfig(t *testing.T) {
	t.Parallel()
	for _, f := range []flavor{nginxFlavor(), apacheFlavor(), caddyFlavor()} {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			configure := f.configure
			f.configure = func(s *Server, bin string, port ports) ([]string, error) {
				args, err := configure(s, bin, port)
				if err != nil {
					return nil, err
				}
				conf := filepath.Join(s.base, "conf", map[string]string{"nginx": "nginx.conf", "apache": "httpd.conf", "caddy": "caddy.json"}[f.name])
				data, err := os.ReadFile(conf)
				if err != nil {
					return nil, err
				}
				if f.name == "caddy" { // a JSON key Caddy does not know
					data = bytes.Replace(data, []byte(`"admin"`), []byte(`"no_such_directive": true, "admin"`), 1)
				} else {
					data = append(data, "\nno_such_directive on;\n"...)
				}
				return args, os.WriteFile(conf, data, 0o644)
			}
			fake := &recordingTB{TB: t}
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				start(fake, f)
			}()
			wg.Wait()
			if fake.skipped {
				t.Skip("not installed")
			}
			if !strings.Contains(fake.fatal, "did not start") || !strings.Contains(fake.fatal, "no_such_directive") {
				t.Errorf("Fatalf message does not show the cause:\n%s", fake.fatal)
			}
		})
	}
}

// recordingTB records Fatalf and Skip instead of acting on the real test.
type recordingTB struct {
	testing.TB
	fatal   string
	skipped bool
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recordingTB) Skip(...any)          { r.skipped = true; runtime.Goexit() }
func (r *recordingTB) Skipf(string, ...any) { r.skipped = true; runtime.Goexit() }
