// This file holds what keeps server-controlled text inert on a terminal:
// inert (and inertLines, for messages of several lines) escapes every
// character that could move the cursor, rewrite the screen, make a link or
// hide and reorder text; inertJSON does the same for --json output. Every
// command prints the text it got from a server (problem details, link
// titles and targets, header values, file names, URLs, error messages that
// quote any of them) through one of them. Response bodies that a command is
// asked to output (l3 get, the representation a change returns) are data,
// written byte for byte, as curl and cat write them.

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// unsafeRune reports whether r must not reach a terminal raw: C0 controls
// (the CLI's own line breaks and tabs never come from a server), DEL, C1
// controls (U+009B is CSI on terminals that honour 8-bit controls), and the
// invisible format characters of Unicode (category Cf: the bidi overrides
// and isolates U+202A–U+202E and U+2066–U+2069, U+200E/U+200F, zero-width
// characters, U+FEFF...) with the line and paragraph separators.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, 0x80 <= r && r <= 0x9f, r == 0x2028, r == 0x2029:
		return true
	}
	return r > 0x9f && unicode.Is(unicode.Cf, r)
}

// inert returns s with every unsafe rune (see unsafeRune) and every byte
// that is not UTF-8 written as a Go escape: \x1b, \x9b, \u202e, \U000e0001.
// What remains is printable, so s can neither act on the terminal nor hide
// itself; s comes back as it is when it has nothing to escape.
func inert(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !unsafeRune(r):
			b.WriteString(s[i : i+size])
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += size
	}
	return b.String()
}

// firstUnsafe returns the index of the first unsafe rune or invalid byte of
// s, or -1.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// inertLines is inert for a message that may span lines, such as an error
// joined with errors.Join or followed by a hint: each line is made inert and
// the line breaks kept. A line break moves to the next line and does nothing
// else; a carriage return, which would let text overwrite the line, is
// escaped.
func inertLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = inert(l)
	}
	return strings.Join(lines, "\n")
}

// inertJSON returns the JSON text b with the unsafe runes that
// encoding/json leaves raw (DEL, C1 controls, format characters, the line
// and paragraph separators it escapes only in HTML mode) written as \u
// escapes (a surrogate pair above U+FFFF, RFC 8259 section 7), and bytes
// that are not UTF-8 as \ufffd. Such runes can only stand
// inside strings, where an escape means the same rune, so a JSON reader gets
// the same values; C0 controls are escaped by encoding/json already, and
// the newlines and spaces it puts between values are kept.
func inertJSON(b []byte) []byte {
	var out []byte
	start := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf && c != 0x7f {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		bad := r == utf8.RuneError && size == 1
		if !bad && !unsafeRune(r) {
			i += size
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(b)+16)
		}
		out = append(out, b[start:i]...)
		switch {
		case bad:
			out = append(out, `\ufffd`...)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
		start = i
	}
	if out == nil {
		return b
	}
	return append(out, b[start:]...)
}

// inertJSONWriter passes JSON text through inertJSON. Each Write must hold
// whole runes, as those of a json.Encoder do (one Write per value).
type inertJSONWriter struct{ w io.Writer }

// Write writes p made inert, and reports len(p) on success.
func (iw inertJSONWriter) Write(p []byte) (int, error) {
	if _, err := iw.w.Write(inertJSON(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// newJSONEncoder returns a json.Encoder whose output is inert: every
// command's --json goes through one.
func newJSONEncoder(w io.Writer) *json.Encoder {
	return json.NewEncoder(inertJSONWriter{w})
}
