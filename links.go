// This file holds the RFC 8288 (Web Linking) types: [Link] and [Links], with
// relation matching (profiles.SameRel) and the serialiser [Link.String]. The
// lenient parser, ParseLinks, is in linkparse.go (its scanner in linkscan.go,
// its RFC 8187 decoding in linkext.go); the resource that carries the links
// is in resource.go.

package level3

import (
	"net/url"
	"slices"
	"strings"

	"github.com/l3go/level3/profiles"
)

// Link is one link-value of an RFC 8288 `link` header field (RFC 8288,
// section 3): a target, the relation types that link the context to it, and
// the target attributes.
//
// The zero value is a link with no target; a Link returned by [ParseLinks]
// always has a non-nil Href.
type Link struct {
	// Href is the link target (RFC 8288, section 3.1), resolved against the
	// base URL given to ParseLinks (RFC 3986, section 5).
	Href *url.URL

	// Rel holds the relation types of the first `rel` parameter (RFC 8288,
	// section 3.3), in order, duplicates kept. Registered names such as
	// "next" are lower-cased; extension relation types (absolute URIs such
	// as "https://level3.rest/patterns/page#next") are kept as given.
	// It is empty when the link-value has no `rel`.
	Rel []string

	// Anchor is the `anchor` parameter (RFC 8288, section 3.2), the link
	// context when it is not the resource that sent the header, resolved
	// against the base URL; nil when there is none.
	Anchor *url.URL

	// Title is the human-readable label of the link (RFC 8288, section
	// 3.4.1). A valid `title*` (RFC 8187, decoded to UTF-8) wins over
	// `title`; a `title` with bytes that are not UTF-8 is read as ISO-8859-1.
	Title string

	// TitleLang is the language tag of `title*`, if it gave one.
	TitleLang string

	// Type is the `type` hint: the media type the target is expected to
	// have (RFC 8288, section 3.4.1), as given.
	Type string

	// HrefLang holds every `hreflang` parameter, in order (RFC 8288,
	// section 3.4.1).
	HrefLang []string

	// Media is the `media` parameter: the media (as in CSS media queries)
	// the target is designed for (RFC 8288, section 3.4.1).
	Media string

	// Params holds every other parameter (extension target attributes, RFC
	// 8288 section 3.4.2, and the deprecated `rev` of section 3.3), keyed
	// by lower-case name, every occurrence in order, values unquoted but not
	// otherwise decoded (a starred extension parameter keeps its RFC 8187
	// encoding). A parameter given without a value maps to "". Params is
	// nil when there are none.
	Params map[string][]string
}

// HasRel reports whether rel is one of l's relation types (RFC 8288, section
// 2.1). Registered names compare case-insensitively; extension relation types
// compare as URIs, ignoring the difference between http and https and the
// case of scheme and host, as profiles.SameRel does.
func (l Link) HasRel(rel string) bool {
	for _, r := range l.Rel {
		if profiles.SameRel(r, rel) {
			return true
		}
	}
	return false
}

// String serialises l as one link-value (RFC 8288, section 3), suitable for a
// `link` header field. Parameters come in a fixed order: anchor, rel, title
// (as `title*` with UTF-8, RFC 8187, when the title is not printable ASCII or
// has a language), type, hreflang, media, then Params sorted by name.
// Characters that cannot appear between `<` and `>` are percent-encoded;
// control characters (other than tab) cannot be carried by a quoted-string
// and are left out of quoted values; Params whose names are not tokens, or
// that repeat a parameter named above, are skipped. A nil Href is written as
// `<>`.
func (l Link) String() string {
	var b strings.Builder
	b.Grow(64)
	b.WriteByte('<')
	if l.Href != nil {
		writeLinkURI(&b, l.Href.String(), false)
	}
	b.WriteByte('>')
	if l.Anchor != nil {
		b.WriteString(`; anchor="`)
		writeLinkURI(&b, l.Anchor.String(), true)
		b.WriteByte('"')
	}
	if n := linkCountNonEmpty(l.Rel); n > 0 {
		b.WriteString(`; rel="`)
		first := true
		for _, r := range l.Rel {
			if r == "" {
				continue
			}
			if !first {
				b.WriteByte(' ')
			}
			first = false
			writeLinkQuotedContent(&b, r)
		}
		b.WriteByte('"')
	}
	if l.Title != "" {
		if l.TitleLang == "" && linkPrintableASCII(l.Title) {
			b.WriteString("; title=")
			writeLinkQuoted(&b, l.Title)
		} else {
			b.WriteString("; title*=UTF-8'")
			if linkValidLang(l.TitleLang) {
				b.WriteString(l.TitleLang)
			}
			b.WriteByte('\'')
			writeLinkPctEncoded(&b, l.Title)
		}
	}
	if l.Type != "" {
		b.WriteString("; type=")
		writeLinkValue(&b, l.Type)
	}
	for _, h := range l.HrefLang {
		b.WriteString("; hreflang=")
		writeLinkValue(&b, h)
	}
	if l.Media != "" {
		b.WriteString("; media=")
		writeLinkValue(&b, l.Media)
	}
	if len(l.Params) > 0 {
		names := make([]string, 0, len(l.Params))
		for name := range l.Params {
			if linkIsToken(name) && !linkReservedParam(name) {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			for _, v := range l.Params[name] {
				b.WriteString("; ")
				b.WriteString(name)
				if v != "" {
					b.WriteByte('=')
					writeLinkValue(&b, v)
				}
			}
		}
	}
	return b.String()
}

// Links is the list of link-values of one or more `link` header fields, in
// header order (RFC 8288, section 3). Order matters to Level 3: the entries
// of a list are its `list-entry` links in this order.
type Links []Link

// All returns the links having relation type rel (see [Link.HasRel]), in
// header order, or nil if there are none (RFC 8288, section 3.3).
func (ls Links) All(rel string) Links {
	var out Links
	for _, l := range ls {
		if l.HasRel(rel) {
			out = append(out, l)
		}
	}
	return out
}

// First returns the first link having relation type rel (see [Link.HasRel])
// and true, or the zero Link and false if there is none (RFC 8288, section
// 3.3).
func (ls Links) First(rel string) (Link, bool) {
	for _, l := range ls {
		if l.HasRel(rel) {
			return l, true
		}
	}
	return Link{}, false
}

// writeLinkURI writes a URI, percent-encoding the bytes that would end it or
// that ParseLinks rejects: spaces, control characters and ">" (and, inside a
// quoted-string, `"` and `\` are escaped as quoted-pairs).
func writeLinkURI(b *strings.Builder, u string, quoted bool) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c <= ' ' || c == 0x7f || c == '>':
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		case quoted && (c == '"' || c == '\\'):
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
}

// writeLinkValue writes v as a token if it is one, else as a quoted-string.
func writeLinkValue(b *strings.Builder, v string) {
	if linkIsToken(v) {
		b.WriteString(v)
		return
	}
	writeLinkQuoted(b, v)
}

// writeLinkQuoted writes v as a quoted-string (RFC 9110, section 5.6.4).
func writeLinkQuoted(b *strings.Builder, v string) {
	b.WriteByte('"')
	writeLinkQuotedContent(b, v)
	b.WriteByte('"')
}

// writeLinkQuotedContent writes v escaped for the inside of a quoted-string:
// `"` and `\` become quoted-pairs, and control characters other than tab,
// which a quoted-string cannot carry, are left out.
func writeLinkQuotedContent(b *strings.Builder, v string) {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' && c != '\t' || c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
}

// writeLinkPctEncoded writes s percent-encoded as RFC 8187 value-chars.
func writeLinkPctEncoded(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if linkClass[c]&linkAttrChar != 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}

// linkReservedParam reports whether name is one of the parameters that
// [Link.String] writes from a field of Link.
func linkReservedParam(name string) bool {
	switch linkLower(name) {
	case "rel", "anchor", "title", "title*", "type", "media", "hreflang":
		return true
	}
	return false
}

func linkCountNonEmpty(ss []string) int {
	n := 0
	for _, s := range ss {
		if s != "" {
			n++
		}
	}
	return n
}

func linkPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
