// This file holds AccessLog and Count, which read a running server's access
// log so tests can count requests on the server side. realpeers.go holds the
// Server; nginx.go, apache.go and caddy.go configure the logs (nginx's
// "combined" and Apache's "common" formats, which share the part read here,
// and Caddy's JSON lines).

package realpeers

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// LogEntry is one request as the server logged it.
type LogEntry struct {
	Method string // "GET"
	URI    string // request target as sent: path and query, "/files/a.txt?x=1"
	Status int    // final status sent
}

// markTimeout bounds the wait for the server to log the marker request.
const markTimeout = 5 * time.Second

// settleTime is how long the log must stay unchanged after the marker before
// AccessLog trusts it to hold every request answered before the call.
const settleTime = 30 * time.Millisecond

// AccessLog returns the requests s has logged, oldest first, leaving out the
// harness's own (/_realpeers/...). Servers write a request's log line after
// sending the response, so a client can see a response before its line
// exists. AccessLog therefore sends a marker request of its own and waits
// until the marker is logged, then until the log has not changed for
// settleTime: nginx's single worker logs requests in order, but Apache's
// threads can log the marker before a request answered earlier on another
// connection. It fails t when the log cannot be read or the marker does not
// appear within 5 seconds.
//
// Apache's mod_http2 writes an HTTP/2 stream's line only when it next
// handles that stream's connection, which can be never while the connection
// idles: a test that counts lines of HTTP/2 requests uses AccessLogWhen.
func (s *Server) AccessLog(t testing.TB) []LogEntry {
	t.Helper()
	mark := randomToken()
	client := &http.Client{Timeout: markTimeout, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Get(s.URL + "/_realpeers/id?mark=" + mark)
	if err != nil {
		t.Fatalf("realpeers: marker request: %v", err)
	}
	resp.Body.Close()
	path := filepath.Join(s.base, "logs", "access.log")
	deadline := time.Now().Add(markTimeout)
	var (
		last   []LogEntry
		stable time.Time // since when the log read the same, once marked
	)
	for delay := time.Millisecond; ; delay = min(2*delay, 10*time.Millisecond) {
		entries, marked, err := readAccessLog(path, mark)
		if err != nil {
			t.Fatalf("realpeers: %v", err)
		}
		switch {
		case !marked:
		case stable.IsZero() || !slices.Equal(entries, last):
			last, stable = entries, time.Now()
		case time.Since(stable) >= settleTime:
			return entries
		}
		if time.Now().After(deadline) {
			if marked {
				return last
			}
			t.Fatalf("realpeers: %s did not log the marker request within %v", s.Name, markTimeout)
		}
		time.Sleep(delay)
	}
}

// lateLogTimeout bounds AccessLogWhen's wait for lines written late.
const lateLogTimeout = 5 * time.Second

// AccessLogWhen is AccessLog for requests sent through a client whose idle
// connections (idle: an *http.Client or *http.Transport) it closes first,
// because Apache's mod_http2 writes an HTTP/2 stream's line only when it
// next handles that stream's connection: it then reads the log until done
// accepts it, or 5 s pass, and returns the last one read.
func (s *Server) AccessLogWhen(t testing.TB, idle interface{ CloseIdleConnections() }, done func([]LogEntry) bool) []LogEntry {
	t.Helper()
	idle.CloseIdleConnections()
	log := s.AccessLog(t)
	for deadline := time.Now().Add(lateLogTimeout); !done(log) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		log = s.AccessLog(t)
	}
	return log
}

// Count returns how many logged requests had method (any method when it is
// "") and the request target uri (path and query, as sent).
func (s *Server) Count(t testing.TB, method, uri string) int {
	t.Helper()
	n := 0
	for _, e := range s.AccessLog(t) {
		if e.URI == uri && (method == "" || e.Method == method) {
			n++
		}
	}
	return n
}

// readAccessLog parses the log at path and reports whether the line of the
// marker request is in it. Lines after the marker count too: Apache can log
// a request after a marker sent later.
func readAccessLog(path, mark string) ([]LogEntry, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	var out []LogEntry
	marked := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		e, ok := parseLogLine(sc.Text())
		if !ok {
			continue
		}
		if strings.HasPrefix(e.URI, "/_realpeers/") {
			marked = marked || strings.HasSuffix(e.URI, "mark="+mark)
			continue
		}
		out = append(out, e)
	}
	return out, marked, sc.Err()
}

// parseLogLine reads the `"METHOD URI PROTO" STATUS` part that the combined
// (nginx) and common (Apache) formats share, or the request's method and
// uri and the status of a Caddy JSON line.
func parseLogLine(line string) (LogEntry, bool) {
	if strings.HasPrefix(line, "{") {
		var e struct {
			Request struct{ Method, URI string }
			Status  int
		}
		if json.Unmarshal([]byte(line), &e) != nil || e.Request.Method == "" || e.Status == 0 {
			return LogEntry{}, false
		}
		return LogEntry{Method: e.Request.Method, URI: e.Request.URI, Status: e.Status}, true
	}
	_, rest, ok := strings.Cut(line, `"`)
	if !ok {
		return LogEntry{}, false
	}
	request, rest, ok := strings.Cut(rest, `" `)
	if !ok {
		return LogEntry{}, false
	}
	fields := strings.Fields(request)
	if len(fields) < 2 {
		return LogEntry{}, false
	}
	statusField, _, _ := strings.Cut(rest, " ")
	status, err := strconv.Atoi(statusField)
	if err != nil {
		return LogEntry{}, false
	}
	return LogEntry{Method: fields[0], URI: fields[1], Status: status}, true
}
