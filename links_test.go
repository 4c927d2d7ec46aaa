package level3_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3"
)

func TestLinkHasRel(t *testing.T) {
	l := level3.Link{Rel: []string{"next", pageNext}}
	assert.True(t, l.HasRel("next"))
	assert.True(t, l.HasRel("NEXT"))
	assert.True(t, l.HasRel(pageNext))
	assert.True(t, l.HasRel("http://level3.rest/patterns/page#next"), "older draft's http spelling")
	assert.True(t, l.HasRel("HTTPS://LEVEL3.REST/patterns/page#next"))
	assert.False(t, l.HasRel("https://level3.rest/patterns/page#previous"))
	assert.False(t, l.HasRel("prev"))
	assert.False(t, level3.Link{}.HasRel("next"))
}

func TestLinksAllFirst(t *testing.T) {
	links, err := level3.ParseLinks(linkCases[len(linkCases)-1].values, parseBase(t, "https://api.example.com/orders?page=1"))
	require.NoError(t, err)

	entries := links.All(listEntry)
	require.Len(t, entries, 3)
	for i, e := range entries {
		assert.Equal(t, "https://api.example.com/orders/"+string(rune('1'+i)), e.Href.String())
	}
	assert.Len(t, links.All("http://level3.rest/patterns/list#list-entry"), 3)
	assert.Nil(t, links.All("prev"))

	next, ok := links.First(pageNext)
	require.True(t, ok)
	assert.Equal(t, "Next page", next.Title)
	next, ok = links.First("next")
	require.True(t, ok)
	assert.Equal(t, []string{"next"}, next.Rel)

	_, ok = links.First("prev")
	assert.False(t, ok)
	_, ok = level3.Links(nil).First("next")
	assert.False(t, ok)
}

func TestLinkString(t *testing.T) {
	u := func(s string) *url.URL { return parseBase(t, s) }
	cases := []struct {
		name string
		link level3.Link
		want string
	}{
		{"zero", level3.Link{}, "<>"},
		{"rel", level3.Link{Href: u("https://example.com/a"), Rel: []string{"next", pageNext}},
			`<https://example.com/a>; rel="next ` + pageNext + `"`},
		{"everything", level3.Link{
			Href: u("/a"), Anchor: u("#x"), Rel: []string{"item"}, Title: `say "hi"`, Type: "text/html",
			HrefLang: []string{"en", "de"}, Media: "screen and (min-width: 1px)",
			Params: map[string][]string{"z": {"1"}, "crossorigin": {""}, "a": {"x y", "b"}, "rel": {"ignored"}, "bad name": {"x"}},
		}, `</a>; anchor="#x"; rel="item"; title="say \"hi\""; type="text/html"; hreflang=en; hreflang=de; ` +
			`media="screen and (min-width: 1px)"; a="x y"; a=b; crossorigin; z=1`},
		{"non-ASCII title", level3.Link{Href: u("/a"), Title: "€ 100%"}, `</a>; title*=UTF-8''%E2%82%AC%20100%25`},
		{"title language", level3.Link{Href: u("/a"), Title: "Hi", TitleLang: "en"}, `</a>; title*=UTF-8'en'Hi`},
		{"control characters in title", level3.Link{Href: u("/a"), Title: "a\nb"}, `</a>; title*=UTF-8''a%0Ab`},
		{"control characters dropped from quoted values", level3.Link{Href: u("/a"), Type: "a\x00b"}, `</a>; type="ab"`},
		{"unsafe URI characters encoded", level3.Link{Href: &url.URL{Path: "a", RawQuery: "b>c d"}}, `<a?b%3Ec%20d>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.link.String())
		})
	}
}

func TestLinkStringRoundTrip(t *testing.T) {
	for _, tc := range linkCases {
		t.Run(tc.name, func(t *testing.T) {
			base := parseBase(t, tc.base)
			links, _ := level3.ParseLinks(tc.values, base)
			var parts []string
			for _, l := range links {
				parts = append(parts, l.String())
			}
			again, err := level3.ParseLinks([]string{strings.Join(parts, ", ")}, base)
			require.NoError(t, err)
			assert.Equal(t, viewLinks(links), viewLinks(again))
		})
	}
}
