// This file pins down where nginx 1.22, Apache 2.4 and Caddy 2.6 behave
// differently, and where one server behaves differently over http/1.1,
// https/1.1 and https/h2 (and a few places where one might expect them to
// but they do not). Each case observes one behaviour as a short string on
// every server and transport and compares it with what that server is known
// to do there, so a server upgrade that changes a behaviour shows up here.
// The SDK's integration tests must accept every answer. layout_test.go
// checks the common layout.

package realpeers

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// difference is one observed behaviour and what each server does.
type difference struct {
	name  string
	why   string // what it means for the SDK
	probe func(t *testing.T, p Peer) string
	// want maps a server to the observed behaviour on every transport
	// ("nginx"), or on one transport ("nginx https/h2"), which wins.
	want map[string]string
}

var differences = []difference{
	// --- Expect and preflight ---------------------------------------------
	{
		name: "Expect: foo on GET, then a second request on the connection",
		why: "Over HTTP/1.1 Apache and Caddy (Go's server) answer 417 to an unknown expectation; nginx ignores it. A Preflight client must treat 417 as " +
			"'resend without Expect' and cannot count on seeing it. Apache also closes the connection after its 417 without saying Connection: close, so " +
			"Go's Transport pools the dead connection and the resend fails (EOF or reset) unless it is retried on a new one; Caddy says close. " +
			"Over HTTP/2 only Apache answers 417, and all keep the connection.",
		probe: func(t *testing.T, p Peer) string {
			return twoOnOneConn(t, p, "GET /files/a.txt HTTP/1.1\r\nHost: x\r\nExpect: foo\r\n\r\n", "Expect", "foo")
		},
		want: map[string]string{
			"nginx":           "200 close=false, then 200",
			"apache":          "417 close=false, then closed",
			"caddy":           "417 close=true, then closed",
			"nginx https/h2":  "200, then 200 on the same connection",
			"apache https/h2": "417, then 200 on the same connection",
			"caddy https/h2":  "200, then 200 on the same connection",
		},
	},
	{
		name: "Expect: 100-continue, PUT 2 MiB (Content-Length) to /small/",
		why:  "All reject from the headers alone, on every transport: the body is never sent.",
		probe: func(t *testing.T, p Peer) string {
			return expect(t, p, "PUT", "/small/e1.bin", pattern(2<<20))
		},
		want: map[string]string{"nginx": "413 without 100", "apache": "413 without 100", "caddy": "413 without 100"},
	},
	{
		name: "Expect: 100-continue, PUT chunked 2 MiB to /small/",
		why: "Without Content-Length none can preflight the size: 100, then 413 part-way. nginx never sends 100 over HTTP/2: " +
			"a preflighting client waits its whole timeout there, on every upload until it remembers the origin.",
		probe: func(t *testing.T, p Peer) string {
			return expect(t, p, "PUT", "/small/e2.bin", pattern(2<<20), "Transfer-Encoding", "chunked")
		},
		want: map[string]string{"nginx": "100 then 413", "apache": "100 then 413", "caddy": "100 then 413", "nginx https/h2": "silence then 413"},
	},
	{
		name: "Expect: 100-continue, PUT to read-only /files/",
		why: "nginx rejects the method before 100; Apache says 100 and lets the body come for a 405 over HTTP/1.1, but not over HTTP/2; " +
			"Caddy's file_server serves the file for any method, without reading the body.",
		probe: func(t *testing.T, p Peer) string {
			return expect(t, p, "PUT", "/files/a.txt", []byte("body"))
		},
		want: map[string]string{"nginx": "405 without 100", "apache": "100 then 405", "caddy": "200 without 100", "apache https/h2": "405 without 100"},
	},
	{
		name: "Expect: 100-continue, PUT to /redirect307/",
		why: "nginx says 100 over HTTP/1.1 (it discards the body after `return`), so a preflighted PUT to an Alias sends its body twice; " +
			"Apache and Caddy redirect before 100, and so does nginx over HTTP/2.",
		probe: func(t *testing.T, p Peer) string {
			return expect(t, p, "PUT", "/redirect307/e3.txt", []byte("body"))
		},
		want: map[string]string{"nginx": "100 then 307", "apache": "307 without 100", "caddy": "307 without 100", "nginx https/h2": "307 without 100"},
	},
	{
		name: "Expect: 100-continue, POST to /problem/409",
		why:  "The same for errors: nginx's `return` says 100 first over HTTP/1.1, the others do not.",
		probe: func(t *testing.T, p Peer) string {
			return expect(t, p, "POST", "/problem/409", []byte("body"))
		},
		want: map[string]string{"nginx": "100 then 409", "apache": "409 without 100", "caddy": "409 without 100", "nginx https/h2": "409 without 100"},
	},
	{
		name: "Expect: 100-continue, PUT new file to /dav/",
		why:  "Caddy (Go's server) sends 100 when its handler first reads the body: here its reverse_proxy, at once.",
		probe: func(t *testing.T, p Peer) string {
			return expect(t, p, "PUT", "/dav/e4.txt", []byte("body"))
		},
		want: map[string]string{"nginx": "100 then 201", "apache": "100 then 201", "caddy": "100 then 201", "nginx https/h2": "silence then 201"},
	},
	{
		name: "Expect: 100-continue, PUT to /dav/ with a stale If-Match",
		why:  "Apache checks the precondition before 100 (an Entity preflight that works); nginx and Caddy's backend ignore If-Match on PUT altogether.",
		probe: func(t *testing.T, p Peer) string {
			WriteFile(t, p.DAVRoot, "e5.txt", []byte("old"))
			return expect(t, p, "PUT", "/dav/e5.txt", []byte("body"), "If-Match", `"stale"`)
		},
		want: map[string]string{"nginx": "100 then 204", "apache": "412 without 100", "caddy": "100 then 201", "nginx https/h2": "silence then 204"},
	},

	// --- Conditional WebDAV requests (Entity mixin) -------------------------
	{
		name: "DAV PUT with a stale If-Match",
		why: "nginx's dav module and golang.org/x/net/webdav (Caddy's backend) ignore preconditions: SDK tests of 412 on PUT/DELETE must use Apache. " +
			"x/net/webdav answers 201 to every successful PUT, new file or not.",
		probe: func(t *testing.T, p Peer) string {
			WriteFile(t, p.DAVRoot, "c1.txt", []byte("old"))
			return status(t, p, "PUT", "/dav/c1.txt", []byte("new"), "If-Match", `"stale"`)
		},
		want: map[string]string{"nginx": "204", "apache": "412", "caddy": "201"},
	},
	{
		name: "DAV PUT with the current ETag in If-Match",
		probe: func(t *testing.T, p Peer) string {
			WriteFile(t, p.DAVRoot, "c2.txt", []byte("old"))
			etag := head(t, p, "/dav/c2.txt").Get("ETag")
			return status(t, p, "PUT", "/dav/c2.txt", []byte("new"), "If-Match", etag)
		},
		want: map[string]string{"nginx": "204", "apache": "204", "caddy": "201"},
	},
	{
		name: "DAV PUT If-Match: * to a missing file (forced change)",
		probe: func(t *testing.T, p Peer) string {
			return status(t, p, "PUT", "/dav/c3.txt", []byte("new"), "If-Match", "*")
		},
		want: map[string]string{"nginx": "201", "apache": "412", "caddy": "201"},
	},
	{
		name: "DAV PUT If-None-Match: * to an existing file (create only)",
		probe: func(t *testing.T, p Peer) string {
			WriteFile(t, p.DAVRoot, "c4.txt", []byte("old"))
			return status(t, p, "PUT", "/dav/c4.txt", []byte("new"), "If-None-Match", "*")
		},
		want: map[string]string{"nginx": "204", "apache": "412", "caddy": "201"},
	},
	{
		name: "DAV PUT with an old If-Unmodified-Since",
		probe: func(t *testing.T, p Peer) string {
			WriteFile(t, p.DAVRoot, "c5.txt", []byte("old"))
			return status(t, p, "PUT", "/dav/c5.txt", []byte("new"), "If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT")
		},
		want: map[string]string{"nginx": "204", "apache": "412", "caddy": "201"},
	},
	{
		name: "DAV DELETE with a stale If-Match",
		probe: func(t *testing.T, p Peer) string {
			WriteFile(t, p.DAVRoot, "c6.txt", []byte("old"))
			return status(t, p, "DELETE", "/dav/c6.txt", nil, "If-Match", `"stale"`)
		},
		want: map[string]string{"nginx": "204", "apache": "412", "caddy": "204"},
	},

	// --- WebDAV responses ---------------------------------------------------
	{
		name: "DAV PUT of a new file: status, Location, ETag, body",
		why: "nginx and Apache send no validators after PUT (the Entity mixin's 204 + etag): the SDK must HEAD for them; Caddy's backend sends a strong ETag. " +
			"Location is relative on nginx, absolute on Apache, absent on Caddy.",
		probe: func(t *testing.T, p Peer) string {
			resp, body := p.do(t, "PUT", "/dav/r1.txt", []byte("new"))
			return fmt.Sprintf("%d location=%s etag=%s body=%s", resp.StatusCode,
				locationForm(p, resp.Header.Get("Location"), "/dav/r1.txt"), etagKind(resp), bodyKind(resp, body))
		},
		want: map[string]string{
			"nginx":  `201 location=relative etag=none body=empty`,
			"apache": `201 location=absolute etag=none body=text/html`,
			"caddy":  `201 location=none etag=strong body=text/plain`,
		},
	},
	{
		name: "DAV PUT replacing a file: status, ETag",
		probe: func(t *testing.T, p Peer) string {
			WriteFile(t, p.DAVRoot, "r2.txt", []byte("old"))
			resp, body := p.do(t, "PUT", "/dav/r2.txt", []byte("new"))
			return fmt.Sprintf("%d etag=%s body=%s", resp.StatusCode, etagKind(resp), bodyKind(resp, body))
		},
		want: map[string]string{"nginx": `204 etag=none body=empty`, "apache": `204 etag=none body=empty`, "caddy": `201 etag=strong body=text/plain`},
	},
	{
		name:  "DAV PUT below a missing directory",
		why:   "nginx (create_full_put_path) makes the directories; Apache and Caddy's backend answer 409 as RFC 4918 says.",
		probe: func(t *testing.T, p Peer) string { return status(t, p, "PUT", "/dav/x/y/z.txt", []byte("new")) },
		want:  map[string]string{"nginx": "201", "apache": "409", "caddy": "409"},
	},
	{
		name:  "DAV MKCOL without a trailing slash",
		probe: func(t *testing.T, p Peer) string { return status(t, p, "MKCOL", "/dav/noslash", nil) },
		want:  map[string]string{"nginx": "409", "apache": "201", "caddy": "201"},
	},
	{
		name: "DAV COPY and MOVE to a new name",
		probe: func(t *testing.T, p Peer) string {
			WriteFile(t, p.DAVRoot, "m1.txt", []byte("m"))
			c := status(t, p, "COPY", "/dav/m1.txt", nil, "Destination", p.URL+"/dav/m2.txt")
			m := status(t, p, "MOVE", "/dav/m2.txt", nil, "Destination", p.URL+"/dav/m3.txt")
			return "COPY " + c + ", MOVE " + m
		},
		want: map[string]string{"nginx": "COPY 204, MOVE 204", "apache": "COPY 201, MOVE 201", "caddy": "COPY 201, MOVE 201"},
	},

	// --- Static files -------------------------------------------------------
	{
		name: "416: Content-Range",
		why:  "Apache 2.4 sends no `content-range: bytes */TOTAL` with 416: a resuming client cannot learn the size from it and must HEAD.",
		probe: func(t *testing.T, p Peer) string {
			resp, _ := p.do(t, "GET", "/files/a.txt", nil, "Range", "bytes=1000-")
			return fmt.Sprintf("%d content-range=%q", resp.StatusCode, resp.Header.Get("Content-Range"))
		},
		want: map[string]string{"nginx": `416 content-range="bytes */5"`, "apache": `416 content-range=""`, "caddy": `416 content-range="bytes */5"`},
	},
	{
		name: "ETag of a file modified within the last second",
		why:  "Apache makes it weak (W/), so Range + If-Range gets 200 until the second has passed; WriteFile backdates files to avoid this.",
		probe: func(t *testing.T, p Peer) string {
			path := WriteFile(t, p.DocRoot, "fresh1.txt", []byte("fresh"))
			now := time.Now()
			if err := os.Chtimes(path, now, now); err != nil {
				t.Fatal(err)
			}
			etag := head(t, p, "/files/fresh1.txt").Get("ETag")
			if strings.HasPrefix(etag, "W/") {
				return "weak"
			}
			return "strong"
		},
		want: map[string]string{"nginx": "strong", "apache": "weak", "caddy": "strong"},
	},
	{
		name: "If-Range with the Last-Modified date of a file modified 10 s ago",
		why:  "Apache treats a date as strong only when it is at least 60 s before Date (RFC 9110 8.8.2.2) and answers 200; nginx and Caddy compare the dates as they are.",
		probe: func(t *testing.T, p Peer) string {
			path := WriteFile(t, p.DocRoot, "fresh2.txt", []byte("fresh content"))
			mtime := time.Now().Add(-10 * time.Second)
			if err := os.Chtimes(path, mtime, mtime); err != nil {
				t.Fatal(err)
			}
			lastMod := head(t, p, "/files/fresh2.txt").Get("Last-Modified")
			return status(t, p, "GET", "/files/fresh2.txt", nil, "Range", "bytes=0-4", "If-Range", lastMod)
		},
		want: map[string]string{"nginx": "206", "apache": "200", "caddy": "206"},
	},
	{
		name:  "POST to a static file",
		why:   "Apache and Caddy serve the file as for GET; nginx refuses.",
		probe: func(t *testing.T, p Peer) string { return status(t, p, "POST", "/files/a.txt", []byte("x")) },
		want:  map[string]string{"nginx": "405", "apache": "200", "caddy": "200"},
	},
	{
		name: "OPTIONS on a static file",
		probe: func(t *testing.T, p Peer) string {
			resp, _ := p.do(t, "OPTIONS", "/files/a.txt", nil)
			return fmt.Sprintf("%d allow=%q", resp.StatusCode, allowLines(resp))
		},
		want: map[string]string{"nginx": `405 allow=[]`, "apache": `200 allow=["GET,HEAD,OPTIONS,POST"]`, "caddy": `200 allow=[]`},
	},
	{
		name: "DELETE on /l3/: status and allow header lines",
		why: "On 405 Apache adds its own Allow line to the configured one: a client joining all allow lines gets more methods than the resource offers. " +
			"Caddy's file_server serves the file for any method, so a DELETE gets 200 and the file.",
		probe: func(t *testing.T, p Peer) string {
			resp, _ := p.do(t, "DELETE", "/l3/a.txt", nil)
			return fmt.Sprintf("%d allow=%q", resp.StatusCode, allowLines(resp))
		},
		want: map[string]string{
			"nginx":  `405 allow=["GET,HEAD"]`,
			"apache": `405 allow=["GET,HEAD" "GET,HEAD,OPTIONS,POST"]`,
			"caddy":  `200 allow=["GET,HEAD"]`,
		},
	},

	// --- Redirects and errors -----------------------------------------------
	{
		name: "Location of /redirect307/ and /redirect308/",
		why:  "All resolve to URL+/files/NAME (Apache's absolute one with the scheme of the transport); the SDK must resolve Location against the request URL.",
		probe: func(t *testing.T, p Peer) string {
			r7, _ := p.do(t, "GET", "/redirect307/a.txt", nil)
			r8, _ := p.do(t, "PUT", "/redirect308/a.txt", []byte("x"))
			return locationForm(p, r7.Header.Get("Location"), "/files/a.txt") + " " +
				locationForm(p, r8.Header.Get("Location"), "/files/a.txt")
		},
		want: map[string]string{"nginx": "relative relative", "apache": "absolute absolute", "caddy": "relative relative"},
	},
	{
		name: "Connection after /problem/503 and /problem/409",
		why: "Apache closes the connection after a 503 (not after 409) over HTTP/1.1: a retrying client must dial again. " +
			"Over HTTP/2 it keeps the connection.",
		probe: func(t *testing.T, p Peer) string {
			_, conns := sequence(t, p.HTTPClient(t), p.URL,
				request{"GET", "/problem/503", nil}, request{"GET", "/problem/409", nil}, request{"GET", "/files/a.txt", nil})
			return "after 503: " + conns[1] + ", after 409: " + conns[2]
		},
		want: map[string]string{
			"nginx":           "after 503: the same connection, after 409: the same connection",
			"apache":          "after 503: a new connection, after 409: the same connection",
			"caddy":           "after 503: the same connection, after 409: the same connection",
			"apache https/h2": "after 503: the same connection, after 409: the same connection",
		},
	},
	{
		name: "Validators on /problem/409",
		why:  "Apache's problem body is an ErrorDocument file and keeps its ETag and Last-Modified; the SDK must not cache error bodies by them.",
		probe: func(t *testing.T, p Peer) string {
			resp, _ := p.do(t, "GET", "/problem/409", nil)
			return fmt.Sprintf("etag=%v last-modified=%v", resp.Header.Get("ETag") != "", resp.Header.Get("Last-Modified") != "")
		},
		want: map[string]string{
			"nginx":  "etag=false last-modified=false",
			"apache": "etag=true last-modified=true",
			"caddy":  "etag=false last-modified=false",
		},
	},

	// --- Transports ---------------------------------------------------------
	{
		name: "Upgrade header on the first response over TLS with HTTP/1.1",
		why: "Apache's mod_http2 advertises h2 with Upgrade (and Connection: Upgrade) on HTTP/1.1 responses over TLS, where RFC 9113 3.1 " +
			"allows h2 only by ALPN; clients must ignore it (Go's does).",
		probe: func(t *testing.T, p Peer) string {
			resp, _ := doWith(t, p.HTTPClient(t), "GET", p.URL+"/files/a.txt", nil) // on a new connection
			return fmt.Sprintf("upgrade=%q", resp.Header.Get("Upgrade"))
		},
		want: map[string]string{"nginx": `upgrade=""`, "apache": `upgrade=""`, "caddy": `upgrade=""`, "apache https/1.1": `upgrade="h2"`},
	},
}

// TestDifferences runs every difference against every server on every
// transport.
func TestDifferences(t *testing.T) {
	t.Parallel()
	Run(t, func(t *testing.T, p Peer) {
		WriteFile(t, p.DocRoot, "a.txt", []byte("hello"))
		for _, d := range differences {
			t.Run(d.name, func(t *testing.T) {
				t.Parallel()
				got := d.probe(t, p)
				if want := d.wanted(p); got != want {
					t.Errorf("%s: %s\n got: %s\nwant: %s\n(%s)", p, d.name, got, want, d.why)
				}
			})
		}
	})
}

// wanted returns what d expects of p: want["nginx https/h2"] when present,
// else want["nginx"].
func (d difference) wanted(p Peer) string {
	if w, ok := d.want[p.Name+" "+p.Transport.Name]; ok {
		return w
	}
	return d.want[p.Name]
}

// status sends one request and returns its status code as a string.
func status(t *testing.T, p Peer, method, path string, body []byte, header ...string) string {
	t.Helper()
	resp, _ := p.do(t, method, path, body, header...)
	return strconv.Itoa(resp.StatusCode)
}

// head returns the header of a HEAD request that must succeed.
func head(t *testing.T, p Peer, path string) http.Header {
	t.Helper()
	resp, body := p.do(t, "HEAD", path, nil)
	wantStatus(t, resp, body, 200)
	return resp.Header
}

// locationForm says whether loc is path as a relative reference, or the
// same as an absolute URL on p.
func locationForm(p Peer, loc, path string) string {
	switch loc {
	case path:
		return "relative"
	case p.URL + path:
		return "absolute"
	case "":
		return "none"
	}
	return fmt.Sprintf("unexpected %q", loc)
}

// allowLines returns resp's allow header lines, each with its methods
// sorted (Apache's order varies from run to run) and without spaces.
func allowLines(resp *http.Response) []string {
	lines := []string{}
	for _, v := range resp.Header.Values("Allow") {
		var methods []string
		for _, m := range strings.Split(v, ",") {
			methods = append(methods, strings.TrimSpace(m))
		}
		slices.Sort(methods)
		lines = append(lines, strings.Join(methods, ","))
	}
	return lines
}

// etagKind describes resp's ETag: none, weak or strong.
func etagKind(resp *http.Response) string {
	switch etag := resp.Header.Get("ETag"); {
	case etag == "":
		return "none"
	case strings.HasPrefix(etag, "W/"):
		return "weak"
	}
	return "strong"
}

// bodyKind describes a response body: empty, or its content type.
func bodyKind(resp *http.Response, body []byte) string {
	if len(body) == 0 {
		return "empty"
	}
	ct, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	return ct
}

// dialH1 opens a connection to p for hand-written HTTP/1.1: TCP, or TLS
// with ALPN http/1.1 (the certificate verified with the run's CA).
func dialH1(t *testing.T, p Peer) net.Conn {
	t.Helper()
	host := p.URL[strings.Index(p.URL, "//")+2:]
	var conn net.Conn
	var err error
	if p.Transport.TLS {
		cfg := TLSConfig()
		cfg.NextProtos = []string{"http/1.1"}
		conn, err = tls.Dial("tcp", host, cfg)
	} else {
		conn, err = net.Dial("tcp", host)
	}
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// twoOnOneConn sends the raw request first on a new connection, reads the
// response, then sends GET /files/a.txt on the same connection and
// describes both: "417 close=false, then closed". Over HTTP/2 it sends both
// with Go's client (the first with the header pairs of first) and says
// whether the second went on the same connection: "417, then 200 on the
// same connection".
func twoOnOneConn(t *testing.T, p Peer, first string, h2header ...string) string {
	t.Helper()
	if p.Transport.HTTP2 {
		return twoOnOneH2(t, p, h2header...)
	}
	conn := dialH1(t, p)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	if _, err := io.WriteString(conn, first); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err != nil {
		t.Fatalf("first response: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	out := fmt.Sprintf("%d close=%v, then ", resp.StatusCode, resp.Close)
	if _, err := io.WriteString(conn, "GET /files/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return out + "closed"
	}
	second, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		return out + "closed" // EOF or reset, as the close and the request cross
	case err != nil:
		return out + err.Error()
	}
	io.Copy(io.Discard, second.Body)
	return out + strconv.Itoa(second.StatusCode)
}

// twoOnOneH2 is twoOnOneConn over HTTP/2.
func twoOnOneH2(t *testing.T, p Peer, header ...string) string {
	t.Helper()
	c := p.HTTPClient(t)
	statuses, conns := sequence(t, c, p.URL,
		request{"GET", "/files/a.txt", header},
		request{"GET", "/files/a.txt", nil})
	return fmt.Sprintf("%d, then %d on %s", statuses[0], statuses[1], conns[1])
}

// request is one request of a sequence.
type request struct {
	method, path string
	header       []string // name, value pairs
}

// sequence sends the requests one after the other with c and returns their
// statuses and, for each, "a new connection" or "the same connection" (as
// the one before it).
func sequence(t *testing.T, c *http.Client, base string, reqs ...request) (statuses []int, conns []string) {
	t.Helper()
	var prev net.Conn
	for _, r := range reqs {
		var info httptrace.GotConnInfo
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { info = i }}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), r.method, base+r.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(r.header); i += 2 {
			req.Header.Add(r.header[i], r.header[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", r.method, r.path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
		if info.Reused && info.Conn == prev {
			conns = append(conns, "the same connection")
		} else {
			conns = append(conns, "a new connection")
		}
		prev = info.Conn
	}
	return statuses, conns
}

// expect sends method path with Expect: 100-continue, holding the body back
// until the server answers 100 Continue (or says nothing for 2 s, as
// clients do), and describes what happened: "413 without 100", "100 then
// 201" or "silence then 201". Header pairs are added; with
// Transfer-Encoding: chunked the body goes without a Content-Length
// (chunked in HTTP/1.1, DATA frames of unknown total in HTTP/2).
//
// HTTP/1.1 requests are written by hand with Connection: close (Go's client
// sends the body after a final answer on a connection it keeps, which would
// hide what the server did); HTTP/2 ones go through Go's client, which
// holds the body until 100, the final answer or the timeout.
func expect(t *testing.T, p Peer, method, path string, body []byte, header ...string) string {
	t.Helper()
	if p.Transport.HTTP2 {
		return expectH2(t, p, method, path, body, header...)
	}
	conn := dialH1(t, p)
	defer conn.Close()
	chunked := false
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Type: application/octet-stream\r\n",
		method, path, p.URL[strings.Index(p.URL, "//")+2:])
	for i := 0; i+1 < len(header); i += 2 {
		fmt.Fprintf(&head, "%s: %s\r\n", header[i], header[i+1])
		chunked = chunked || (strings.EqualFold(header[i], "Transfer-Encoding") && header[i+1] == "chunked")
	}
	if !chunked {
		fmt.Fprintf(&head, "Content-Length: %d\r\n", len(body))
	}
	head.WriteString("\r\n")
	if _, err := io.WriteString(conn, head.String()); err != nil {
		t.Fatal(err)
	}
	sendBody := func() {
		// The server may answer and close while the body is on its way:
		// write errors are part of what is observed, not a failure.
		go func() {
			if chunked {
				fmt.Fprintf(conn, "%x\r\n", len(body))
				conn.Write(body)
				io.WriteString(conn, "\r\n0\r\n\r\n")
			} else {
				conn.Write(body)
			}
		}()
	}

	br := bufio.NewReader(conn)
	req := &http.Request{Method: method}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	first, err := http.ReadResponse(br, req)
	prefix := ""
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		prefix = "silence then "
		sendBody()
	case err != nil:
		t.Fatalf("%s %s: reading the first response: %v", method, path, err)
	case first.StatusCode == http.StatusContinue:
		prefix = "100 then "
		sendBody()
	default:
		io.Copy(io.Discard, first.Body)
		return strconv.Itoa(first.StatusCode) + " without 100"
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		final, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatalf("%s %s: reading the final response: %v", method, path, err)
		}
		io.Copy(io.Discard, final.Body)
		if final.StatusCode >= 200 {
			return prefix + strconv.Itoa(final.StatusCode)
		}
		prefix += strconv.Itoa(final.StatusCode) + " then " // a second interim response
	}
}

// expectH2 is expect over HTTP/2, with Go's client: "silence" is a body
// that went out before any answer came, after the 2 s wait.
func expectH2(t *testing.T, p Peer, method, path string, body []byte, header ...string) string {
	t.Helper()
	tr := p.Transport.HTTPTransport()
	tr.ExpectContinueTimeout = 2 * time.Second
	defer tr.CloseIdleConnections()

	var got100, answered, sentFirst atomic.Bool
	trace := &httptrace.ClientTrace{
		Got100Continue:       func() { got100.Store(true) },
		GotFirstResponseByte: func() { answered.Store(true) },
	}
	ctx := httptrace.WithClientTrace(context.Background(), trace)
	req, err := http.NewRequestWithContext(ctx, method, p.URL+path, &firstRead{r: bytes.NewReader(body), before: &answered, sentFirst: &sentFirst})
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Expect", "100-continue")
	req.Header.Set("Content-Type", "application/octet-stream")
	for i := 0; i+1 < len(header); i += 2 {
		if strings.EqualFold(header[i], "Transfer-Encoding") && header[i+1] == "chunked" {
			req.ContentLength = -1
			continue
		}
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := (&http.Client{Transport: tr, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}).Do(req)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", method, path, p.Transport, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch {
	case got100.Load():
		return "100 then " + strconv.Itoa(resp.StatusCode)
	case sentFirst.Load():
		return "silence then " + strconv.Itoa(resp.StatusCode)
	}
	return strconv.Itoa(resp.StatusCode) + " without 100"
}

// firstRead is a body that records whether the transport began reading it
// before the first byte of an answer (100 or final) came.
type firstRead struct {
	r         io.Reader
	before    *atomic.Bool // the answer came
	sentFirst *atomic.Bool // set on the first Read if before was not yet set
	began     bool
}

func (f *firstRead) Read(b []byte) (int, error) {
	if !f.began {
		f.began = true
		f.sentFirst.Store(!f.before.Load())
	}
	return f.r.Read(b)
}
