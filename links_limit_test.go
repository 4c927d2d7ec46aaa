package level3_test

// Tests of the caps ParseLinks puts on what it keeps (links, relation types
// and parameters per link-value), directly and through Discover against a
// server that sends a huge link header. The other ParseLinks tests are in
// links_test.go.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3"
)

// The caps documented on ParseLinks.
const (
	linkCap      = 1024
	linkRelCap   = 32
	linkParamCap = 32
)

// limitErrors returns the problems in err that wrap ErrLinkLimit.
func limitErrors(err error) []*level3.LinkError {
	var out []*level3.LinkError
	for _, e := range problems(err) {
		var le *level3.LinkError
		if errors.As(e, &le) && errors.Is(le, level3.ErrLinkLimit) {
			out = append(out, le)
		}
	}
	return out
}

func TestParseLinksCapsLinks(t *testing.T) {
	const n = 100_000
	values := []string{strings.Repeat(`<a>; rel="next", `, n)}
	links, err := level3.ParseLinks(values, nil)
	require.Len(t, links, linkCap)
	require.ErrorIs(t, err, level3.ErrLinkLimit)
	lim := limitErrors(err)
	require.Len(t, lim, 1)
	assert.Equal(t, 0, lim[0].Field)
	assert.Equal(t, linkCap*len(`<a>; rel="next", `), lim[0].Offset, "the error points at the first link-value not kept")
	assert.Contains(t, lim[0].Error(), fmt.Sprintf("more than %d link-values", linkCap))
}

func TestParseLinksCapsLinksAcrossFields(t *testing.T) {
	first := strings.TrimSuffix(strings.Repeat("<a>, ", linkCap-4), ", ")
	values := []string{first, "<b>, <c>, <d>, <e>, <f>", "<g>"}
	links, err := level3.ParseLinks(values, nil)
	require.Len(t, links, linkCap)
	assert.Equal(t, "e", links[linkCap-1].Href.String())
	lim := limitErrors(err)
	require.Len(t, lim, 1)
	assert.Equal(t, 1, lim[0].Field)
	assert.Equal(t, "<f>", lim[0].Value)

	// Exactly at the cap is no problem.
	links, err = level3.ParseLinks([]string{first, "<b>, <c>, <d>, <e>"}, nil)
	require.NoError(t, err)
	assert.Len(t, links, linkCap)
}

func TestParseLinksCapReportedAfterOtherProblems(t *testing.T) {
	values := []string{strings.Repeat("junk, ", 100) + strings.Repeat("<a>, ", linkCap+1)}
	links, err := level3.ParseLinks(values, nil)
	require.Len(t, links, linkCap)
	errs := problems(err)
	require.Len(t, errs, 34, "32 problems, the count of the others, then the cap")
	assert.Contains(t, errs[32].Error(), "68 more")
	assert.ErrorIs(t, errs[33], level3.ErrLinkLimit)
}

func TestParseLinksCapsRelsAndParams(t *testing.T) {
	rels := make([]string, 100)
	for i := range rels {
		rels[i] = fmt.Sprintf("r%d", i)
	}
	params := strings.Repeat("; x=1", 100)
	values := []string{`<a>; rel="` + strings.Join(rels, " ") + `", <b>` + params + `, <c>; rel="` + strings.Join(rels[:linkRelCap], " ") + `"`}
	links, err := level3.ParseLinks(values, nil)
	require.Len(t, links, 3, "links over a per-link cap are kept, trimmed")
	assert.Equal(t, rels[:linkRelCap], links[0].Rel)
	assert.Len(t, links[1].Params["x"], linkParamCap)
	assert.Equal(t, rels[:linkRelCap], links[2].Rel, "exactly at the cap")
	lim := limitErrors(err)
	require.Len(t, lim, 2)
	assert.Contains(t, lim[0].Error(), "relation types")
	assert.Contains(t, lim[1].Error(), "100 parameters")

	// Parameters count whatever their name: a title after 32 others is not kept.
	links, err = level3.ParseLinks([]string{"<a>" + strings.Repeat("; hreflang=en", linkParamCap) + `; title="late"`}, nil)
	require.Len(t, links, 1)
	assert.Len(t, links[0].HrefLang, linkParamCap)
	assert.Empty(t, links[0].Title)
	assert.ErrorIs(t, err, level3.ErrLinkLimit)
}

// TestDiscoverCapsHugeLinkHeader: a server sends 100,000 links in one
// header; Discover keeps the cap and says so in Problems.
func TestDiscoverCapsHugeLinkHeader(t *testing.T) {
	header := strings.Repeat(`</e>; rel="https://level3.rest/patterns/list#list-entry", `, 100_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Link", header)
	}))
	defer srv.Close()
	c, err := level3.New()
	require.NoError(t, err)
	defer c.HTTPClient().CloseIdleConnections()
	res, err := c.Discover(context.Background(), srv.URL)
	require.NoError(t, err)
	assert.Len(t, res.Links, linkCap)
	require.ErrorIs(t, res.Problems, level3.ErrLinkLimit)
	assert.Contains(t, res.Problems.Error(), "link header")
}
