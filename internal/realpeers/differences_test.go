// This file pins down where nginx 1.22 and Apache 2.4 behave differently
// (and a few places where one might expect them to but they do not). Each
// case observes one behaviour as a short string and compares it with what
// each server is known to do, so a server upgrade that changes a behaviour
// shows up here. The SDK's integration tests must accept both answers.
// layout_test.go checks the common layout.

package realpeers

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// difference is one observed behaviour and what each server does.
type difference struct {
	name  string
	why   string // what it means for the SDK
	probe func(t *testing.T, s *Server) string
	want  map[string]string // server name -> observed behaviour
}

var differences = []difference{
	// --- Expect and preflight ---------------------------------------------
	{
		name: "Expect: foo on GET, then a second request on the connection",
		why: "Only Apache answers 417 to an unknown expectation; nginx ignores it. A Preflight client must treat 417 as 'resend without Expect' " +
			"and cannot count on seeing it. Apache also closes the connection after its 417 without saying Connection: close, so " +
			"Go's Transport pools the dead connection and the resend fails with EOF unless it is retried on a new one.",
		probe: func(t *testing.T, s *Server) string {
			return twoOnOneConn(t, s, "GET /files/a.txt HTTP/1.1\r\nHost: x\r\nExpect: foo\r\n\r\n")
		},
		want: map[string]string{
			"nginx":  "200 close=false, then 200",
			"apache": "417 close=false, then EOF",
		},
	},
	{
		name: "Expect: 100-continue, PUT 2 MiB (Content-Length) to /small/",
		why:  "Both reject from the headers alone: the body is never sent.",
		probe: func(t *testing.T, s *Server) string {
			return expect(t, s, "PUT", "/small/e1.bin", pattern(2<<20))
		},
		want: map[string]string{"nginx": "413 without 100", "apache": "413 without 100"},
	},
	{
		name: "Expect: 100-continue, PUT chunked 2 MiB to /small/",
		why:  "Without Content-Length neither can preflight the size: 100, then 413 part-way.",
		probe: func(t *testing.T, s *Server) string {
			return expect(t, s, "PUT", "/small/e2.bin", pattern(2<<20), "Transfer-Encoding", "chunked")
		},
		want: map[string]string{"nginx": "100 then 413", "apache": "100 then 413"},
	},
	{
		name: "Expect: 100-continue, PUT to read-only /files/",
		why:  "nginx rejects the method before 100; Apache says 100 and lets the body come for a 405.",
		probe: func(t *testing.T, s *Server) string {
			return expect(t, s, "PUT", "/files/a.txt", []byte("body"))
		},
		want: map[string]string{"nginx": "405 without 100", "apache": "100 then 405"},
	},
	{
		name: "Expect: 100-continue, PUT to /redirect307/",
		why:  "nginx says 100 (it discards the body after `return`), so a preflighted PUT to an Alias sends its body twice; Apache redirects before 100.",
		probe: func(t *testing.T, s *Server) string {
			return expect(t, s, "PUT", "/redirect307/e3.txt", []byte("body"))
		},
		want: map[string]string{"nginx": "100 then 307", "apache": "307 without 100"},
	},
	{
		name: "Expect: 100-continue, POST to /problem/409",
		why:  "The same for errors: nginx's `return` says 100 first, Apache does not.",
		probe: func(t *testing.T, s *Server) string {
			return expect(t, s, "POST", "/problem/409", []byte("body"))
		},
		want: map[string]string{"nginx": "100 then 409", "apache": "409 without 100"},
	},
	{
		name: "Expect: 100-continue, PUT new file to /dav/",
		probe: func(t *testing.T, s *Server) string {
			return expect(t, s, "PUT", "/dav/e4.txt", []byte("body"))
		},
		want: map[string]string{"nginx": "100 then 201", "apache": "100 then 201"},
	},
	{
		name: "Expect: 100-continue, PUT to /dav/ with a stale If-Match",
		why:  "Apache checks the precondition before 100 (an Entity preflight that works); nginx ignores If-Match on PUT altogether.",
		probe: func(t *testing.T, s *Server) string {
			WriteFile(t, s.DAVRoot, "e5.txt", []byte("old"))
			return expect(t, s, "PUT", "/dav/e5.txt", []byte("body"), "If-Match", `"stale"`)
		},
		want: map[string]string{"nginx": "100 then 204", "apache": "412 without 100"},
	},

	// --- Conditional WebDAV requests (Entity mixin) -------------------------
	{
		name: "DAV PUT with a stale If-Match",
		why:  "nginx's dav module ignores preconditions: SDK tests of 412 on PUT/DELETE must use Apache.",
		probe: func(t *testing.T, s *Server) string {
			WriteFile(t, s.DAVRoot, "c1.txt", []byte("old"))
			return status(t, s, "PUT", "/dav/c1.txt", []byte("new"), "If-Match", `"stale"`)
		},
		want: map[string]string{"nginx": "204", "apache": "412"},
	},
	{
		name: "DAV PUT with the current ETag in If-Match",
		probe: func(t *testing.T, s *Server) string {
			WriteFile(t, s.DAVRoot, "c2.txt", []byte("old"))
			etag := head(t, s, "/dav/c2.txt").Get("ETag")
			return status(t, s, "PUT", "/dav/c2.txt", []byte("new"), "If-Match", etag)
		},
		want: map[string]string{"nginx": "204", "apache": "204"},
	},
	{
		name: "DAV PUT If-Match: * to a missing file (forced change)",
		probe: func(t *testing.T, s *Server) string {
			return status(t, s, "PUT", "/dav/c3.txt", []byte("new"), "If-Match", "*")
		},
		want: map[string]string{"nginx": "201", "apache": "412"},
	},
	{
		name: "DAV PUT If-None-Match: * to an existing file (create only)",
		probe: func(t *testing.T, s *Server) string {
			WriteFile(t, s.DAVRoot, "c4.txt", []byte("old"))
			return status(t, s, "PUT", "/dav/c4.txt", []byte("new"), "If-None-Match", "*")
		},
		want: map[string]string{"nginx": "204", "apache": "412"},
	},
	{
		name: "DAV PUT with an old If-Unmodified-Since",
		probe: func(t *testing.T, s *Server) string {
			WriteFile(t, s.DAVRoot, "c5.txt", []byte("old"))
			return status(t, s, "PUT", "/dav/c5.txt", []byte("new"), "If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT")
		},
		want: map[string]string{"nginx": "204", "apache": "412"},
	},
	{
		name: "DAV DELETE with a stale If-Match",
		probe: func(t *testing.T, s *Server) string {
			WriteFile(t, s.DAVRoot, "c6.txt", []byte("old"))
			return status(t, s, "DELETE", "/dav/c6.txt", nil, "If-Match", `"stale"`)
		},
		want: map[string]string{"nginx": "204", "apache": "412"},
	},

	// --- WebDAV responses ---------------------------------------------------
	{
		name: "DAV PUT of a new file: status, Location, ETag, body",
		why:  "Neither sends validators after PUT (the Entity mixin's 204 + etag): the SDK must HEAD for them. Location is relative on nginx, absolute on Apache.",
		probe: func(t *testing.T, s *Server) string {
			resp, body := do(t, "PUT", s.URL+"/dav/r1.txt", []byte("new"))
			return fmt.Sprintf("%d location=%s etag=%q body=%s", resp.StatusCode,
				locationForm(s, resp.Header.Get("Location"), "/dav/r1.txt"), resp.Header.Get("ETag"), bodyKind(resp, body))
		},
		want: map[string]string{
			"nginx":  `201 location=relative etag="" body=empty`,
			"apache": `201 location=absolute etag="" body=text/html`,
		},
	},
	{
		name: "DAV PUT replacing a file: status, ETag",
		probe: func(t *testing.T, s *Server) string {
			WriteFile(t, s.DAVRoot, "r2.txt", []byte("old"))
			resp, body := do(t, "PUT", s.URL+"/dav/r2.txt", []byte("new"))
			return fmt.Sprintf("%d etag=%q body=%s", resp.StatusCode, resp.Header.Get("ETag"), bodyKind(resp, body))
		},
		want: map[string]string{"nginx": `204 etag="" body=empty`, "apache": `204 etag="" body=empty`},
	},
	{
		name:  "DAV PUT below a missing directory",
		why:   "nginx (create_full_put_path) makes the directories; Apache answers 409 as RFC 4918 says.",
		probe: func(t *testing.T, s *Server) string { return status(t, s, "PUT", "/dav/x/y/z.txt", []byte("new")) },
		want:  map[string]string{"nginx": "201", "apache": "409"},
	},
	{
		name:  "DAV MKCOL without a trailing slash",
		probe: func(t *testing.T, s *Server) string { return status(t, s, "MKCOL", "/dav/noslash", nil) },
		want:  map[string]string{"nginx": "409", "apache": "201"},
	},
	{
		name: "DAV COPY and MOVE to a new name",
		probe: func(t *testing.T, s *Server) string {
			WriteFile(t, s.DAVRoot, "m1.txt", []byte("m"))
			c := status(t, s, "COPY", "/dav/m1.txt", nil, "Destination", s.URL+"/dav/m2.txt")
			m := status(t, s, "MOVE", "/dav/m2.txt", nil, "Destination", s.URL+"/dav/m3.txt")
			return "COPY " + c + ", MOVE " + m
		},
		want: map[string]string{"nginx": "COPY 204, MOVE 204", "apache": "COPY 201, MOVE 201"},
	},

	// --- Static files -------------------------------------------------------
	{
		name: "416: Content-Range",
		why:  "Apache 2.4 sends no `content-range: bytes */TOTAL` with 416: a resuming client cannot learn the size from it and must HEAD.",
		probe: func(t *testing.T, s *Server) string {
			resp, _ := do(t, "GET", s.URL+"/files/a.txt", nil, "Range", "bytes=1000-")
			return fmt.Sprintf("%d content-range=%q", resp.StatusCode, resp.Header.Get("Content-Range"))
		},
		want: map[string]string{"nginx": `416 content-range="bytes */5"`, "apache": `416 content-range=""`},
	},
	{
		name: "ETag of a file modified within the last second",
		why:  "Apache makes it weak (W/), so Range + If-Range gets 200 until the second has passed; WriteFile backdates files to avoid this.",
		probe: func(t *testing.T, s *Server) string {
			path := WriteFile(t, s.DocRoot, "fresh1.txt", []byte("fresh"))
			now := time.Now()
			if err := os.Chtimes(path, now, now); err != nil {
				t.Fatal(err)
			}
			etag := head(t, s, "/files/fresh1.txt").Get("ETag")
			if strings.HasPrefix(etag, "W/") {
				return "weak"
			}
			return "strong"
		},
		want: map[string]string{"nginx": "strong", "apache": "weak"},
	},
	{
		name: "If-Range with the Last-Modified date of a file modified 10 s ago",
		why:  "Apache treats a date as strong only when it is at least 60 s before Date (RFC 9110 8.8.2.2) and answers 200; nginx compares the dates as they are.",
		probe: func(t *testing.T, s *Server) string {
			path := WriteFile(t, s.DocRoot, "fresh2.txt", []byte("fresh content"))
			mtime := time.Now().Add(-10 * time.Second)
			if err := os.Chtimes(path, mtime, mtime); err != nil {
				t.Fatal(err)
			}
			lastMod := head(t, s, "/files/fresh2.txt").Get("Last-Modified")
			return status(t, s, "GET", "/files/fresh2.txt", nil, "Range", "bytes=0-4", "If-Range", lastMod)
		},
		want: map[string]string{"nginx": "206", "apache": "200"},
	},
	{
		name:  "POST to a static file",
		why:   "Apache serves the file as for GET; nginx refuses.",
		probe: func(t *testing.T, s *Server) string { return status(t, s, "POST", "/files/a.txt", []byte("x")) },
		want:  map[string]string{"nginx": "405", "apache": "200"},
	},
	{
		name: "OPTIONS on a static file",
		probe: func(t *testing.T, s *Server) string {
			resp, _ := do(t, "OPTIONS", s.URL+"/files/a.txt", nil)
			return fmt.Sprintf("%d allow=%q", resp.StatusCode, allowLines(resp))
		},
		want: map[string]string{"nginx": `405 allow=[]`, "apache": `200 allow=["GET,HEAD,OPTIONS,POST"]`},
	},
	{
		name: "405 on /l3/: allow header lines",
		why:  "On 405 Apache adds its own Allow line to the configured one: a client joining all allow lines gets more methods than the resource offers.",
		probe: func(t *testing.T, s *Server) string {
			resp, _ := do(t, "DELETE", s.URL+"/l3/a.txt", nil)
			return fmt.Sprintf("%d allow=%q", resp.StatusCode, allowLines(resp))
		},
		want: map[string]string{
			"nginx":  `405 allow=["GET,HEAD"]`,
			"apache": `405 allow=["GET,HEAD" "GET,HEAD,OPTIONS,POST"]`,
		},
	},

	// --- Redirects and errors -----------------------------------------------
	{
		name: "Location of /redirect307/ and /redirect308/",
		why:  "Both resolve to URL+/files/NAME; the SDK must resolve Location against the request URL.",
		probe: func(t *testing.T, s *Server) string {
			r7, _ := do(t, "GET", s.URL+"/redirect307/a.txt", nil)
			r8, _ := do(t, "PUT", s.URL+"/redirect308/a.txt", []byte("x"))
			return locationForm(s, r7.Header.Get("Location"), "/files/a.txt") + " " +
				locationForm(s, r8.Header.Get("Location"), "/files/a.txt")
		},
		want: map[string]string{"nginx": "relative relative", "apache": "absolute absolute"},
	},
	{
		name: "Connection after /problem/503 and /problem/409",
		why:  "Apache closes the connection after a 503 (not after 409); a retrying client must dial again.",
		probe: func(t *testing.T, s *Server) string {
			r3, _ := do(t, "GET", s.URL+"/problem/503", nil)
			r4, _ := do(t, "GET", s.URL+"/problem/409", nil)
			return fmt.Sprintf("503 close=%v, 409 close=%v", r3.Close, r4.Close)
		},
		want: map[string]string{"nginx": "503 close=false, 409 close=false", "apache": "503 close=true, 409 close=false"},
	},
	{
		name: "Validators on /problem/409",
		why:  "Apache's problem body is an ErrorDocument file and keeps its ETag and Last-Modified; the SDK must not cache error bodies by them.",
		probe: func(t *testing.T, s *Server) string {
			resp, _ := do(t, "GET", s.URL+"/problem/409", nil)
			return fmt.Sprintf("etag=%v last-modified=%v", resp.Header.Get("ETag") != "", resp.Header.Get("Last-Modified") != "")
		},
		want: map[string]string{"nginx": "etag=false last-modified=false", "apache": "etag=true last-modified=true"},
	},
}

// TestDifferences runs every difference against both servers.
func TestDifferences(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *Server) {
		WriteFile(t, s.DocRoot, "a.txt", []byte("hello"))
		for _, d := range differences {
			t.Run(d.name, func(t *testing.T) {
				t.Parallel()
				got := d.probe(t, s)
				if want := d.want[s.Name]; got != want {
					t.Errorf("%s: %s\n got: %s\nwant: %s\n(%s)", s.Name, d.name, got, want, d.why)
				}
			})
		}
	})
}

// status sends one request and returns its status code as a string.
func status(t *testing.T, s *Server, method, path string, body []byte, header ...string) string {
	t.Helper()
	resp, _ := do(t, method, s.URL+path, body, header...)
	return strconv.Itoa(resp.StatusCode)
}

// head returns the header of a HEAD request that must succeed.
func head(t *testing.T, s *Server, path string) http.Header {
	t.Helper()
	resp, body := do(t, "HEAD", s.URL+path, nil)
	wantStatus(t, resp, body, 200)
	return resp.Header
}

// locationForm says whether loc is path as a relative reference, or the
// same as an absolute URL on s.
func locationForm(s *Server, loc, path string) string {
	switch loc {
	case path:
		return "relative"
	case s.URL + path:
		return "absolute"
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

// bodyKind describes a response body: empty, or its content type.
func bodyKind(resp *http.Response, body []byte) string {
	if len(body) == 0 {
		return "empty"
	}
	ct, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	return ct
}

// twoOnOneConn sends the raw request first on a new connection, reads the
// response, then sends GET /files/a.txt on the same connection and
// describes both: "417 close=false, then EOF".
func twoOnOneConn(t *testing.T, s *Server, first string) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
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
		return out + "write error"
	}
	second, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return out + "EOF"
	case err != nil:
		return out + err.Error()
	}
	io.Copy(io.Discard, second.Body)
	return out + strconv.Itoa(second.StatusCode)
}

// expect sends method path with Expect: 100-continue by hand, holding the
// body back until the server answers 100 Continue (or says nothing for
// 2 s, as clients do), and describes what happened: "413 without 100",
// "100 then 201" or "silence then 201". Header pairs are added; with
// Transfer-Encoding: chunked the body is sent as one chunk.
func expect(t *testing.T, s *Server, method, path string, body []byte, header ...string) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	chunked := false
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Type: application/octet-stream\r\n",
		method, path, strings.TrimPrefix(s.URL, "http://"))
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
	final, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatalf("%s %s: reading the final response: %v", method, path, err)
	}
	io.Copy(io.Discard, final.Body)
	return prefix + strconv.Itoa(final.StatusCode)
}
