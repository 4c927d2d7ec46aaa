package level3_test

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/l3go/level3"
)

// FuzzParseLinks checks that ParseLinks never panics, that every link it
// returns has a target, that it keeps no more links, relation types and
// parameters than its caps (linkCap and the others, links_limit_test.go),
// and that serialising the links with String and parsing the result again
// gives the same links. The input is the header field values separated by
// newlines, and a base URL ("" for none).
func FuzzParseLinks(f *testing.F) {
	for _, tc := range linkCases {
		f.Add(strings.Join(tc.values, "\n"), tc.base)
	}
	f.Add(strings.Join(tenLinks, "\n"), "https://api.example.com/orders?page=1")
	f.Add(strings.Repeat("<a>,", linkCap+1), "")
	f.Add(`<a>; rel="`+strings.Repeat("x ", linkRelCap+1)+`"`+strings.Repeat(";p", linkParamCap), "https://h.example/")
	f.Fuzz(func(t *testing.T, header, rawBase string) {
		var base *url.URL
		if rawBase != "" {
			u, err := url.Parse(rawBase)
			if err != nil || strings.ContainsFunc(u.String(), func(r rune) bool { return r <= ' ' || r == 0x7f || r == '>' }) {
				// The base is the caller's request URL, not header input:
				// skip those that could not be written in a link-value.
				return
			}
			base = u
		}
		links, err := level3.ParseLinks(strings.Split(header, "\n"), base)
		if err == nil && len(links) > 0 && strings.HasPrefix(header, "<") {
			// The first link comes from the first link-value: its target is
			// the one net/url resolves.
			raw := header[1:strings.IndexByte(header, '>')]
			if ref, perr := url.Parse(raw); perr == nil && base != nil {
				if want := base.ResolveReference(ref); !reflect.DeepEqual(want, links[0].Href) {
					t.Fatalf("target %q against %q:\n got %#v\nwant %#v", raw, rawBase, links[0].Href, want)
				}
			}
		}
		if len(links) > linkCap {
			t.Fatalf("%d links kept, more than %d", len(links), linkCap)
		}
		parts := make([]string, 0, len(links))
		for _, l := range links {
			if l.Href == nil {
				t.Fatalf("nil Href in %#v", l)
			}
			if len(l.Rel) > linkRelCap {
				t.Fatalf("%d relation types kept, more than %d", len(l.Rel), linkRelCap)
			}
			if n := linkParamCount(l); n > linkParamCap {
				t.Fatalf("%d parameters kept, more than %d: %#v", n, linkParamCap, l)
			}
			parts = append(parts, l.String())
		}
		joined := strings.Join(parts, ", ")
		again, err2 := level3.ParseLinks([]string{joined}, base)
		if len(again) != len(links) {
			t.Fatalf("round trip: %d links, then %d from %q (%v)", len(links), len(again), joined, err2)
		}
		for i := range links {
			a, b := viewLinks(links[i : i+1])[0], viewLinks(again[i : i+1])[0]
			if a.Href != b.Href || a.Anchor != b.Anchor || a.Title != b.Title || a.Type != b.Type ||
				!equalStrings(a.Rel, b.Rel) || !equalStrings(a.HrefLang, b.HrefLang) {
				t.Fatalf("round trip of link %d via %q:\n got %#v\nwant %#v", i, parts[i], b, a)
			}
		}
	})
}

// linkParamCount counts the parameters that l holds: one for each of rel,
// anchor, title (title* included), type and media when set, and every
// hreflang and extension parameter.
func linkParamCount(l level3.Link) int {
	n := len(l.HrefLang)
	for _, set := range []bool{len(l.Rel) > 0, l.Anchor != nil, l.Title != "", l.Type != "", l.Media != ""} {
		if set {
			n++
		}
	}
	for _, vs := range l.Params {
		n += len(vs)
	}
	return n
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
