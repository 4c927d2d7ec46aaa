// Package prefer parses, formats and merges the Prefer and
// Preference-Applied header fields of RFC 7240. The level3 package uses it
// to ask for respond-async and wait=N (the Level 3 Async mixin), to read what
// a server applied, and to see the wait a request asks for.
package prefer

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Preference is one element of a Prefer or Preference-Applied field (RFC
// 7240 §2): a token name, an optional value and, in Prefer only, optional
// parameters. Names compare case-insensitively; values and parameters are
// kept as sent, with quoted strings unquoted.
type Preference struct {
	Name   string  // e.g. "respond-async", "wait", "return"
	Value  string  // e.g. "10" for wait=10; "" when absent (RFC 7240 §2: an empty value is no value)
	Params []Param // ;name=value parameters, in order; rare in practice
}

// Param is one parameter of a [Preference].
type Param struct {
	Name  string
	Value string // "" when absent
}

// List is a parsed Prefer or Preference-Applied field, in order.
type List []Preference

// The preferences the Level 3 Async and Representation mixins use.
const (
	RespondAsyncName = "respond-async" // RFC 7240 §4.1
	WaitName         = "wait"          // RFC 7240 §4.3, seconds
	ReturnName       = "return"        // RFC 7240 §4.2: "representation" or "minimal"
)

// RespondAsync returns the respond-async preference: answer 202 Accepted as
// soon as the request is validated (RFC 7240 §4.1).
func RespondAsync() Preference { return Preference{Name: RespondAsyncName} }

// Wait returns wait=N, N being d in whole seconds rounded up: the server may
// take that long before answering 202 (RFC 7240 §4.3). A negative d counts
// as 0.
func Wait(d time.Duration) Preference {
	secs := int64(0)
	if d > 0 {
		secs = int64(math.Ceil(d.Seconds()))
	}
	return Preference{Name: WaitName, Value: strconv.FormatInt(secs, 10)}
}

// ErrMalformed is returned (wrapped) by [Parse] for a field element that is
// not RFC 7240 syntax.
var ErrMalformed = errors.New("level3: malformed prefer header")

// Parse parses the values of a Prefer or Preference-Applied field (several
// lines allowed, as [http.Header.Values] returns them). Elements that are
// not RFC 7240 syntax are skipped and reported in the error, which wraps
// [ErrMalformed]; the well-formed ones are returned either way. A name given
// more than once keeps its first occurrence only, as RFC 7240 §2 says the
// later ones are ignored.
func Parse(values ...string) (List, error) {
	var out List
	var errs []error
	for _, v := range values {
		for _, elem := range splitQuoted(v, ',') {
			if strings.TrimSpace(elem) == "" {
				continue // empty list elements are allowed (RFC 9110 §5.6.1)
			}
			p, err := parsePreference(elem)
			if err != nil {
				errs = append(errs, fmt.Errorf("%w: %q: %v", ErrMalformed, strings.TrimSpace(elem), err))
				continue
			}
			if _, dup := out.Get(p.Name); !dup {
				out = append(out, p)
			}
		}
	}
	return out, errors.Join(errs...)
}

// parsePreference parses one element: token [= word] *( ; [param] ).
func parsePreference(elem string) (Preference, error) {
	parts := splitQuoted(elem, ';')
	name, value, err := parsePair(parts[0])
	if err != nil {
		return Preference{}, err
	}
	p := Preference{Name: name, Value: value}
	for _, raw := range parts[1:] {
		if strings.TrimSpace(raw) == "" {
			continue // "*( OWS ";" [ OWS parameter ] )": the parameter is optional
		}
		n, v, err := parsePair(raw)
		if err != nil {
			return Preference{}, fmt.Errorf("parameter: %w", err)
		}
		p.Params = append(p.Params, Param{Name: n, Value: v})
	}
	return p, nil
}

// parsePair parses token [ BWS "=" BWS word ], word being a token or a
// quoted string.
func parsePair(s string) (name, value string, err error) {
	s = strings.Trim(s, " \t")
	n, v, hasValue := strings.Cut(s, "=")
	name = strings.TrimRight(n, " \t")
	if !isToken(name) {
		return "", "", fmt.Errorf("%q is not a token", name)
	}
	if !hasValue {
		return name, "", nil
	}
	v = strings.TrimLeft(v, " \t")
	if strings.HasPrefix(v, `"`) {
		value, ok := unquote(v)
		if !ok {
			return "", "", errors.New("unterminated or malformed quoted string")
		}
		return name, value, nil
	}
	if v != "" && !isToken(v) {
		return "", "", fmt.Errorf("value %q is neither a token nor a quoted string", v)
	}
	return name, v, nil
}

// unquote decodes an RFC 9110 §5.6.4 quoted-string that must span all of s.
func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), i == len(s)-1
		case c == '\\':
			if i+1 >= len(s) || !quotable(s[i+1]) {
				return "", false
			}
			i++
			b.WriteByte(s[i])
		case quotable(c):
			b.WriteByte(c)
		default:
			return "", false
		}
	}
	return "", false
}

// quotable reports whether c may appear in a quoted-string (qdtext or the
// second byte of a quoted-pair): tab, visible ASCII and obs-text.
func quotable(c byte) bool { return c == '\t' || (c >= 0x20 && c != 0x7f) }

// isToken reports whether s is an RFC 9110 §5.6.2 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// splitQuoted splits s at sep outside quoted strings. An unterminated quote
// runs to the end, so the element containing it fails to parse on its own.
func splitQuoted(s string, sep byte) []string {
	var parts []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// Get returns the preference named name (case-insensitive) and whether it is
// present.
func (ps List) Get(name string) (Preference, bool) {
	for _, p := range ps {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Preference{}, false
}

// Has reports whether the preference named name is present.
func (ps List) Has(name string) bool {
	_, ok := ps.Get(name)
	return ok
}

// With returns a new list holding ps with each of add put in: a preference
// with the same name (case-insensitive) is replaced in place, others are
// appended in order. ps is not modified.
func (ps List) With(add ...Preference) List {
	out := append(List(nil), ps...)
	for _, a := range add {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Name, a.Name) {
				out[i], replaced = a, true
				break
			}
		}
		if !replaced {
			out = append(out, a)
		}
	}
	return out
}

// Strings returns each preference of ps formatted on its own ("wait=10"),
// nil for an empty list.
func (ps List) Strings() []string {
	if len(ps) == 0 {
		return nil
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// String formats ps as one field value: "respond-async, wait=10,
// return=minimal". Values and parameters that are not tokens are quoted.
func (ps List) String() string {
	return strings.Join(ps.Strings(), ", ")
}

// String formats p as one element of a Prefer field.
func (p Preference) String() string {
	var b strings.Builder
	writePair(&b, p.Name, p.Value)
	for _, prm := range p.Params {
		b.WriteString("; ")
		writePair(&b, prm.Name, prm.Value)
	}
	return b.String()
}

// writePair writes name or name=value, quoting value unless it is a token.
func writePair(b *strings.Builder, name, value string) {
	b.WriteString(name)
	if value == "" {
		return
	}
	b.WriteByte('=')
	if isToken(value) {
		b.WriteString(value)
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(value); i++ {
		if c := value[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(value[i])
	}
	b.WriteByte('"')
}

// Valid reports why p cannot be sent, or nil: its names must be tokens and
// its values quotable.
func (p Preference) Valid() error {
	if !isToken(p.Name) {
		return fmt.Errorf("level3: preference name %q is not a token", p.Name)
	}
	check := func(v string) error {
		for i := 0; i < len(v); i++ {
			if !quotable(v[i]) {
				return fmt.Errorf("level3: preference %s: value has a control character", p.Name)
			}
		}
		return nil
	}
	if err := check(p.Value); err != nil {
		return err
	}
	for _, prm := range p.Params {
		if !isToken(prm.Name) {
			return fmt.Errorf("level3: preference %s: parameter name %q is not a token", p.Name, prm.Name)
		}
		if err := check(prm.Value); err != nil {
			return err
		}
	}
	return nil
}

// Merge puts the preferences add into the Prefer field of h, keeping the
// others already there (such as return=representation) and replacing those
// of the same name, and writes the result as one field line. It returns an
// error, leaving h unchanged, when the field already in h is not RFC 7240
// syntax (merging would lose part of it) or a preference in add cannot be
// sent. h must not be nil.
func Merge(h http.Header, add ...Preference) error {
	if h == nil {
		return errors.New("level3: prefer.Merge: nil http.Header")
	}
	for _, a := range add {
		if err := a.Valid(); err != nil {
			return err
		}
	}
	have, err := Parse(h.Values("Prefer")...)
	if err != nil {
		return err
	}
	h.Set("Prefer", have.With(add...).String())
	return nil
}
