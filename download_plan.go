// This file holds the decisions of a download as small pure functions, apart
// from the I/O that download.go and download_parallel.go do around them:
// which validator identifies the bytes already on disk (the Validators
// methods strongETag, strongDate, ifRange, differs), what
// request continues a download (planResume), and what a response means for
// the file (judgeResponse, judgeConfirm). Each is table-tested.

package level3

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The validators of a download are the Validators of the response that
// delivered its bytes (etag and last-modified), with that response's Date,
// which decides whether the date is a strong validator. These methods hold
// the rules of RFC 9110 that downloads need.

// responseDate returns the date header of h, zero when absent or malformed.
func responseDate(h http.Header) time.Time {
	d, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return time.Time{}
	}
	return d
}

// strongETag returns the entity tag if it is strong, else "". Weak tags
// (W/"...") cannot validate ranges or If-Match (RFC 9110 §8.8.3.2).
func (v Validators) strongETag() string {
	if !v.Strong() {
		return ""
	}
	return v.ETag
}

// strongDate returns the last-modified date, as an HTTP date, if it is a
// strong validator given the date of the response that carried it, else "".
// RFC 9110 §8.8.2.2: a date is strong only when it is at least 60 seconds
// before the Date of that response; otherwise the content may have changed
// twice within the same second.
func (v Validators) strongDate(date time.Time) string {
	if v.LastModified.IsZero() || date.IsZero() || date.Sub(v.LastModified) < 60*time.Second {
		return ""
	}
	return v.LastModified.UTC().Format(http.TimeFormat)
}

// ifRange returns the value for If-Range (RFC 9110 §13.1.5): the strong
// entity tag, else the strong last-modified date, never both and never a
// weak tag; "" when there is none, and the download cannot safely resume.
func (v Validators) ifRange(date time.Time) string {
	if tag := v.strongETag(); tag != "" {
		return tag
	}
	return v.strongDate(date)
}

// differs reports whether o is known to be another version than v: both
// carry an entity tag and the tags differ, or not both carry one and both
// carry a last-modified date, and the dates differ (a response that drops
// the tag but brings another date is another version).
func (v Validators) differs(o Validators) bool {
	if v.ETag != "" && o.ETag != "" {
		return v.ETag != o.ETag
	}
	return !v.LastModified.IsZero() && !o.LastModified.IsZero() && !v.LastModified.Equal(o.LastModified)
}

// rangeRequest is the shape of one GET of a download: the byte range and
// the conditional headers that tie it to the bytes already on disk.
type rangeRequest struct {
	Ranged bool
	Start  int64 // first byte asked for
	End    int64 // last byte asked for (inclusive); -1: to the end

	IfRange           string // refetch: a strong validator
	IfMatch           string // fail-fast: the strong entity tag
	IfUnmodifiedSince string // fail-fast without an entity tag: the strong date
	IfNoneMatch       string // KnownVersion
	IfModifiedSince   string // KnownVersion without an entity tag
}

// header writes the request's headers into h. Downloads always ask for the
// identity encoding, so that byte offsets mean the same thing in every
// response and net/http does not decompress behind the download's back.
func (r rangeRequest) header(h http.Header) {
	h.Set("Accept-Encoding", "identity")
	if r.Ranged {
		v := "bytes=" + strconv.FormatInt(r.Start, 10) + "-"
		if r.End >= 0 {
			v += strconv.FormatInt(r.End, 10)
		}
		h.Set("Range", v)
	}
	set := func(name, v string) {
		if v != "" {
			h.Set(name, v)
		}
	}
	set("If-Range", r.IfRange)
	set("If-Match", r.IfMatch)
	set("If-Unmodified-Since", r.IfUnmodifiedSince)
	set("If-None-Match", r.IfNoneMatch)
	set("If-Modified-Since", r.IfModifiedSince)
}

// conditional reports whether the request carries a fail-fast precondition.
func (r rangeRequest) conditional() bool { return r.IfMatch != "" || r.IfUnmodifiedSince != "" }

// planResume decides the request that continues a download of which the
// first have bytes, of the version described by local (delivered by a
// response dated date), are on disk. It
// returns discard when those bytes cannot be used and must be thrown away:
// resuming was turned off, or no strong validator ties them to the server's
// current content.
//
//   - refetch (the default): range bytes=have- with If-Range and the strong
//     etag, else the strong last-modified date (RFC 9110 §13.1.5);
//   - fail-fast: range bytes=have- with If-Match and the strong etag, else
//     If-Unmodified-Since and the strong date.
func planResume(have int64, local Validators, date time.Time, failFast, noResume bool) (req rangeRequest, discard bool) {
	if have <= 0 {
		return rangeRequest{End: -1}, false
	}
	if noResume {
		return rangeRequest{End: -1}, true
	}
	resume := rangeRequest{Ranged: true, Start: have, End: -1}
	switch {
	case !failFast && local.ifRange(date) != "":
		resume.IfRange = local.ifRange(date)
	case failFast && local.strongETag() != "":
		resume.IfMatch = local.strongETag()
	case failFast && local.strongDate(date) != "":
		resume.IfUnmodifiedSince = local.strongDate(date)
	default:
		return rangeRequest{End: -1}, true
	}
	return resume, false
}

// verdictKind is what a response means for the file.
type verdictKind int

const (
	// verdictWrite: copy the body into the file at Offset; with Restart,
	// the content is new and what was on disk is discarded first.
	verdictWrite verdictKind = iota
	// verdictDone: 416 and the file already holds the whole content.
	verdictDone
	// verdictConfirm: 416 without content-range (Apache): ask HEAD.
	verdictConfirm
	// verdictRefetch: the answer cannot be trusted for the bytes on disk
	// (an inconsistent 206, or content that shrank): discard them and
	// start again with a plain GET.
	verdictRefetch
	// verdictChanged: fail-fast and the content changed (409, 412, or a
	// 206 with another entity tag).
	verdictChanged
	// verdictNotModified: 304 to KnownVersion.
	verdictNotModified
	// verdictUnexpected: a response the protocol does not allow here.
	verdictUnexpected
	// verdictError: an error status the download does not handle; the
	// caller returns the typed error as it is.
	verdictError
)

// dlVerdict is judgeResponse's answer.
type dlVerdict struct {
	Kind    verdictKind
	Offset  int64  // verdictWrite: where the body's first byte goes
	Length  int64  // verdictWrite: how many body bytes to expect; -1 unknown
	Total   int64  // length of the whole content; -1 unknown
	Restart bool   // verdictWrite: the content is new, discard the file first
	Reason  string // why, for errors and logs
}

// judgeResponse says what a response with status, header h and
// contentLength (-1 unknown) means for a download that sent req, holds have
// bytes of the version local, and knows the content to be total bytes long
// (-1 unknown). For statuses of 400 and more, h is the header of the typed
// error's response.
func judgeResponse(req rangeRequest, have, total int64, local Validators, status int, h http.Header, contentLength int64) dlVerdict {
	switch {
	case status == http.StatusOK:
		// Unranged, or the validator did not match (RFC 9110 §13.1.5), or the
		// server ignores ranges: the whole content, from byte 0.
		return dlVerdict{Kind: verdictWrite, Length: contentLength, Total: contentLength, Restart: req.Ranged}
	case status == http.StatusPartialContent:
		return judgePartial(req, total, local, h, contentLength)
	case status == http.StatusRequestedRangeNotSatisfiable:
		cr, err := parseContentRange(h.Get("Content-Range"))
		if err != nil || !cr.Unsatisfied {
			return dlVerdict{Kind: verdictConfirm, Total: -1, Reason: "416 without content-range"}
		}
		refetch := func(reason string) dlVerdict { return dlVerdict{Kind: verdictRefetch, Total: cr.Total, Reason: reason} }
		switch {
		case local.differs(ValidatorsOf(h)):
			return refetch("416 with other validators than the partial file's")
		case total >= 0 && cr.Total != total:
			// One of the two lengths is a lie, or the content changed:
			// either way the bytes on disk cannot be called complete.
			return refetch("416 says the content is " + strconv.FormatInt(cr.Total, 10) + " bytes long, " + strconv.FormatInt(total, 10) + " were announced")
		case req.Ranged && req.End < 0 && have > 0 && cr.Total == have:
			return dlVerdict{Kind: verdictDone, Total: cr.Total}
		}
		return refetch("416: the content is " + strconv.FormatInt(cr.Total, 10) + " bytes long now")
	case status == http.StatusConflict || status == http.StatusPreconditionFailed:
		if req.conditional() {
			return dlVerdict{Kind: verdictChanged, Total: -1, Reason: strconv.Itoa(status) + " to a fail-fast range request"}
		}
		return dlVerdict{Kind: verdictError, Total: -1}
	case status == http.StatusNotModified:
		if req.IfNoneMatch != "" || req.IfModifiedSince != "" {
			return dlVerdict{Kind: verdictNotModified, Total: -1}
		}
		return dlVerdict{Kind: verdictUnexpected, Total: -1, Reason: "304 Not Modified to an unconditional GET"}
	case status >= 400:
		return dlVerdict{Kind: verdictError, Total: -1}
	default:
		return dlVerdict{Kind: verdictUnexpected, Total: -1, Reason: "unexpected status " + strconv.Itoa(status)}
	}
}

// judgePartial checks a 206 against the request: one range (not
// multipart/byteranges), starting where asked, ending no later than asked,
// of a content as long as known and of the same version.
func judgePartial(req rangeRequest, total int64, local Validators, h http.Header, contentLength int64) dlVerdict {
	if !req.Ranged {
		return dlVerdict{Kind: verdictUnexpected, Total: -1, Reason: "206 Partial Content to a request without range"}
	}
	refetch := func(reason string) dlVerdict { return dlVerdict{Kind: verdictRefetch, Total: -1, Reason: reason} }
	if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); strings.EqualFold(mt, "multipart/byteranges") {
		return refetch("multipart/byteranges answer to a single range")
	}
	cr, err := parseContentRange(h.Get("Content-Range"))
	switch {
	case err != nil || cr.Unsatisfied:
		return refetch("206 with a malformed content-range " + strconv.Quote(h.Get("Content-Range")))
	case cr.Start != req.Start:
		return refetch("206 starts at byte " + strconv.FormatInt(cr.Start, 10) + ", asked for " + strconv.FormatInt(req.Start, 10))
	case req.End >= 0 && cr.End > req.End:
		return refetch("206 ends at byte " + strconv.FormatInt(cr.End, 10) + ", after the " + strconv.FormatInt(req.End, 10) + " asked for")
	case total >= 0 && cr.Total >= 0 && cr.Total != total:
		if req.conditional() {
			return dlVerdict{Kind: verdictChanged, Total: cr.Total, Reason: "the content length changed"}
		}
		return refetch("the content is " + strconv.FormatInt(cr.Total, 10) + " bytes long now, was " + strconv.FormatInt(total, 10))
	case contentLength >= 0 && contentLength != cr.Length():
		return refetch("206 content-length " + strconv.FormatInt(contentLength, 10) + " does not match content-range " + strconv.Quote(h.Get("Content-Range")))
	}
	if local.differs(ValidatorsOf(h)) {
		if req.conditional() {
			return dlVerdict{Kind: verdictChanged, Total: cr.Total, Reason: "206 with another entity tag"}
		}
		return refetch("206 with another entity tag than the partial file's")
	}
	if cr.Total < 0 {
		cr.Total = total
	}
	return dlVerdict{Kind: verdictWrite, Offset: cr.Start, Length: cr.Length(), Total: cr.Total}
}

// judgeConfirm decides, after a 416 without content-range, from a HEAD
// response (status, header, content length) whether the have bytes of
// version local (delivered by a response dated date) on disk are the whole
// current content, which was announced as total bytes long (-1 unknown).
func judgeConfirm(have, total int64, local Validators, date time.Time, status int, h http.Header, contentLength int64) verdictKind {
	if status != http.StatusOK || contentLength != have || total >= 0 && total != have {
		return verdictRefetch
	}
	remote := ValidatorsOf(h)
	if local.ifRange(date) == "" || local.differs(remote) || local.IsZero() {
		return verdictRefetch
	}
	if local.ETag != "" && remote.ETag == "" || local.ETag == "" && remote.LastModified.IsZero() {
		return verdictRefetch // nothing to compare with
	}
	return verdictDone
}
