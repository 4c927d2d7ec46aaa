// This file decodes the text of `link` parameters for the parser in
// linkparse.go: RFC 8187 ext-values (title*, and filename* for filename.go)
// and `title` values holding obs-text read as ISO-8859-1. The scanner and
// character classes it uses are in linkscan.go.

package level3

import (
	"strings"
	"unicode/utf8"
)

// linkTitleText returns a `title` value as UTF-8: bytes that are not valid
// UTF-8 (obs-text, RFC 9110 section 5.5) are read as ISO-8859-1.
func linkTitleText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return linkLatin1(s)
}

// linkLatin1 converts ISO-8859-1 text to UTF-8.
func linkLatin1(s string) string {
	b := make([]byte, 0, len(s)+len(s)/2)
	for i := 0; i < len(s); i++ {
		b = utf8.AppendRune(b, rune(s[i]))
	}
	return string(b)
}

// linkDecodeExtValue decodes an RFC 8187 (section 3.2) ext-value:
//
//	ext-value = charset "'" [ language ] "'" value-chars
//
// The charsets UTF-8 and ISO-8859-1 (any case) are supported; the result is
// UTF-8. ok is false if v is not a valid ext-value in one of them.
func linkDecodeExtValue(v string) (text, lang string, ok bool) {
	q1 := strings.IndexByte(v, '\'')
	if q1 < 0 {
		return "", "", false
	}
	q2 := strings.IndexByte(v[q1+1:], '\'')
	if q2 < 0 {
		return "", "", false
	}
	charset, lang, chars := v[:q1], v[q1+1:q1+1+q2], v[q1+2+q2:]
	latin1 := false
	switch {
	case strings.EqualFold(charset, "UTF-8"):
	case strings.EqualFold(charset, "ISO-8859-1"):
		latin1 = true
	default:
		return "", "", false
	}
	if !linkValidLang(lang) {
		return "", "", false
	}
	var buf []byte
	for i := 0; i < len(chars); i++ {
		c := chars[i]
		switch {
		case c == '%':
			if i+2 >= len(chars) || !linkIsHex(chars[i+1]) || !linkIsHex(chars[i+2]) {
				return "", "", false
			}
			if buf == nil {
				buf = append(make([]byte, 0, len(chars)), chars[:i]...)
			}
			buf = append(buf, linkUnhex(chars[i+1])<<4|linkUnhex(chars[i+2]))
			i += 2
		case linkClass[c]&linkAttrChar != 0:
			if buf != nil {
				buf = append(buf, c)
			}
		default:
			return "", "", false
		}
	}
	text = chars
	if buf != nil {
		text = string(buf)
	}
	if latin1 {
		return linkLatin1OrSame(text), lang, true
	}
	if !utf8.ValidString(text) {
		return "", "", false
	}
	return text, lang, true
}

// linkLatin1OrSame converts ISO-8859-1 text to UTF-8, returning pure ASCII
// unchanged without allocating.
func linkLatin1OrSame(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return linkLatin1(s)
		}
	}
	return s
}

// linkValidLang reports whether s is empty or made of the characters of a
// language tag (RFC 5646: letters, digits and "-").
func linkValidLang(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func linkIsHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func linkUnhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
