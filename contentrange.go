// This file parses the content-range header (RFC 9110 §14.4) of 206 and 416
// responses, for downloads (download.go). Parsing is strict: a download
// trusts a range only when every number in it is well formed.

package level3

import (
	"errors"
	"math"
	"strings"
)

// contentRange is a parsed content-range header. For a 206 response Start and
// End (inclusive) give the enclosed bytes; for a 416 response Unsatisfied is
// true and only Total is set. Total is -1 when the server sent "*" (length
// unknown).
type contentRange struct {
	Start, End  int64
	Total       int64
	Unsatisfied bool
}

// Length returns the number of bytes the range encloses.
func (r contentRange) Length() int64 {
	if r.Unsatisfied {
		return 0
	}
	return r.End - r.Start + 1
}

// errContentRange is wrapped by every parse failure of parseContentRange.
var errContentRange = errors.New("malformed content-range")

// parseContentRange parses the value of a content-range header:
//
//	Content-Range       = range-unit SP ( range-resp / unsatisfied-range )
//	range-resp          = incl-range "/" ( complete-length / "*" )
//	incl-range          = first-pos "-" last-pos
//	unsatisfied-range   = "*/" complete-length
//
// The unit must be "bytes" (any case). It rejects a last-pos before
// first-pos, a complete-length not greater than last-pos, signs, spaces
// inside the numbers, numbers that overflow int64, and a last-pos of
// 2^63-1 (whose range would be longer than int64 can count).
func parseContentRange(v string) (contentRange, error) {
	v = strings.TrimSpace(v)
	unit, rest, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(unit, "bytes") {
		return contentRange{}, errContentRange
	}
	rest = strings.TrimLeft(rest, " ")
	resp, length, ok := strings.Cut(rest, "/")
	if !ok {
		return contentRange{}, errContentRange
	}
	total := int64(-1)
	if length != "*" {
		n, ok := parseDigits(length)
		if !ok {
			return contentRange{}, errContentRange
		}
		total = n
	}
	if resp == "*" {
		if total < 0 {
			return contentRange{}, errContentRange // "*/*" says nothing
		}
		return contentRange{Start: -1, End: -1, Total: total, Unsatisfied: true}, nil
	}
	first, last, ok := strings.Cut(resp, "-")
	if !ok {
		return contentRange{}, errContentRange
	}
	start, ok1 := parseDigits(first)
	end, ok2 := parseDigits(last)
	// A last-pos of 2^63-1 would need a complete-length past what int64
	// holds, and a range length that overflows.
	if !ok1 || !ok2 || end < start || end == math.MaxInt64 || (total >= 0 && end >= total) {
		return contentRange{}, errContentRange
	}
	return contentRange{Start: start, End: end, Total: total}, nil
}

// parseDigits parses a non-empty string of ASCII digits that fits in an
// int64; unlike strconv.ParseInt it accepts no sign.
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}
