// This file holds the lexical level of the `link` header parser: the
// scanner methods of linkParser (optional whitespace, quoted-strings, tokens
// and lenient bare values, resynchronisation after an error), the character
// classes and the ASCII helpers. The link-value grammar and ParseLinks are in
// linkparse.go; RFC 8187 ext-values are decoded in linkext.go.

package level3

import "strings"

// resync moves pos to the next comma that is neither inside a quoted-string
// nor between angle brackets, or to the end of the field value.
func (p *linkParser) resync() {
	s := p.s
	for p.pos < len(s) {
		switch s[p.pos] {
		case ',':
			return
		case '"':
			if !p.skipQuoted() {
				p.pos = len(s)
				return
			}
			continue
		case '<':
			if p.gt < p.pos {
				i := strings.IndexByte(s[p.pos:], '>')
				if i < 0 {
					p.gt = len(s) // none left: '<' is no bracket from here on
				} else {
					p.gt = p.pos + i
				}
			}
			if p.gt < len(s) {
				p.pos = p.gt + 1
				continue
			}
		}
		p.pos++
	}
}

// skipQuoted moves pos past the quoted-string starting at pos, reporting
// false if it is unterminated.
func (p *linkParser) skipQuoted() bool {
	s := p.s
	for i := p.pos + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			p.pos = i + 1
			return true
		}
	}
	return false
}

// skipOWS skips optional whitespace (RFC 9110, section 5.6.3).
func (p *linkParser) skipOWS() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

// parseValue parses a parameter value: a quoted-string, or a token. Leniently
// the unquoted form may also hold the other characters of a URI (such as
// "/", ":" and "#"), since servers often send `rel=https://...` unquoted.
func (p *linkParser) parseValue() (string, error) {
	s := p.s
	if p.pos < len(s) && s[p.pos] == '"' {
		return p.parseQuoted()
	}
	start := p.pos
	for p.pos < len(s) && linkClass[s[p.pos]]&linkBareChar != 0 {
		p.pos++
	}
	if p.pos == start {
		return "", errLinkParamValue
	}
	return s[start:p.pos], nil
}

// parseQuoted parses the quoted-string at pos (RFC 9110, section 5.6.4) and
// returns its content with quoted-pairs unescaped. It allocates only when
// there is a quoted-pair. On a control character it moves past the closing
// quote before failing, so that resynchronisation starts outside the string.
func (p *linkParser) parseQuoted() (string, error) {
	s := p.s
	start := p.pos + 1
	escapes, bad := false, false
	i := start
	for ; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			break
		}
		if c == '\\' {
			escapes = true
			i++
			if i == len(s) {
				break
			}
			c = s[i]
		}
		if c < 0x20 && c != '\t' || c == 0x7f {
			bad = true
		}
	}
	if i >= len(s) {
		p.pos = len(s)
		return "", errLinkUnterminatedQ
	}
	p.pos = i + 1
	if bad {
		return "", errLinkQuotedCTL
	}
	content := s[start:i]
	if !escapes {
		return content, nil
	}
	buf := make([]byte, 0, len(content))
	for j := 0; j < len(content); j++ {
		if content[j] == '\\' {
			j++
		}
		buf = append(buf, content[j])
	}
	return string(buf), nil
}

// linkLower lower-cases the ASCII letters of s, allocating only when s has an
// upper-case letter.
func linkLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// Character classes, indexed by byte.
const (
	linkTChar    = 1 << iota // tchar (RFC 9110, section 5.6.2)
	linkAttrChar             // attr-char (RFC 8187, section 3.2.1)
	linkBareChar             // allowed in an unquoted value (lenient)
)

var linkClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if alnum || strings.IndexByte("!#$%&'*+-.^_`|~", byte(c)) >= 0 {
			t[c] |= linkTChar
		}
		if alnum || strings.IndexByte("!#$&+-.^_`|~", byte(c)) >= 0 {
			t[c] |= linkAttrChar
		}
		if c > ' ' && c != 0x7f && strings.IndexByte(`",;<>\`, byte(c)) < 0 {
			t[c] |= linkBareChar
		}
	}
	return t
}()

// linkIsToken reports whether s is a non-empty token (RFC 9110, section 5.6.2).
func linkIsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if linkClass[s[i]]&linkTChar == 0 {
			return false
		}
	}
	return true
}
