package profiles

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
)

// FuzzParse checks, for any pair of header values, that Parse does not
// panic, that every profile it returns is a non-empty absolute URI without
// control characters, and that formatting the result with Set.String and
// parsing it again gives an equal set without errors.
func FuzzParse(f *testing.F) {
	seeds := [][2]string{
		{"<https://level3.rest/profiles/data>, <https://level3.rest/profiles/mixins/entity>", ""},
		{"<http://level3.rest/profiles/root>", "<https://level3.rest/profiles/home>"},
		{"https://level3.rest/profiles/data,,urn:a", " , "},
		{"<urn:x:a,b>, <https://level3.rest/patterns/list#list-resource>", "<urn:"},
		{"<>, < >, <urn:a>;q=1, <urn:a> <urn:b>", "urn:a\x00, urn:\xff"},
		{"</relative>, relative, 1a:b, :b, urn:", "<https://example.com:port/%zz>"},
		{"<HTTP://User@LEVEL3.REST:80/profiles/data?x#y>", "mailto:a@b"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		values := []string{a, b}
		set, err := Parse(values...)
		checkErrors(t, values, err)
		for _, p := range set {
			checkProfile(t, p)
		}
		for i := range set {
			for j := range i {
				if set[i].Equal(set[j]) {
					t.Errorf("Parse(%q, %q): %q and %q are duplicates", a, b, set[j], set[i])
				}
			}
		}
		text := set.String()
		back, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q) (from Set.String) failed: %v", text, err)
		}
		if !equalSets(set, back) {
			t.Fatalf("round trip of %q: got %q, want %q", text, back, set)
		}
	})
}

// checkErrors fails t unless err is nil or joins SyntaxErrors whose entries
// are found at the positions they give (and at most one summary error).
func checkErrors(t *testing.T, values []string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	errs := err.(interface{ Unwrap() []error }).Unwrap()
	for i, e := range errs {
		se, ok := e.(*SyntaxError)
		if !ok {
			if i != maxErrors {
				t.Fatalf("error %d is %T, want *SyntaxError: %v", i, e, e)
			}
			continue
		}
		if se.Value < 0 || se.Value >= len(values) || se.Offset < 0 || se.Offset > len(values[se.Value]) ||
			!strings.HasPrefix(values[se.Value][se.Offset:], se.Entry) {
			t.Fatalf("error %d: entry %q not at value %d offset %d of %q", i, se.Entry, se.Value, se.Offset, values)
		}
		if se.Err == nil {
			t.Fatalf("error %d has no reason", i)
		}
	}
}

// checkProfile fails t unless p is a non-empty absolute URI without control
// characters.
func checkProfile(t *testing.T, p Profile) {
	t.Helper()
	s := string(p)
	if s == "" {
		t.Fatal("Parse returned an empty profile")
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		t.Fatalf("Parse returned %q, which has a control character", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("Parse returned %q, which net/url rejects: %v", s, err)
	}
	if !u.IsAbs() {
		t.Fatalf("Parse returned %q, which is not an absolute URI", s)
	}
}

// equalSets reports whether a and b list Equal profiles in the same order.
func equalSets(a, b Set) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}
