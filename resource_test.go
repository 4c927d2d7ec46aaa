package level3

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

func TestDiscoverHome(t *testing.T) {
	forEachProto(t, func(t *testing.T, srv *mocks.Server) {
		c := newTestClient(t, srv)
		home, err := c.Discover(context.Background(), srv.URL+"/")
		require.NoError(t, err)
		assert.Equal(t, srv.URL+"/", home.URL.String())
		assert.Equal(t, 200, home.Status)
		assert.True(t, home.Has(profiles.Home))
		assert.True(t, home.Has(profiles.Root), "Root and Home are one profile")
		assert.False(t, home.Has(profiles.Data))
		assert.Equal(t, []string{"GET", "HEAD"}, home.Allow)
		assert.True(t, home.Allows("get"))
		assert.False(t, home.Allows("DELETE"))
		assert.NoError(t, home.Problems)
		require.Len(t, home.Links, 8)

		orders, ok := home.Link(profiles.RelListEntry)
		require.True(t, ok)
		assert.Equal(t, srv.URL+mocks.PathOrders, orders.Href.String(), "hrefs are resolved against the request URL")
		assert.Equal(t, "Orders", orders.Title)
		_, ok = home.Link("collection")
		assert.True(t, ok, "second rel token of the same link")
		assert.Equal(t, "HEAD", srv.Requests()[0].Method, "discovery uses HEAD")
	})
}

func TestFollowAndPages(t *testing.T) {
	srv := mocks.NewServer(t, mocks.Strict(t))
	srv.AddCatalog()
	c := newTestClient(t, srv)
	ctx := context.Background()
	home, err := c.Discover(ctx, srv.URL+"/")
	require.NoError(t, err)
	orders, err := home.Follow(ctx, profiles.RelListEntry)
	require.NoError(t, err)
	assert.True(t, orders.Has(profiles.Nexus))
	assert.True(t, orders.Has(profiles.RoleList))
	entries := orders.Links.All(profiles.RelListEntry)
	require.Len(t, entries, 2)
	assert.Equal(t, "Order 2 – café", entries[1].Title, "title* decoded")

	page2, err := orders.Follow(ctx, "http://level3.rest/patterns/page#next") // older draft's http form
	require.NoError(t, err)
	assert.Equal(t, srv.URL+mocks.PathOrdersPage2, page2.URL.String())
	_, err = page2.Follow(ctx, profiles.RelPageNext)
	assert.ErrorIs(t, err, ErrNoLink)
	assert.Contains(t, err.Error(), "page#next")
}

func TestDiscoverValidatorsAndContent(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	ctx := context.Background()

	report, err := c.Discover(ctx, srv.URL+mocks.PathReport)
	require.NoError(t, err)
	stored, _ := srv.Resource(mocks.PathReport)
	assert.True(t, report.Has(profiles.Content))
	assert.True(t, report.Has(profiles.Entity))
	assert.Equal(t, stored.ETag, report.ETag)
	assert.False(t, report.Weak())
	assert.Equal(t, stored.LastModified, report.LastModified)
	assert.Equal(t, int64(len(mocks.CatalogReport())), report.ContentLength, "HEAD gives the length of a GET")
	assert.Equal(t, "bytes", report.AcceptRanges)
	assert.Equal(t, "text/csv", report.ContentType)
	assert.Equal(t, `attachment; filename="report.csv"`, report.Header.Get("Content-Disposition"))

	order, err := c.Discover(ctx, srv.URL+mocks.PathOrder1)
	require.NoError(t, err)
	assert.Equal(t, []string{"application/merge-patch+json"}, order.AcceptPatch)
	assert.Equal(t, []string{"GET", "HEAD", "PUT", "PATCH", "DELETE"}, order.Allow)

	form, err := c.Discover(ctx, srv.URL+mocks.PathOrderForm)
	require.NoError(t, err)
	assert.Equal(t, "optional", form.IdempotencyKey)
	assert.True(t, form.Has(profiles.Form))
}

func TestDiscoverFallsBackToGet(t *testing.T) {
	srv := mocks.NewServer(t)
	noHead := mocks.Info(`{}`)
	noHead.Allow = []string{"GET"} // HEAD gets 405
	srv.Handle("/no-head", noHead)
	srv.Handle("/head-501", mocks.Info(`{}`))
	srv.Fail("/head-501", mocks.Status(501).OnlyFor("HEAD"))
	c := newTestClient(t, srv)
	for _, path := range []string{"/no-head", "/head-501"} {
		r, err := c.Discover(context.Background(), srv.URL+path)
		require.NoError(t, err, path)
		assert.True(t, r.Has(profiles.Info), path)
		log := srv.Requests()
		assert.Equal(t, "GET", log[len(log)-1].Method, path)
		assert.Equal(t, "HEAD", log[len(log)-2].Method, path)
	}
}

func TestDiscoverErrors(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	srv.Fail(mocks.PathStats, mocks.Problem(403, "Members only", "log in first").OnlyFor("HEAD"))
	c := newTestClient(t, srv)
	_, err := c.Discover(context.Background(), srv.URL+"/nowhere")
	var nf *NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "HEAD", nf.Method)
	_, err = c.Discover(context.Background(), srv.URL+mocks.PathStats)
	var fb *ForbiddenError
	require.ErrorAs(t, err, &fb)
	assert.Equal(t, 403, fb.StatusCode)
	assert.Nil(t, fb.Problem, "a HEAD answer has no body to carry problem details")
}

func TestDiscoverToleratesMalformedHeaders(t *testing.T) {
	srv := mocks.NewServer(t)
	r := mocks.Info(`{}`)
	r.Profiles, r.Allow = nil, nil // send the raw headers below instead
	r.Header = http.Header{
		"Profile":       {`<https://level3.rest/profiles/info>, <unterminated`, `not a uri`},
		"Link":          {`</ok>; rel="next", <broken; rel="x"`, `garbage`},
		"Last-Modified": {"yesterday"},
		"Allow":         {"GET,, head ,"},
	}
	srv.Handle("/weird", r)
	c := newTestClient(t, srv)
	res, err := c.Discover(context.Background(), srv.URL+"/weird")
	require.NoError(t, err, "malformed headers never fail discovery")
	assert.Error(t, res.Problems)
	assert.True(t, res.Has(profiles.Info))
	require.Len(t, res.Links, 1)
	assert.Equal(t, srv.URL+"/ok", res.Links[0].Href.String())
	assert.True(t, res.LastModified.IsZero())
	assert.Equal(t, []string{"GET", "HEAD"}, res.Allow)
	for _, part := range []string{"profile header", "link header", "last-modified header"} {
		assert.Contains(t, res.Problems.Error(), part)
	}
}

func TestResourceFromResponse(t *testing.T) {
	resp := response("GET", "https://api.example/a/b", 200, "application/json", strings.NewReader(""))
	resp.Header.Add("Link", `<../c>; rel="up"`)
	resp.Header.Set("Profile", "<http://level3.rest/profiles/data>")
	resp.Header.Set("ETag", `W/"1"`)
	resp.Header.Set("Last-Modified", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Format(http.TimeFormat))
	resp.ContentLength = 12
	r := ResourceFromResponse(resp)
	assert.True(t, r.Has(profiles.Data))
	assert.True(t, r.Weak())
	assert.Equal(t, int64(12), r.ContentLength)
	assert.Equal(t, 2026, r.LastModified.Year())
	l, ok := r.Link("UP")
	require.True(t, ok, "registered relation names compare case-insensitively")
	assert.Equal(t, "https://api.example/c", l.Href.String())
	_, err := r.Follow(context.Background(), "up")
	assert.Error(t, err)
	assert.False(t, errors.Is(err, ErrNoLink))
}

func TestDiscoverShowsTheAlias(t *testing.T) {
	forEachProto(t, func(t *testing.T, srv *mocks.Server) {
		c := newTestClient(t, srv)
		ctx := context.Background()
		for i := 1; i <= 2; i++ {
			r, err := c.Discover(ctx, srv.URL+mocks.PathOldOrders)
			require.NoError(t, err)
			assert.Equal(t, srv.URL+mocks.PathOrders, r.URL.String())
			assert.True(t, r.Has(profiles.Nexus))
			assert.False(t, r.Has(profiles.Alias), "the Resource is the target")
			a, ok := r.Alias()
			require.True(t, ok)
			assert.Equal(t, srv.URL+mocks.PathOldOrders, a.URL.String())
			assert.Equal(t, http.StatusPermanentRedirect, a.Status)
			assert.Equal(t, srv.URL+mocks.PathOrders, a.Location.String())
			assert.Equal(t, http.MethodHead, a.Method)
			assert.True(t, a.Profiles().Has(profiles.Alias))
			assert.True(t, a.Profiles().Has(profiles.Nexus), "the alias lists the target's profiles")
			assert.Equal(t, []string{"GET", "HEAD", "DELETE"}, splitList(a.Header.Values("Allow"), strings.ToUpper), "and its allow")
			assert.Equal(t, i, srv.Count(mocks.PathOldOrders), "Discover asks the alias itself every time")
		}
		fetchBody(t, c, srv.URL+mocks.PathOldOrders)
		assert.Equal(t, 2, srv.Count(mocks.PathOldOrders), "but it taught the memory")

		r, err := c.Discover(ctx, srv.URL+mocks.PathLatest)
		require.NoError(t, err)
		a, ok := r.Alias()
		require.True(t, ok)
		assert.Equal(t, http.StatusTemporaryRedirect, a.Status)
		assert.True(t, r.Has(profiles.Content))

		r, err = c.Discover(ctx, srv.URL+mocks.PathOrders)
		require.NoError(t, err)
		_, ok = r.Alias()
		assert.False(t, ok)
		assert.Empty(t, r.Redirects)
	})
}
