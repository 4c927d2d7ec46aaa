// This file holds Fault, the misbehaviour a resource can be scripted to show
// for its next requests. server.go consumes faults; resource.go holds the
// normal behaviour.

package mocks

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is one scripted misbehaviour. Queue it with [Server.Fail]; it applies
// to the next request(s) of the resource, then is used up. Build faults with
// [Status], [Problem], [DropAfter], [Hangup], [DropResponse], [Delay], [Expect417],
// for uploads [KeepOpen] or [NoContinue], or for downloads [DropAt], [StallAt],
// [ChangeBody], [IgnoreRange] and [LieLength], and refine them with the With,
// Times and KeepOpen methods. Fault values are copied when queued.
type Fault struct {
	status     int
	problem    map[string]any
	retryAfter string
	header     http.Header
	dropAfter  int64 // -1: no drop; else close the connection after this many body bytes
	delay      time.Duration
	expect417  bool
	hangup     bool
	lose       bool // serve normally, then drop the connection instead of answering
	keepOpen   bool // answer, keep the connection, then read the body (expect.go)
	noContinue bool // never answer 100; read the body anyway (expect.go)
	methods    []string
	times      int

	// Content faults (content.go).
	dropAt      int64 // with dropAtSet: cut the body at this content offset
	dropAtSet   bool
	stall       bool   // with dropAtSet: stall instead of cutting
	change      []byte // with changeSet: new bytes of the resource
	changeSet   bool
	lieLength   int64 // with lieSet: the content-length to claim
	lieSet      bool
	ignoreRange bool
}

// Status answers the request with code and an empty body.
func Status(code int) Fault { return Fault{status: code, dropAfter: -1, times: 1} }

// Problem answers with code and an application/problem+json body (RFC 9457)
// whose members are title, detail, status and type, an absolute URI made
// from code by [ProblemType]. Add members, or replace type, with
// WithMember.
func Problem(code int, title, detail string) Fault {
	f := Status(code)
	f.problem = map[string]any{
		"type":   ProblemType(code),
		"title":  title,
		"status": code,
		"detail": detail,
	}
	return f
}

// ProblemType returns the problem type URI the server sends with status
// code: https://level3.rest/problems/ followed by the status text in lower
// case with hyphens (404 gives .../problems/not-found), or about:blank
// (RFC 9457 §4.2.1) for a code without a status text.
func ProblemType(code int) string {
	text := http.StatusText(code)
	if text == "" {
		return "about:blank"
	}
	var b strings.Builder
	b.WriteString("https://level3.rest/problems/")
	hyphen := false
	for _, r := range strings.ToLower(text) {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			if hyphen {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			hyphen = false
		case r == '\'':
			// I'm a teapot: im-a-teapot
		default:
			hyphen = b.Len() > len("https://level3.rest/problems/")
		}
	}
	return b.String()
}

// DropAfter serves the resource normally but closes the connection after n
// bytes of the response body, so the client sees an unexpected EOF.
func DropAfter(n int64) Fault { return Fault{dropAfter: n, times: 1} }

// Hangup closes the connection without answering, as a crashed server or a
// dropped network path does; the client sees EOF or a reset.
func Hangup() Fault { return Fault{hangup: true, dropAfter: -1, times: 1} }

// DropResponse serves the request normally, so that everything it does
// happens (a resource is created, an idempotency key remembered), but closes
// the connection instead of sending the answer, as when a gateway times out
// or the network fails after the server acted. The client sees EOF or a
// reset and cannot know whether the request took effect.
func DropResponse() Fault { return Fault{lose: true, dropAfter: -1, times: 1} }

// Delay waits d (or until the client goes away) before serving normally.
func Delay(d time.Duration) Fault { return Fault{delay: d, dropAfter: -1, times: 1} }

// Expect417 answers 417 Expectation Failed to a request that carries
// expect: 100-continue, as a server that cannot preflight does, without
// reading the body. Requests without expect are served normally and do not use
// up the fault. HTTP/1 only: net/http's HTTP/2 server removes the expect
// header before a handler sees it, so over HTTP/2 the fault never applies.
func Expect417() Fault {
	return Fault{status: http.StatusExpectationFailed, expect417: true, dropAfter: -1, times: 1}
}

// Times makes the fault apply to the next n requests (at least 1).
func (f Fault) Times(n int) Fault {
	f.times = max(n, 1)
	return f
}

// WithRetryAfter adds a Retry-After header (seconds or an HTTP-date).
func (f Fault) WithRetryAfter(v string) Fault {
	f.retryAfter = v
	return f
}

// WithHeader adds a response header.
func (f Fault) WithHeader(name, value string) Fault {
	h := f.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Add(name, value)
	f.header = h
	return f
}

// WithMember adds an extension member to a [Problem] body.
func (f Fault) WithMember(name string, value any) Fault {
	p := make(map[string]any, len(f.problem)+1)
	for k, v := range f.problem {
		p[k] = v
	}
	p[name] = value
	f.problem = p
	return f
}

// OnlyFor restricts the fault to requests with one of the given methods;
// others are served normally and do not use it up.
func (f Fault) OnlyFor(methods ...string) Fault {
	f.methods = append([]string(nil), methods...)
	return f
}

// matches reports whether the fault applies to r.
func (f *Fault) matches(r *http.Request) bool {
	if (f.expect417 || f.noContinue) && r.Header.Get("Expect") == "" {
		return false
	}
	if f.dropAtSet && !rangeCovers(r.Header.Get("Range"), f.dropAt) {
		return false
	}
	if len(f.methods) == 0 {
		return true
	}
	for _, m := range f.methods {
		if m == r.Method {
			return true
		}
	}
	return false
}

// writeError answers with the fault's status, headers and problem body.
func (f Fault) writeError(w http.ResponseWriter) {
	for name, vals := range f.header {
		w.Header()[name] = vals
	}
	if f.retryAfter != "" {
		w.Header().Set("Retry-After", f.retryAfter)
	}
	if f.problem == nil {
		if bodyAllowed(f.status) {
			w.Header().Set("Content-Length", "0")
		}
		w.WriteHeader(f.status)
		return
	}
	body, _ := json.Marshal(f.problem)
	w.Header().Set("Content-Type", "application/problem+json")
	// An explicit length lets the answer end before the handler returns,
	// which a KeepOpen fault relies on.
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(f.status)
	_, _ = w.Write(body)
}

// discardWriter is a ResponseWriter whose answer goes nowhere, for
// DropResponse.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// bodyAllowed reports whether a response with this status may have a body
// (RFC 9110 §6.4.1).
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
