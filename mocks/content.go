// This file holds what a Content resource does for downloads: GET and HEAD
// with ranges (409 to a fail-fast range whose If-Match fails), resources
// that refuse ranges or throttle each response, and the faults a resuming
// download must survive: connections cut at content offsets, bytes that
// change between requests, a lying content-length. faults.go holds the
// other faults; behaviour.go the other methods.

package mocks

import (
	"bytes"
	"context"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DropAt serves the resource normally but cuts the connection when the body
// reaches byte offset of the content (not of the response: for a 206 the
// count starts at its content-range). Only a GET whose range covers offset
// uses the fault up; other requests are served normally. Queue several to
// cut a download several times:
//
//	srv.Fail("/f", mocks.DropAt(1000), mocks.DropAt(5000))
func DropAt(offset int64) Fault {
	return Fault{dropAt: offset, dropAtSet: true, dropAfter: -1, times: 1, methods: []string{http.MethodGet}}
}

// StallAt serves the resource normally until the body reaches byte offset
// of the content, then sends nothing more, keeping the connection open,
// until the client gives up: a stalled transfer. Like [DropAt], only a GET
// whose range covers offset uses it up.
func StallAt(offset int64) Fault {
	f := DropAt(offset)
	f.stall = true
	return f
}

// ChangeBody replaces the resource's bytes, with new validators, just
// before the request is answered, as if another client had changed them
// between two requests of a download.
func ChangeBody(body []byte) Fault {
	return Fault{change: append([]byte(nil), body...), changeSet: true, dropAfter: -1, times: 1}
}

// IgnoreRange serves the whole content with 200 to a GET with a Range
// header, as a server does that advertises ranges but does not honour them.
func IgnoreRange() Fault {
	return Fault{ignoreRange: true, dropAfter: -1, times: 1, methods: []string{http.MethodGet}}
}

// LieLength answers with content-length n whatever the body holds: a
// smaller n silently shortens the body, a larger one leaves the client
// waiting for bytes that never come until the server closes the
// connection. It applies to GET only.
func LieLength(n int64) Fault {
	return Fault{lieLength: n, lieSet: true, dropAfter: -1, times: 1, methods: []string{http.MethodGet}}
}

// Attachment returns a content-disposition value that names a file as
// RFC 6266 says: filename with an ASCII fallback and, for other names,
// filename* with the UTF-8 name (RFC 8187). Put it in Resource.Header.
func Attachment(name string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": name})
}

// serveContent answers GET and HEAD for any resource: Range, If-Range and
// the conditional headers by net/http's ServeContent, plus what a Level 3
// Content resource adds: 409 Conflict to a range request whose If-Match (or
// If-Unmodified-Since) fails (the fail-fast way to resume), no ranges with
// NoRanges, and a rate limit with Rate.
func (s *Server) serveContent(w http.ResponseWriter, r *http.Request, res *Resource) {
	if r.Header.Get("Range") != "" && preconditions(r, res) != 0 && !res.NoRanges {
		Problem(http.StatusConflict, "Content Changed", "the content is not the version the range asked for").writeError(w)
		return
	}
	if res.NoRanges {
		r.Header.Del("Range")
		r.Header.Del("If-Range")
		w = &headerRewriter{ResponseWriter: w, set: http.Header{"Accept-Ranges": {"none"}}}
	}
	if res.Rate > 0 && r.Method == http.MethodGet {
		w = &throttledWriter{ResponseWriter: w, ctx: r.Context(), rate: res.Rate, start: time.Now()}
	}
	http.ServeContent(w, r, "", res.LastModified, bytes.NewReader(res.Body))
}

// contentFault applies the download faults of f to w for r.
func (s *Server) contentFault(f Fault, w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	if f.changeSet {
		s.SetBody(r.URL.Path, f.change)
	}
	if f.ignoreRange {
		r.Header.Del("Range")
	}
	if f.dropAtSet {
		w = &offsetDropper{ResponseWriter: w, at: f.dropAt, stall: f.stall, ctx: r.Context()}
	}
	if f.lieSet {
		w = &lyingWriter{headerRewriter{ResponseWriter: w, set: http.Header{"Content-Length": {strconv.FormatInt(f.lieLength, 10)}}}, f.lieLength}
	}
	return w
}

// rangeCovers reports whether a request with this range header asks for
// the byte at offset: no range, or a first range that starts at or before
// offset and ends at or after it (suffix and multiple ranges count as yes).
func rangeCovers(rangeHeader string, offset int64) bool {
	spec, ok := strings.CutPrefix(strings.TrimSpace(rangeHeader), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return true
	}
	first, last, _ := strings.Cut(spec, "-")
	if first == "" {
		return true
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start > offset {
		return err != nil
	}
	if last == "" {
		return true
	}
	end, err := strconv.ParseInt(last, 10, 64)
	return err != nil || end >= offset
}

// headerRewriter sets headers just before the status line goes out,
// overriding what the handler set.
type headerRewriter struct {
	http.ResponseWriter
	set   http.Header
	wrote bool
}

func (h *headerRewriter) WriteHeader(code int) {
	if !h.wrote {
		h.wrote = true
		for name, vals := range h.set {
			h.Header()[name] = vals
		}
	}
	h.ResponseWriter.WriteHeader(code)
}

func (h *headerRewriter) Write(p []byte) (int, error) {
	if !h.wrote {
		h.WriteHeader(http.StatusOK)
	}
	return h.ResponseWriter.Write(p)
}

// Flush passes flushes on.
func (h *headerRewriter) Flush() {
	if f, ok := h.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// lyingWriter claims a content-length and sends at most that many bytes of
// the body, silently dropping the rest.
type lyingWriter struct {
	headerRewriter
	left int64
}

func (l *lyingWriter) Write(p []byte) (int, error) {
	n := min(int64(len(p)), l.left)
	if n > 0 {
		if _, err := l.headerRewriter.Write(p[:n]); err != nil {
			return 0, err
		}
		l.left -= n
	} else if !l.wrote {
		l.WriteHeader(http.StatusOK)
	}
	return len(p), nil
}

// offsetDropper cuts the connection (or with stall, stops sending until the
// client goes away) when the body reaches content offset at, learning where
// the body starts from content-range.
type offsetDropper struct {
	http.ResponseWriter
	at    int64
	stall bool
	ctx   context.Context
	drop  *droppingWriter // nil until the header is written; stays nil when at is not in the body
	wrote bool
}

func (o *offsetDropper) WriteHeader(code int) {
	if !o.wrote {
		o.wrote = true
		start := int64(0)
		if code == http.StatusPartialContent {
			cr := strings.TrimPrefix(o.Header().Get("Content-Range"), "bytes ")
			first, _, _ := strings.Cut(cr, "-")
			start, _ = strconv.ParseInt(first, 10, 64)
		}
		if code < 300 && o.at >= start {
			o.drop = &droppingWriter{ResponseWriter: o.ResponseWriter, left: o.at - start}
			if o.stall {
				o.drop.stall = o.ctx
			}
		}
	}
	o.ResponseWriter.WriteHeader(code)
}

func (o *offsetDropper) Write(p []byte) (int, error) {
	if !o.wrote {
		o.WriteHeader(http.StatusOK)
	}
	if o.drop != nil {
		return o.drop.Write(p)
	}
	return o.ResponseWriter.Write(p)
}

// throttledWriter sends at most rate bytes per second since start, in
// slices of a twentieth of a second, flushing each so the client sees the
// pace; it gives up when the client goes away.
type throttledWriter struct {
	http.ResponseWriter
	ctx   context.Context
	rate  int64
	start time.Time
	sent  int64
}

func (t *throttledWriter) Write(p []byte) (int, error) {
	slice := max(int(t.rate/20), 1)
	n := 0
	for n < len(p) {
		due := t.start.Add(time.Duration(float64(t.sent) / float64(t.rate) * float64(time.Second)))
		if d := time.Until(due); d > 0 && !sleep(t.ctx, d) {
			return n, t.ctx.Err()
		}
		m, err := t.ResponseWriter.Write(p[n:min(n+slice, len(p))])
		n += m
		t.sent += int64(m)
		if f, ok := t.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
