package level3_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3"
)

const (
	listEntry = "https://level3.rest/patterns/list#list-entry"
	pageNext  = "https://level3.rest/patterns/page#next"
	testBase  = "https://api.example.com/orders/42?x=1"
)

// wantLink is a comparable view of a level3.Link: URLs as strings ("" for a
// nil Anchor), nil and empty slices alike.
type wantLink struct {
	Href      string
	Rel       []string
	Anchor    string
	Title     string
	TitleLang string
	Type      string
	HrefLang  []string
	Media     string
	Params    map[string][]string
}

func viewLinks(ls level3.Links) []wantLink {
	var out []wantLink
	for _, l := range ls {
		w := wantLink{
			Rel: l.Rel, Title: l.Title, TitleLang: l.TitleLang, Type: l.Type,
			HrefLang: l.HrefLang, Media: l.Media, Params: l.Params,
		}
		if l.Href != nil {
			w.Href = l.Href.String()
		}
		if l.Anchor != nil {
			w.Anchor = l.Anchor.String()
		}
		if len(w.Rel) == 0 {
			w.Rel = nil
		}
		if len(w.HrefLang) == 0 {
			w.HrefLang = nil
		}
		out = append(out, w)
	}
	return out
}

// linkCase is one row of the ParseLinks table; the fuzz test is seeded with
// the same rows.
type linkCase struct {
	name   string
	values []string
	base   string // "" for a nil base
	want   []wantLink
	errs   int // number of problems reported
}

func rels(r ...string) []string { return r }

var linkCases = []linkCase{
	{
		name:   "single link, token rel",
		values: []string{`<https://example.com/a>; rel=next`},
		want:   []wantLink{{Href: "https://example.com/a", Rel: rels("next")}},
	},
	{
		name:   "quoted rel and title",
		values: []string{`<https://example.com/a>; rel="next"; title="Next page"`},
		want:   []wantLink{{Href: "https://example.com/a", Rel: rels("next"), Title: "Next page"}},
	},
	{
		name:   "several header lines, order kept",
		values: []string{`</a>; rel=first`, `</b>; rel=second, </c>; rel=third`},
		base:   testBase,
		want: []wantLink{
			{Href: "https://api.example.com/a", Rel: rels("first")},
			{Href: "https://api.example.com/b", Rel: rels("second")},
			{Href: "https://api.example.com/c", Rel: rels("third")},
		},
	},
	{
		name:   "comma and semicolon inside the URI",
		values: []string{`<https://example.com/a,b;c?d=1,2;3>; rel=x, <https://example.com/e>; rel=y`},
		want: []wantLink{
			{Href: "https://example.com/a,b;c?d=1,2;3", Rel: rels("x")},
			{Href: "https://example.com/e", Rel: rels("y")},
		},
	},
	{
		name:   "comma and semicolon inside a quoted string",
		values: []string{`<https://example.com/a>; title="a, b; c=d"; rel=x, <https://example.com/b>`},
		want: []wantLink{
			{Href: "https://example.com/a", Rel: rels("x"), Title: "a, b; c=d"},
			{Href: "https://example.com/b"},
		},
	},
	{
		name:   "quoted-pair escapes",
		values: []string{`<https://example.com/a>; title="say \"hi\", C:\\dir \x"; rel=x`},
		want:   []wantLink{{Href: "https://example.com/a", Rel: rels("x"), Title: `say "hi", C:\dir x`}},
	},
	{
		name:   "OWS everywhere and BWS around =",
		values: []string{" \t<https://example.com/a>  \t;\trel \t= \t\"next\"  ;  title =x\t ,\t <https://example.com/b>;rel=prev \t"},
		want: []wantLink{
			{Href: "https://example.com/a", Rel: rels("next"), Title: "x"},
			{Href: "https://example.com/b", Rel: rels("prev")},
		},
	},
	{
		name:   "parameter names are case-insensitive",
		values: []string{`<https://example.com/a>; REL="Next"; Title="T"; TYPE=text/html; HrefLang=en; X-Ext=1`},
		want: []wantLink{{
			Href: "https://example.com/a", Rel: rels("next"), Title: "T", Type: "text/html",
			HrefLang: []string{"en"}, Params: map[string][]string{"x-ext": {"1"}},
		}},
	},
	{
		name:   "token and quoted values are the same",
		values: []string{`<https://example.com/a>; media=screen; type="application/json"`},
		want:   []wantLink{{Href: "https://example.com/a", Media: "screen", Type: "application/json"}},
	},
	{
		name:   "parameter without value",
		values: []string{`<https://example.com/style.css>; rel=preload; crossorigin; as=style`},
		want: []wantLink{{
			Href: "https://example.com/style.css", Rel: rels("preload"),
			Params: map[string][]string{"crossorigin": {""}, "as": {"style"}},
		}},
	},
	{
		name:   "several relation types in one rel",
		values: []string{"<https://example.com/a>; rel=\" next\t prev  start \""},
		want:   []wantLink{{Href: "https://example.com/a", Rel: rels("next", "prev", "start")}},
	},
	{
		name:   "second rel is ignored",
		values: []string{`<https://example.com/a>; rel=next; rel=prev`},
		want:   []wantLink{{Href: "https://example.com/a", Rel: rels("next")}},
	},
	{
		name: "second title, title*, type, media, anchor are ignored",
		values: []string{`<https://example.com/a>; title=one; title=two; title*=UTF-8''uno; title*=UTF-8''dos; ` +
			`type=text/plain; type=text/html; media=print; media=screen; anchor="/x"; anchor="/y"`},
		base: testBase,
		want: []wantLink{{
			Href: "https://example.com/a", Title: "uno", Type: "text/plain", Media: "print",
			Anchor: "https://api.example.com/x",
		}},
	},
	{
		name:   "hreflang may repeat",
		values: []string{`<https://example.com/a>; hreflang=en; hreflang="de-CH"; hreflang=fr`},
		want:   []wantLink{{Href: "https://example.com/a", HrefLang: []string{"en", "de-CH", "fr"}}},
	},
	{
		name:   "rev is kept in Params",
		values: []string{`<https://example.com/a>; rev=made; rel=author`},
		want: []wantLink{{
			Href: "https://example.com/a", Rel: rels("author"), Params: map[string][]string{"rev": {"made"}},
		}},
	},
	{
		name:   "link without rel is returned",
		values: []string{`<https://example.com/a>; title="no relation", <https://example.com/b>`},
		want: []wantLink{
			{Href: "https://example.com/a", Title: "no relation"},
			{Href: "https://example.com/b"},
		},
	},
	{
		name:   "title* in UTF-8",
		values: []string{`<https://example.com/a>; title*=UTF-8''%e2%82%ac%20rates`},
		want:   []wantLink{{Href: "https://example.com/a", Title: "€ rates"}},
	},
	{
		name:   "title* in ISO-8859-1 with a language",
		values: []string{`<https://example.com/a>; title*=iso-8859-1'en'%A3%20rates`},
		want:   []wantLink{{Href: "https://example.com/a", Title: "£ rates", TitleLang: "en"}},
	},
	{
		name:   "title* charset is case-insensitive, wins over an earlier title",
		values: []string{`<https://example.com/a>; title="Euro"; title*=utf-8'de'%E2%82%AC%20Kurs`},
		want:   []wantLink{{Href: "https://example.com/a", Title: "€ Kurs", TitleLang: "de"}},
	},
	{
		name:   "title* wins over a later title, quoted title* accepted",
		values: []string{`<https://example.com/a>; title*="UTF-8''caf%C3%A9"; title="cafe"`},
		want:   []wantLink{{Href: "https://example.com/a", Title: "café"}},
	},
	{
		name: "invalid title* falls back to title",
		values: []string{
			`<https://example.com/a>; title*=UTF-8''%ZZ; title="plain"`,
			`<https://example.com/b>; title*=koi8-r''%C1; title=b`,
			`<https://example.com/c>; title*=UTF-8''%C3; title=c`,
			`<https://example.com/d>; title*=no-quotes`,
		},
		want: []wantLink{
			{Href: "https://example.com/a", Title: "plain"},
			{Href: "https://example.com/b", Title: "b"},
			{Href: "https://example.com/c", Title: "c"},
			{Href: "https://example.com/d"},
		},
		errs: 4,
	},
	{
		name:   "anchor resolved against base",
		values: []string{`<https://example.com/a>; anchor="#frag"; rel=x, </b>; anchor="../other"`},
		base:   "https://api.example.com/orders/42",
		want: []wantLink{
			{Href: "https://example.com/a", Rel: rels("x"), Anchor: "https://api.example.com/orders/42#frag"},
			{Href: "https://api.example.com/b", Anchor: "https://api.example.com/other"},
		},
	},
	{
		name:   "relative targets resolved per RFC 3986",
		values: []string{`</orders?page=2>, <../x>, <?p=2>, <#top>, <>, <//cdn.example.com/y>, <z/./w/../v>`},
		base:   testBase,
		want: []wantLink{
			{Href: "https://api.example.com/orders?page=2"},
			{Href: "https://api.example.com/x"},
			{Href: "https://api.example.com/orders/42?p=2"},
			{Href: "https://api.example.com/orders/42?x=1#top"},
			{Href: "https://api.example.com/orders/42?x=1"},
			{Href: "https://cdn.example.com/y"},
			{Href: "https://api.example.com/orders/z/v"},
		},
	},
	{
		name:   "nil base keeps relative targets",
		values: []string{`</orders?page=2>; rel=next, <../x>; anchor="#a"`},
		want: []wantLink{
			{Href: "/orders?page=2", Rel: rels("next")},
			{Href: "../x", Anchor: "#a"},
		},
	},
	{
		name:   "duplicate relations and links are kept in order",
		values: []string{`<https://example.com/a>; rel="item item", <https://example.com/a>; rel=item`},
		want: []wantLink{
			{Href: "https://example.com/a", Rel: rels("item", "item")},
			{Href: "https://example.com/a", Rel: rels("item")},
		},
	},
	{
		name:   "empty list elements tolerated",
		values: []string{`, ,<https://example.com/a>; rel=x,, , <https://example.com/b>,`, ``, ` , `},
		want: []wantLink{
			{Href: "https://example.com/a", Rel: rels("x")},
			{Href: "https://example.com/b"},
		},
	},
	{
		name:   "registered names lower-cased, URIs kept as given",
		values: []string{`<https://example.com/a>; rel="NEXT Https://Level3.rest/Patterns/Page#Next"`},
		want:   []wantLink{{Href: "https://example.com/a", Rel: rels("next", "Https://Level3.rest/Patterns/Page#Next")}},
	},
	{
		name:   "unquoted URI rel accepted leniently",
		values: []string{`<https://example.com/a>; rel=https://level3.rest/patterns/page#next; type=text/html`},
		want:   []wantLink{{Href: "https://example.com/a", Rel: rels(pageNext), Type: "text/html"}},
	},
	{
		name:   "extension parameters: lower-case names, every value, starred kept raw",
		values: []string{`<https://example.com/a>; Foo=1; foo="two, 2"; FOO; bar*=UTF-8''x%20y`},
		want: []wantLink{{
			Href:   "https://example.com/a",
			Params: map[string][]string{"foo": {"1", "two, 2", ""}, "bar*": {"UTF-8''x%20y"}},
		}},
	},
	{
		name:   "empty parameters and trailing semicolon tolerated",
		values: []string{`<https://example.com/a>;; rel=x;`},
		want:   []wantLink{{Href: "https://example.com/a", Rel: rels("x")}},
	},
	{
		name:   "raw UTF-8 and ISO-8859-1 bytes in title",
		values: []string{"<https://example.com/a>; title=\"caf\xc3\xa9\", <https://example.com/b>; title=\"caf\xe9\""},
		want: []wantLink{
			{Href: "https://example.com/a", Title: "café"},
			{Href: "https://example.com/b", Title: "café"},
		},
	},
	{
		name:   "missing < : skipped, next link kept",
		values: []string{`https://example.com/a; rel=x, <https://example.com/b>; rel=y`},
		want:   []wantLink{{Href: "https://example.com/b", Rel: rels("y")}},
		errs:   1,
	},
	{
		name:   "garbage after > : resync at the next top-level comma",
		values: []string{`<https://example.com/a> junk; title="x, y", <https://example.com/b>; rel=y`},
		want:   []wantLink{{Href: "https://example.com/b", Rel: rels("y")}},
		errs:   1,
	},
	{
		name:   "missing comma between link-values",
		values: []string{`<https://example.com/a>; rel=x <https://example.com/b,c>; rel=y, <https://example.com/d>`},
		want:   []wantLink{{Href: "https://example.com/d"}},
		errs:   1,
	},
	{
		name:   "unterminated < ends the field value only",
		values: []string{`<https://example.com/a>; rel=x, <https://example.com/b; rel=y, c`, `<https://example.com/d>`},
		want: []wantLink{
			{Href: "https://example.com/a", Rel: rels("x")},
			{Href: "https://example.com/d"},
		},
		errs: 1,
	},
	{
		name:   "unterminated quoted-string ends the field value only",
		values: []string{`<https://example.com/a>; rel=x, <https://example.com/b>; title="oops, <https://example.com/c>`, `<https://example.com/d>`},
		want: []wantLink{
			{Href: "https://example.com/a", Rel: rels("x")},
			{Href: "https://example.com/d"},
		},
		errs: 1,
	},
	{
		name: "space or control character in a URI rejects the link-value",
		values: []string{
			"<https://example.com/a b>; rel=x, <https://example.com/ok>",
			"<https://example.com/a\x00b>, < https://example.com/c>, <https://example.com/d\t>",
			"<https://example.com/e>; anchor=\"/a b\"",
		},
		want: []wantLink{{Href: "https://example.com/ok"}},
		errs: 5,
	},
	{
		name:   "control character in a quoted-string rejects the link-value",
		values: []string{"<https://example.com/a>; title=\"a\x01, b\"; rel=x, <https://example.com/b>"},
		want:   []wantLink{{Href: "https://example.com/b"}},
		errs:   1,
	},
	{
		name:   "missing parameter name or value",
		values: []string{`<https://example.com/a>; =x, <https://example.com/b>; rel=, <https://example.com/c>`},
		want:   []wantLink{{Href: "https://example.com/c"}},
		errs:   2,
	},
	{
		name:   "invalid URI escape rejects the link-value",
		values: []string{`<https://example.com/%zz>, <http://[::1>, <https://example.com/ok>`},
		want:   []wantLink{{Href: "https://example.com/ok"}},
		errs:   2,
	},
	{
		name: "realistic Level 3 list page over two header lines",
		values: []string{
			`</orders/1>; rel="` + listEntry + `"; title="Order #1 (open)", ` +
				`</orders/2>; rel="` + listEntry + `"; title="Order #2, paid"; type="application/json"`,
			`<https://api.example.com/orders/3>; rel="` + listEntry + `"; title*=UTF-8''Bestellung%20%E2%84%963, ` +
				`</orders?page=2>; rel="` + pageNext + `"; title="Next page", ` +
				`</orders?page=2>; rel="next"`,
		},
		base: "https://api.example.com/orders?page=1",
		want: []wantLink{
			{Href: "https://api.example.com/orders/1", Rel: rels(listEntry), Title: "Order #1 (open)"},
			{Href: "https://api.example.com/orders/2", Rel: rels(listEntry), Title: "Order #2, paid", Type: "application/json"},
			{Href: "https://api.example.com/orders/3", Rel: rels(listEntry), Title: "Bestellung №3"},
			{Href: "https://api.example.com/orders?page=2", Rel: rels(pageNext), Title: "Next page"},
			{Href: "https://api.example.com/orders?page=2", Rel: rels("next")},
		},
	},
}

func parseBase(t testing.TB, s string) *url.URL {
	t.Helper()
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

// problems returns the errors joined in err.
func problems(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestParseLinks(t *testing.T) {
	require.GreaterOrEqual(t, len(linkCases), 30)
	for _, tc := range linkCases {
		t.Run(tc.name, func(t *testing.T) {
			links, err := level3.ParseLinks(tc.values, parseBase(t, tc.base))
			assert.Equal(t, tc.want, viewLinks(links))
			errs := problems(err)
			assert.Len(t, errs, tc.errs, "problems: %v", err)
			for _, e := range errs {
				var le *level3.LinkError
				require.ErrorAs(t, e, &le)
				assert.Less(t, le.Field, len(tc.values))
				assert.True(t, strings.HasPrefix(tc.values[le.Field][le.Offset:], le.Value))
			}
		})
	}
}

func TestParseLinksErrorDetails(t *testing.T) {
	links, err := level3.ParseLinks([]string{`<a>`, `<b>, junk, <c>; title*=x''y`}, nil)
	require.Len(t, links, 3)
	errs := problems(err)
	require.Len(t, errs, 2)

	var le *level3.LinkError
	require.ErrorAs(t, errs[0], &le)
	assert.Equal(t, 1, le.Field)
	assert.Equal(t, 5, le.Offset)
	assert.Equal(t, "junk", le.Value)
	assert.Contains(t, le.Error(), "junk")

	require.ErrorAs(t, errs[1], &le)
	assert.Equal(t, 11, le.Offset)
	assert.Contains(t, le.Error(), "title*")
	assert.Equal(t, "c", links[2].Href.String())
}

func TestParseLinksEmpty(t *testing.T) {
	for _, values := range [][]string{nil, {}, {""}, {" , ,\t"}} {
		links, err := level3.ParseLinks(values, nil)
		assert.NoError(t, err)
		assert.Nil(t, links)
	}
}

func TestParseLinksDoesNotModifyBase(t *testing.T) {
	base := parseBase(t, testBase)
	before := *base
	_, err := level3.ParseLinks([]string{`<../x#y>; anchor="?q"`}, base)
	require.NoError(t, err)
	assert.Equal(t, before, *base)
}

func TestParseLinksCapsErrors(t *testing.T) {
	values := []string{strings.Repeat("junk, ", 1000) + "<https://example.com/ok>"}
	links, err := level3.ParseLinks(values, nil)
	require.Len(t, links, 1)
	errs := problems(err)
	require.Len(t, errs, 33)
	assert.Contains(t, errs[32].Error(), "968 more")
}

func TestParseLinksHostileInput(t *testing.T) {
	const n = 1 << 20
	inputs := map[string]string{
		"unterminated <":        strings.Repeat("<", n),
		"unterminated quote":    `<a>; title="` + strings.Repeat(`\"`, n/2),
		"brackets in garbage":   "x" + strings.Repeat("<a", n/2),
		"quotes in garbage":     "x" + strings.Repeat(`"a"`, n/3),
		"many commas":           strings.Repeat(",", n),
		"many params":           "<a>" + strings.Repeat("; a", n/3),
		"many rels":             `<a>; rel="` + strings.Repeat("a ", n/2) + `"`,
		"many links":            strings.Repeat("<a>,", n/4),
		"control characters":    strings.Repeat("<\x00>;\x7f,", n/6),
		"long URI":              "<https://example.com/" + strings.Repeat("a", n) + ">",
		"half-open brackets":    strings.Repeat("x<", n/4) + ">",
		"escapes in title*":     "<a>; title*=UTF-8''" + strings.Repeat("%41", n/3),
		"unterminated escapes":  "<a>; title=\"" + strings.Repeat("\\", n),
		"junk then brackets":    strings.Repeat("j<>", n/3),
		"nested quotes in junk": "j" + strings.Repeat(`"<",`, n/4),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			links, _ := level3.ParseLinks([]string{in, in}, parseBase(t, testBase))
			for _, l := range links {
				require.NotNil(t, l.Href)
			}
			// Linear work: a few MB take milliseconds. The bound only catches
			// super-linear blow-ups, leaving room for -race and a loaded machine.
			assert.Less(t, time.Since(start), time.Minute)
		})
	}
}

// TestParseLinksResolveMatchesNetURL checks that targets come out exactly as
// url.URL.ResolveReference makes them, fast path included.
func TestParseLinksResolveMatchesNetURL(t *testing.T) {
	bases := []string{testBase, "http://user:pw@h.example/a/b/c?q#f", "https://h.example", "mailto:x@example.com", "/rel/base"}
	refs := []string{
		"", "/", "/a", "/a/b?c#d", "/a//b", "/a/./b", "/a/../b", "/.x", "/a/b/..", "/%2F/x", "/a%20b",
		"//other.example/p", "//u@other.example", "https://x.example", "https://x.example/a/../b",
		"HTTP://X.example/A", "a", "./a", "../../../a", "?q", "#f", "?", "x:y", "urn:isbn:123", "//h/./a",
	}
	for _, b := range bases {
		base := parseBase(t, b)
		for _, r := range refs {
			ref, err := url.Parse(r)
			require.NoError(t, err)
			want := base.ResolveReference(ref)
			links, err := level3.ParseLinks([]string{"<" + r + ">"}, base)
			require.NoError(t, err)
			require.Len(t, links, 1)
			assert.Equal(t, want, links[0].Href, "%q against %q", r, b)
		}
	}
}
