// This file holds the faults about expect: 100-continue that need more than
// a status: KeepOpen (answer early, keep the connection, read the body
// afterwards) and NoContinue (never answer 100). faults.go holds the Fault
// type; server.go applies faults.

package mocks

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"strings"
	"time"
)

// drainTimeout bounds how long a KeepOpen or NoContinue fault waits for a
// client to send a body it may never send.
const drainTimeout = 10 * time.Second

// KeepOpen serves the resource normally, except that an answer given before
// the request body was read (a 413 from MaxBody, say) keeps the connection
// open, and the server then reads (and counts in [Server.BodyBytes]) the body
// the client sends, as RFC 9110 §10.1.1 allows. net/http's server, like nginx
// and Apache, closes the connection instead; a client that preflights with
// expect: 100-continue must send no body byte to either.
//
// Use the method [Fault.KeepOpen] to do the same for a status fault.
//
// HTTP/1 only: over HTTP/2 a rejection never costs the connection (the server
// resets the stream), so there the fault serves the request normally.
func KeepOpen() Fault { return Fault{keepOpen: true, dropAfter: -1, times: 1} }

// KeepOpen makes the fault's answer keep the connection open; the server
// then reads the request body, as [KeepOpen] describes:
//
//	srv.Fail("/up", mocks.Status(http.StatusForbidden).KeepOpen())
//	srv.Fail("/up", mocks.Expect417().KeepOpen())
func (f Fault) KeepOpen() Fault {
	f.keepOpen = true
	return f
}

// NoContinue makes the server ignore expect: 100-continue: it never answers
// 100, reads the body when it arrives, serves the request normally and then
// closes the connection. It applies to the next request that carries an
// expect header (others are served normally and do not use it up).
//
// HTTP/1 only: over HTTP/2, net/http's server always answers 100 at the
// first read of the body, so there the request is served normally.
func NoContinue() Fault { return Fault{noContinue: true, dropAfter: -1, times: 1} }

// keepingOpen answers r with f (or normally), then reads what is left of
// the body. orig is the request net/http holds, r the copy handlers read.
func (s *Server) keepingOpen(w http.ResponseWriter, orig, r *http.Request, f Fault) {
	rc := http.NewResponseController(w)
	if r.ProtoMajor == 1 {
		// net/http closes the connection after an answer that left an
		// expect: 100-continue body unread; hiding its body type keeps the
		// connection open, and full duplex lets the answer go out before
		// the body is read.
		orig.Body = r.Body
		_ = rc.EnableFullDuplex()
	} else {
		f.keepOpen = false
	}
	if f.status != 0 {
		f.writeError(w)
	} else {
		s.behave(w, r, r.URL.Path)
	}
	if !f.keepOpen {
		return
	}
	_ = rc.Flush()
	_ = rc.SetReadDeadline(time.Now().Add(drainTimeout))
	_, _ = io.Copy(io.Discard, r.Body)
}

// withoutContinue serves r over the raw connection, never answering 100,
// and reports whether it did (false: HTTP/2, or no expect header, so the
// caller serves normally).
func (s *Server) withoutContinue(w http.ResponseWriter, r *http.Request, _ Fault) bool {
	if r.ProtoMajor != 1 || r.Header.Get("Expect") == "" {
		return false
	}
	counted, ok := r.Body.(*countingBody)
	if !ok {
		return false
	}
	// Hijacking before the first read of the body means net/http never
	// writes 100 Continue.
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(drainTimeout))
	r.Body = &countingBody{ReadCloser: io.NopCloser(rawBody(r, brw.Reader)), n: counted.n}

	rec := httptest.NewRecorder()
	s.behave(rec, r, r.URL.Path)
	_, _ = io.Copy(io.Discard, r.Body)

	resp := rec.Result()
	resp.ProtoMajor, resp.ProtoMinor = 1, 1
	resp.ContentLength = int64(rec.Body.Len())
	resp.Close = true
	resp.Header.Del("Transfer-Encoding")
	if r.Method == http.MethodHead {
		resp.Body = http.NoBody
	}
	bw := bufio.NewWriter(conn)
	if resp.Write(bw) == nil {
		_ = bw.Flush()
	}
	return true
}

// rawBody returns the body of r as it arrives on a hijacked connection.
func rawBody(r *http.Request, br *bufio.Reader) io.Reader {
	for _, te := range r.TransferEncoding {
		if strings.EqualFold(te, "chunked") {
			return httputil.NewChunkedReader(br)
		}
	}
	if r.ContentLength > 0 {
		return io.LimitReader(br, r.ContentLength)
	}
	return http.NoBody
}
