package level3

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

func TestNextPage(t *testing.T) {
	res := func(links ...string) *Resource {
		ls, err := ParseLinks(links, nil)
		require.NoError(t, err)
		return &Resource{Links: ls}
	}
	cases := []struct {
		name string
		r    *Resource
		want string
	}{
		{"page#next", res(`</p2>; rel="https://level3.rest/patterns/page#next"`), "/p2"},
		{"older draft spelling", res(`</p2>; rel="http://level3.rest/patterns/page#next"`), "/p2"},
		{"registered next", res(`</p2>; rel="next"`), "/p2"},
		{"page#next wins over next", res(`</a>; rel="next"`, `</b>; rel="https://level3.rest/patterns/page#next"`), "/b"},
		{"previous is not next", res(`</p0>; rel="prev https://level3.rest/patterns/page#previous"`), ""},
		{"none", res(), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, ok := nextPage(tc.r)
			if tc.want == "" {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tc.want, l.Href.String())
		})
	}
}

func TestPagesAndEntries(t *testing.T) {
	forEachProto(t, func(t *testing.T, srv *mocks.Server) {
		c := newTestClient(t, srv)
		ctx := context.Background()
		var pages []string
		for page, err := range c.Pages(ctx, srv.URL+mocks.PathProducts) {
			require.NoError(t, err)
			assert.True(t, page.Has(profiles.RolePaged))
			pages = append(pages, page.URL.Path)
		}
		assert.Equal(t, []string{"/products", "/products/page/2", "/products/page/3", "/products/page/4"}, pages,
			"page#next, next and the older draft's spelling are all followed")

		var titles []string
		for l, err := range c.Entries(ctx, srv.URL+mocks.PathProducts) {
			require.NoError(t, err)
			titles = append(titles, l.Title)
		}
		want := make([]string, 10)
		for i := range want {
			want[i] = "Item " + strconv.Itoa(i+1)
		}
		assert.Equal(t, want, titles, "entries in link order, page after page")
	})
}

func TestPagesStopEarly(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddPagedList("/list", 30, 2) // 15 pages
	c := newTestClient(t, srv)
	n := 0
	for l, err := range c.Entries(context.Background(), srv.URL+"/list") {
		require.NoError(t, err)
		n++
		if l.Title == "Item 3" {
			break
		}
	}
	assert.Equal(t, 3, n)
	assert.Len(t, srv.Requests(), 2, "breaking stops the requests: only the pages needed")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errs []error
	pages := 0
	for _, err := range c.Pages(ctx, srv.URL+"/list") {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pages++
		if pages == 2 {
			cancel()
		}
	}
	assert.Equal(t, 2, pages)
	require.Len(t, errs, 1, "one error, then the iteration ends")
	assert.ErrorIs(t, errs[0], context.Canceled)
}

func TestPagesFailures(t *testing.T) {
	srv := mocks.NewServer(t)
	a := mocks.Nexus(`{}`, mocks.Link{Href: "/b", Rel: profiles.RelPageNext})
	b := mocks.Nexus(`{}`, mocks.Link{Href: "/a#again", Rel: "next"})
	srv.Handle("/a", a)
	srv.Handle("/b", b)
	c := newTestClient(t, srv)
	var got []error
	n := 0
	for _, err := range c.Pages(context.Background(), srv.URL+"/a") {
		if err != nil {
			got = append(got, err)
		} else {
			n++
		}
	}
	assert.Equal(t, 2, n)
	require.Len(t, got, 1)
	assert.ErrorIs(t, got[0], ErrPageLoop)

	srv.AddPagedList("/broken", 9, 3)
	srv.Remove("/broken/page/3")
	got, n = nil, 0
	for _, err := range c.Entries(context.Background(), srv.URL+"/broken") {
		if err != nil {
			got = append(got, err)
		} else {
			n++
		}
	}
	assert.Equal(t, 6, n, "the entries of the pages before the failure")
	require.Len(t, got, 1)
	var nf *NotFoundError
	assert.ErrorAs(t, got[0], &nf)
	assert.Equal(t, http.MethodHead, nf.Method)
}

func TestChildrenAndFollowPath(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	tree := mocks.Nexus(`{}`,
		mocks.Link{Href: "/tree/b", Rel: profiles.RelTreeChild, Title: "B"},
		mocks.Link{Href: "/tree/a", Rel: profiles.RelTreeChild, Title: "A"},
		mocks.Link{Href: "/tree/c", Rel: "http://level3.rest/patterns/tree#child", Title: "C"},
	).With(profiles.RoleTree)
	srv.Handle("/tree", tree)
	for _, n := range []string{"a", "b", "c"} {
		node := mocks.Info(`{}`)
		node.Profiles = append(node.Profiles, profiles.RoleTreeNode)
		node.Links = []mocks.Link{{Href: "/tree", Rel: profiles.RelTreeTop}}
		srv.Handle("/tree/"+n, node)
	}
	c := newTestClient(t, srv)
	ctx := context.Background()
	top, err := c.Discover(ctx, srv.URL+"/tree")
	require.NoError(t, err)
	var paths []string
	for child, err := range top.Children(ctx) {
		require.NoError(t, err)
		assert.True(t, child.Has(profiles.RoleTreeNode))
		paths = append(paths, child.URL.Path)
	}
	assert.Equal(t, []string{"/tree/b", "/tree/a", "/tree/c"}, paths, "sibling order is link order")

	srv.Remove("/tree/a")
	var errs []error
	for _, err := range top.Children(ctx) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	require.Len(t, errs, 1)
	for _, err := range ResourceFromResponse(&http.Response{Header: http.Header{}}).Children(ctx) {
		assert.Error(t, err)
	}

	home, err := c.Discover(ctx, srv.URL+mocks.PathHome)
	require.NoError(t, err)
	third, err := home.FollowPath(ctx, profiles.RelListEntry, profiles.RelPageNext, profiles.RelListEntry)
	require.NoError(t, err)
	assert.Equal(t, mocks.PathOrder3, third.URL.Path)
	same, err := home.FollowPath(ctx)
	require.NoError(t, err)
	assert.Same(t, home, same)
	_, err = home.FollowPath(ctx, profiles.RelListEntry, profiles.RelTreeChild)
	assert.ErrorIs(t, err, ErrNoLink)
	assert.ErrorContains(t, err, "step 2 of 2")
}

// longURLTransport serves an endless paged resource whose every page URL is
// about pad bytes long, in memory: page n links to page n+1.
type longURLTransport struct{ pad string }

func (t longURLTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	n, _ := strconv.Atoi(strings.Split(req.URL.Path, "/")[2])
	next := fmt.Sprintf("/p/%d/%s", n+1, t.pad)
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Link": {"<" + next + `>; rel="next"`}},
		Body:    http.NoBody,
		Request: req,
	}, nil
}

// walkRetained walks pages pages whose URLs are urlLen bytes long, and
// returns how many heap bytes are in use at the last page beyond those in
// use before the walk, after a collection.
func walkRetained(tb testing.TB, pages, urlLen int) int64 {
	tb.Helper()
	pad := strings.Repeat("a", urlLen)
	c, err := New(WithHTTPClient(&http.Client{Transport: longURLTransport{pad: pad}}), WithCache(nil),
		WithRedirectStore(nil))
	require.NoError(tb, err)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	n, retained := 0, int64(0)
	for page, err := range c.Pages(context.Background(), "http://pages.example/p/1/"+pad) {
		require.NoError(tb, err)
		require.Greater(tb, len(page.URL.Path), urlLen)
		if n++; n == pages {
			// Inside the loop body, the iterator and what it keeps are
			// live: this is what a walk holds at its last page.
			runtime.GC()
			runtime.ReadMemStats(&ms)
			retained = int64(ms.HeapAlloc) - int64(base)
			break
		}
	}
	require.Equal(tb, pages, n)
	return retained
}

// TestPagesRetainsAFixedAmountPerPage walks 600 pages whose URLs are 64 KiB
// each: what Pages keeps to detect loops must not grow with the URLs' length
// (keeping every URL would hold 38 MiB). BenchmarkPagesLongURLs measures the
// walk with 1 MiB URLs.
func TestPagesRetainsAFixedAmountPerPage(t *testing.T) {
	const pages, urlLen = 600, 64 << 10
	retained := walkRetained(t, pages, urlLen)
	t.Logf("heap in use at page %d of %d-byte URLs: %.1f MiB over the start", pages, urlLen, float64(retained)/(1<<20))
	assert.Less(t, retained, int64(16<<20), "loop detection keeps a fixed amount per page")
}
