// This file holds Set, the parser of `profile` header values and its syntax
// errors. The Profile type and the comparison rules are in profiles.go.

package profiles

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Set is the ordered list of profiles a resource declares, in header order,
// with later duplicates (by [Profile.Equal]) removed. The zero value is an
// empty set. A Set is a plain slice: it is safe for concurrent reads, and
// the order of its elements is the order the server gave.
type Set []Profile

// Has reports whether s contains a profile equal to p by [Profile.Equal], so
// Has(Home) is true for a set listing Root, and Has(Data) is true for a set
// listing "http://level3.rest/profiles/data".
func (s Set) Has(p Profile) bool {
	c := p.Canonical()
	for _, q := range s {
		if q.Canonical() == c {
			return true
		}
	}
	return false
}

// Base returns the first Level 3 base profile in s (see [Profile.IsBase]) as
// the server spelled it, or "" when s has none. For an [Alias] resource, which
// also lists its target's profiles, that is normally Alias itself.
func (s Set) Base() Profile {
	for _, p := range s {
		if p.IsBase() {
			return p
		}
	}
	return ""
}

// String formats s as a `profile` header value: each profile in angle
// brackets, separated by ", ". An empty set gives "". Parse reads the result
// back to an equal set, provided each element is a URI that Parse accepts.
func (s Set) String() string {
	var b strings.Builder
	for i, p := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('<')
		b.WriteString(string(p))
		b.WriteByte('>')
	}
	return b.String()
}

// Reasons a `profile` entry is malformed. Parse reports each malformed entry
// as a [*SyntaxError] that wraps one of them; test with [errors.Is].
var (
	// ErrEmpty: the entry is an empty URI, as in `<>`. Empty list elements
	// (`a,,b` or a blank header) are not errors.
	ErrEmpty = errors.New("empty URI")

	// ErrUnterminated: a `<` has no matching `>` in the same header value.
	// The rest of that value is skipped.
	ErrUnterminated = errors.New("missing closing '>'")

	// ErrTrailingText: something other than a comma follows `<URI>`.
	ErrTrailingText = errors.New("unexpected text after '>'")

	// ErrInvalidChar: the URI contains a control character, whitespace, `<`,
	// `>` or invalid UTF-8.
	ErrInvalidChar = errors.New("character not allowed in a URI")

	// ErrNotAbsolute: the entry is not an absolute URI (it has no scheme, or
	// nothing after it, or does not parse as a URI at all).
	ErrNotAbsolute = errors.New("not an absolute URI")
)

// A SyntaxError describes one malformed entry of a `profile` header value.
type SyntaxError struct {
	Value  int    // index of the header value among the arguments of Parse
	Offset int    // byte offset of the entry within that value
	Entry  string // the malformed entry, as it appears in the header
	Err    error  // why it is malformed: wraps one of the Err* variables
}

// Error describes the entry and the reason, quoting at most the first 64
// bytes of the entry.
func (e *SyntaxError) Error() string {
	entry := e.Entry
	if len(entry) > 64 {
		entry = entry[:64] + "..."
	}
	return fmt.Sprintf("profiles: malformed profile %s (header value %d, offset %d): %v",
		strconv.Quote(entry), e.Value, e.Offset, e.Err)
}

// Unwrap returns e.Err.
func (e *SyntaxError) Unwrap() error { return e.Err }

// maxErrors bounds the number of SyntaxErrors one Parse call reports; the
// rest are counted in a final summary error.
const maxErrors = 16

// Parse parses one or more `profile` header field values, as found in
// http.Header.Values("profile"), into a [Set].
//
// Each value is a comma-separated list whose elements are either `<URI>` or a
// bare URI, with optional spaces and tabs around them. A URI in angle
// brackets may contain commas; a bare URI ends at the next comma. Empty list
// elements are ignored (RFC 9110, section 5.6.1). Profiles keep the spelling
// the server used, without brackets; duplicates by [Profile.Equal] are
// dropped, keeping the first.
//
// Malformed entries (an empty `<>`, an unterminated `<`, text after `>`,
// control characters or whitespace inside a URI, anything that is not an
// absolute URI) are skipped. Parse then returns the well-formed profiles
// together with a non-nil error that joins (see [errors.Join]) one
// [*SyntaxError] per malformed entry, up to 16, plus a summary of any more.
// Callers that only want the well-formed profiles may ignore the error.
//
// Parse never panics, whatever its input.
func Parse(values ...string) (Set, error) {
	var p parser
	for i, v := range values {
		p.parseValue(i, v)
	}
	return p.set, p.err()
}

// parser accumulates the profiles and errors of one Parse call.
type parser struct {
	set     Set
	seen    map[Profile]bool // canonical forms already in set
	errs    []error
	dropped int // malformed entries beyond maxErrors
}

// parseValue parses one header field value, the index-th argument of Parse.
func (p *parser) parseValue(index int, v string) {
	i := 0
	for {
		i = skipOWS(v, i)
		if i >= len(v) {
			return
		}
		switch v[i] {
		case ',':
			i++ // empty list element
		case '<':
			n := strings.IndexByte(v[i+1:], '>')
			if n < 0 {
				p.report(index, i, v[i:], ErrUnterminated)
				return
			}
			end := i + 1 + n // index of '>'
			next := skipOWS(v, end+1)
			if next < len(v) && v[next] != ',' {
				next = commaOrEnd(v, next)
				p.report(index, i, v[i:next], ErrTrailingText)
				i = next
				continue
			}
			p.add(index, i, v[i:end+1], trimOWS(v[i+1:end]))
			i = next
		default:
			next := commaOrEnd(v, i)
			entry := trimOWS(v[i:next])
			p.add(index, i, entry, entry)
			i = next
		}
	}
}

// add checks uri and appends it to the set unless it is malformed or a
// duplicate; entry is the raw text to quote in an error.
func (p *parser) add(index, offset int, entry, uri string) {
	if err := checkURI(uri); err != nil {
		p.report(index, offset, entry, err)
		return
	}
	c := Profile(uri).Canonical()
	if p.seen[c] {
		return
	}
	if p.seen == nil {
		p.seen = make(map[Profile]bool)
	}
	p.seen[c] = true
	p.set = append(p.set, Profile(uri))
}

// report records a malformed entry.
func (p *parser) report(index, offset int, entry string, err error) {
	if len(p.errs) >= maxErrors {
		p.dropped++
		return
	}
	p.errs = append(p.errs, &SyntaxError{Value: index, Offset: offset, Entry: entry, Err: err})
}

// err returns the joined errors, or nil when every entry was well formed.
func (p *parser) err() error {
	if p.dropped > 0 {
		p.errs = append(p.errs, fmt.Errorf("profiles: %d more malformed profiles not reported", p.dropped))
	}
	return errors.Join(p.errs...)
}

// checkURI reports why uri is not acceptable as a profile, or nil.
func checkURI(uri string) error {
	if uri == "" {
		return ErrEmpty
	}
	if !utf8.ValidString(uri) {
		return fmt.Errorf("%w: invalid UTF-8", ErrInvalidChar)
	}
	for i, r := range uri {
		switch {
		case unicode.IsControl(r):
			return fmt.Errorf("%w: control character %U at byte %d", ErrInvalidChar, r, i)
		case unicode.IsSpace(r):
			return fmt.Errorf("%w: whitespace %U at byte %d", ErrInvalidChar, r, i)
		case r == '<' || r == '>':
			return fmt.Errorf("%w: %q at byte %d", ErrInvalidChar, r, i)
		}
	}
	colon := schemeEnd(uri)
	if colon < 0 {
		return fmt.Errorf("%w: no scheme", ErrNotAbsolute)
	}
	if colon == len(uri)-1 {
		return fmt.Errorf("%w: nothing after the scheme", ErrNotAbsolute)
	}
	if _, err := url.Parse(uri); err != nil {
		// Keep the reason, not url.Error's copy of the whole URI.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%w: %w", ErrNotAbsolute, err)
	}
	return nil
}

// skipOWS returns the index of the first byte at or after i in s that is not
// a space or a tab (RFC 9110 OWS).
func skipOWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// trimOWS removes leading and trailing spaces and tabs.
func trimOWS(s string) string {
	return strings.Trim(s, " \t")
}

// commaOrEnd returns the index of the first comma at or after i in s, or
// len(s).
func commaOrEnd(s string, i int) int {
	if n := strings.IndexByte(s[i:], ','); n >= 0 {
		return i + n
	}
	return len(s)
}
