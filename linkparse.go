// This file holds ParseLinks, the lenient RFC 8288 `link` header parser: its
// errors and limits, the parser state and the link-value grammar (target,
// parameters, relation types, resolution against the base). The lexical
// scanning it builds on (quoted-strings, tokens, resynchronisation, character
// classes) is in linkscan.go; the RFC 8187 decoding of title* is in
// linkext.go; the Link and Links types and the serialiser are in links.go.

package level3

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// LinkError describes one problem [ParseLinks] met: a malformed link-value,
// which was skipped, or an invalid `title*`, in which case the link was kept
// with its `title` (RFC 8288, section 3 and appendix B).
type LinkError struct {
	Field  int    // index of the header field value in the values given to ParseLinks
	Offset int    // byte offset of the link-value in that field value
	Value  string // the offending link-value (its first 64 bytes at most)
	Err    error  // what is wrong with it
}

// Error describes the problem in one line: where the link-value is in the
// `link` header field values (RFC 8288, section 3), what is wrong, and its text.
func (e *LinkError) Error() string {
	return fmt.Sprintf("link header field %d, offset %d: %v: %q", e.Field, e.Offset, e.Err, e.Value)
}

// Unwrap returns the cause: the syntax rule of RFC 8288, section 3 (or RFC
// 8187, section 3.2, for title*) that the link-value breaks, or the error of
// net/url for a target that is not a URI-Reference.
func (e *LinkError) Unwrap() error { return e.Err }

// maxLinkErrors caps the number of [LinkError]s that ParseLinks reports
// individually; the rest are counted in one final error.
const maxLinkErrors = 32

// Caps on what ParseLinks keeps from one call, so that the memory a `link`
// header costs is bounded whatever its size (net/http accepts response
// headers of up to 10 MB: some 2.5 million minimal link-values). A list page
// or a Level 3 resource needs far fewer.
const (
	maxLinks      = 1024 // link-values kept; the rest are not parsed
	maxLinkRels   = 32   // relation types kept per link-value
	maxLinkParams = 32   // parameters kept per link-value (rel, title... included)
)

var (
	errLinkNoTarget      = errors.New(`expected "<" starting a link-value`)
	errLinkUnterminated  = errors.New(`unterminated "<" (no ">" follows)`)
	errLinkURIChar       = errors.New("URI-Reference contains a space or control character")
	errLinkUnexpected    = errors.New(`unexpected character (expected ";" or ",")`)
	errLinkParamName     = errors.New("expected a parameter name")
	errLinkParamValue    = errors.New(`expected a token or quoted-string after "="`)
	errLinkUnterminatedQ = errors.New("unterminated quoted-string")
	errLinkQuotedCTL     = errors.New("control character in quoted-string")
	errLinkTitleStar     = errors.New("invalid title* ext-value (RFC 8187), used title instead")
)

// ParseLinks parses the `link` header field values (one element per header
// line, each a comma-separated list of link-values) following RFC 8288,
// section 3 and appendix B, and returns the links in header order (nil if
// there are none). It is safe for concurrent use.
//
// Targets and anchors are resolved against base (RFC 3986, section 5.2). base
// may be nil: targets are then kept as parsed, absolute or relative.
//
// Parameter names are case-insensitive; values may be tokens or quoted-strings
// (and, leniently, unquoted URIs). Only the first occurrence of rel, anchor,
// title, title*, type and media counts (RFC 8288, sections 3.3 and 3.4.1);
// hreflang and extension parameters may repeat.
//
// ParseLinks is lenient: a malformed link-value (including one whose target
// or anchor contains spaces or control characters) is skipped, parsing
// resumes after the next top-level comma, and the well-formed link-values are
// still returned. An unterminated `<` or quoted-string ends the parsing of
// that field value. Every problem is reported as a [*LinkError] in the
// returned error (joined with errors.Join; after 32 of them the rest are
// only counted), so a non-nil error may come with usable links. An invalid
// title* is also reported, but its link is kept. The work done is linear in
// the size of the input.
//
// What ParseLinks keeps is bounded: at most 1024 links (later link-values,
// in this and the following field values, are not parsed), and per link at
// most 32 relation types and 32 parameters (the rest are skipped, the link
// kept). Each excess is reported as a [*LinkError] wrapping [ErrLinkLimit];
// the one about the number of links is always listed, even after 32 other
// problems.
func ParseLinks(values []string, base *url.URL) (Links, error) {
	n := 0
	for _, v := range values {
		n += strings.Count(v, "<")
	}
	p := linkParser{base: base}
	if n > 0 {
		p.out = make(Links, 0, min(n, 256))
	}
	for i, v := range values {
		p.field = i
		if !p.parseField(v) {
			break
		}
	}
	if len(p.out) == 0 {
		p.out = nil
	}
	if p.dropped > 0 {
		p.errs = append(p.errs, fmt.Errorf("link header: %d more problems not reported", p.dropped))
	}
	if p.full != nil {
		p.errs = append(p.errs, p.full)
	}
	return p.out, errors.Join(p.errs...)
}

// linkParser holds the state of [ParseLinks].
type linkParser struct {
	base    *url.URL
	s       string // the current field value
	pos     int    // read position in s
	field   int    // index of s in the values
	gt      int    // cached index of the next '>' in s at or after pos, for resync
	out     Links
	rels    []string // backing array shared by the links' Rel slices
	errs    []error
	dropped int
	full    *LinkError // maxLinks reached: where, reported last
}

// fail records a problem with the link-value s[start:end].
func (p *linkParser) fail(start, end int, err error) {
	if len(p.errs) >= maxLinkErrors {
		p.dropped++
		return
	}
	p.errs = append(p.errs, p.linkError(start, end, err))
}

// linkError describes a problem with the link-value s[start:end].
func (p *linkParser) linkError(start, end int, err error) *LinkError {
	if end > start+64 {
		end = start + 64
		for end > start && !utf8.RuneStart(p.s[end]) {
			end-- // do not cut a UTF-8 sequence in two
		}
	}
	for end > start && (p.s[end-1] == ' ' || p.s[end-1] == '\t') {
		end--
	}
	return &LinkError{Field: p.field, Offset: start, Value: p.s[start:end], Err: err}
}

// parseField parses one field value: #link-value (RFC 9110, section 5.6.1:
// empty list elements are allowed). It reports false when maxLinks links
// are kept and a further link-value is met: parsing stops there.
func (p *linkParser) parseField(s string) bool {
	p.s, p.pos, p.gt = s, 0, -1
	for {
		for p.pos < len(s) && (s[p.pos] == ',' || s[p.pos] == ' ' || s[p.pos] == '\t') {
			p.pos++
		}
		if p.pos >= len(s) {
			return true
		}
		start := p.pos
		if len(p.out) == maxLinks {
			p.full = p.linkError(start, len(s), fmt.Errorf("%w: more than %d link-values, the rest were not parsed", ErrLinkLimit, maxLinks))
			return false
		}
		l, err := p.parseLinkValue()
		if err != nil {
			p.resync()
			p.fail(start, p.pos, err)
			continue
		}
		p.out = append(p.out, l)
	}
}

// linkAttrs gathers the first occurrence of the parameters whose later
// occurrences are ignored (RFC 8288, sections 3.3 and 3.4.1).
type linkAttrs struct {
	rel, anchor, title, titleStar, typ, media                  string
	hasRel, hasAnchor, hasTitle, hasTitleStar, hasType, hasMed bool
}

// parseLinkValue parses one link-value (RFC 8288, section 3):
//
//	link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param )
//	link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
//
// It leaves pos at the comma ending the link-value, or at the end of the
// field value. On error pos is where resynchronisation starts.
func (p *linkParser) parseLinkValue() (Link, error) {
	s := p.s
	start := p.pos
	if s[p.pos] != '<' {
		return Link{}, errLinkNoTarget
	}
	end := strings.IndexByte(s[p.pos+1:], '>')
	if end < 0 {
		p.pos = len(s)
		return Link{}, errLinkUnterminated
	}
	raw := s[p.pos+1 : p.pos+1+end]
	p.pos += end + 2
	href, err := linkParseURI(raw)
	if err != nil {
		return Link{}, err
	}

	var (
		l       Link
		a       linkAttrs
		nParams int
	)
	for {
		p.skipOWS()
		if p.pos >= len(s) || s[p.pos] == ',' {
			break
		}
		if s[p.pos] != ';' {
			return Link{}, errLinkUnexpected
		}
		p.pos++
		p.skipOWS()
		if p.pos >= len(s) || s[p.pos] == ',' || s[p.pos] == ';' {
			continue // empty parameter, tolerated
		}
		nameStart := p.pos
		for p.pos < len(s) && linkClass[s[p.pos]]&linkTChar != 0 {
			p.pos++
		}
		name := s[nameStart:p.pos]
		if name == "" {
			return Link{}, errLinkParamName
		}
		p.skipOWS()
		var value string
		if p.pos < len(s) && s[p.pos] == '=' {
			p.pos++
			p.skipOWS()
			if value, err = p.parseValue(); err != nil {
				return Link{}, err
			}
		}
		if nParams++; nParams <= maxLinkParams {
			l.addParam(&a, linkLower(name), value)
		}
	}
	if nParams > maxLinkParams {
		p.fail(start, p.pos, fmt.Errorf("%w: %d parameters, only the first %d were kept", ErrLinkLimit, nParams, maxLinkParams))
	}

	// Resolve and decode now that every parameter is known (RFC 8288,
	// appendix B.2 and B.3).
	l.Href = linkResolve(p.base, href)
	if a.hasAnchor {
		anchor, err := linkParseURI(a.anchor)
		if err != nil {
			return Link{}, fmt.Errorf("anchor: %w", err)
		}
		l.Anchor = linkResolve(p.base, anchor)
	}
	if a.hasRel {
		var more bool
		if l.Rel, p.rels, more = linkSplitRel(a.rel, p.rels); more {
			p.fail(start, p.pos, fmt.Errorf("%w: more than %d relation types, the rest were dropped", ErrLinkLimit, maxLinkRels))
		}
	}
	titleDone := false
	if a.hasTitleStar {
		if t, lang, ok := linkDecodeExtValue(a.titleStar); ok {
			l.Title, l.TitleLang, titleDone = t, lang, true
		} else {
			p.fail(start, p.pos, errLinkTitleStar)
		}
	}
	if !titleDone && a.hasTitle {
		l.Title = linkTitleText(a.title)
	}
	return l, nil
}

// addParam files one parameter with lower-case name into l or a.
func (l *Link) addParam(a *linkAttrs, name, value string) {
	switch name {
	case "rel":
		if !a.hasRel {
			a.rel, a.hasRel = value, true
		}
	case "anchor":
		if !a.hasAnchor {
			a.anchor, a.hasAnchor = value, true
		}
	case "title":
		if !a.hasTitle {
			a.title, a.hasTitle = value, true
		}
	case "title*":
		if !a.hasTitleStar {
			a.titleStar, a.hasTitleStar = value, true
		}
	case "type":
		if !a.hasType {
			l.Type, a.hasType = value, true
		}
	case "media":
		if !a.hasMed {
			l.Media, a.hasMed = value, true
		}
	case "hreflang":
		l.HrefLang = append(l.HrefLang, value)
	default:
		if l.Params == nil {
			l.Params = make(map[string][]string, 1)
		}
		l.Params[name] = append(l.Params[name], value)
	}
}

// linkParseURI parses a URI-Reference (RFC 3986, section 4.1), rejecting
// spaces and control characters, which net/url would partly accept.
func linkParseURI(raw string) (*url.URL, error) {
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c == 0x7f {
			return nil, errLinkURIChar
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid URI-Reference: %w", err)
	}
	return u, nil
}

// linkResolve resolves ref against base (RFC 3986, section 5.2), or returns
// ref when base is nil. ref is freshly parsed and owned by the caller: in the
// common cases where resolution only borrows the base's scheme, host and user
// (an absolute URI, a network-path or an absolute-path reference without dot
// segments) ref is completed in place, which gives the same result as
// [url.URL.ResolveReference] without its two allocations.
func linkResolve(base, ref *url.URL) *url.URL {
	if base == nil {
		return ref
	}
	if ref.Opaque == "" && ref.RawPath == "" &&
		(ref.Path == "" || ref.Path[0] == '/' && !strings.Contains(ref.Path, "/.")) {
		switch {
		case ref.Scheme != "":
			return ref
		case ref.Host != "" || ref.User != nil:
			ref.Scheme = base.Scheme
			return ref
		case ref.Path != "":
			ref.Scheme, ref.Host, ref.User = base.Scheme, base.Host, base.User
			return ref
		}
	}
	return base.ResolveReference(ref)
}

// linkSplitRel splits a rel value on whitespace into relation types (RFC
// 8288, section 3.3), lower-casing those that are not URIs (section 2.1.1).
// It appends them to arena, to save an allocation per link, and returns them
// as a slice of arena whose capacity ends with them, so that appending to one
// link's Rel never overwrites another's. It keeps at most maxLinkRels
// relation types, reporting more when there were others.
func linkSplitRel(v string, arena []string) (rels, grown []string, more bool) {
	if arena == nil {
		arena = make([]string, 0, 16)
	}
	start := len(arena)
	for i := 0; i < len(v); {
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
		j := i
		for i < len(v) && v[i] != ' ' && v[i] != '\t' {
			i++
		}
		if i > j {
			if len(arena)-start == maxLinkRels {
				more = true
				break
			}
			r := v[j:i]
			if !linkHasScheme(r) {
				r = linkLower(r)
			}
			arena = append(arena, r)
		}
	}
	if len(arena) == start {
		return nil, arena, more
	}
	return arena[start:len(arena):len(arena)], arena, more
}

// linkHasScheme reports whether s starts with a URI scheme and a colon (RFC
// 3986, section 3.1), as an extension relation type does.
func linkHasScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}
