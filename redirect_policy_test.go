package level3

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

func TestRedirectLoopsAndLimits(t *testing.T) {
	srv := mocks.NewServer(t, mocks.Strict(t))
	srv.AddCatalog()
	c := newTestClient(t, srv)

	for _, status := range []int{http.StatusPermanentRedirect, http.StatusTemporaryRedirect} {
		prefix := "/loop" + http.StatusText(status)[:4]
		url := srv.Loop(status, prefix+"1", prefix+"2", prefix+"3")
		_, err := c.Get(context.Background(), url, nil)
		require.ErrorIs(t, err, ErrRedirectLoop)
		var re *RedirectError
		require.ErrorAs(t, err, &re)
		require.Len(t, re.Hops, 3)
		for i, h := range re.Hops {
			assert.Equal(t, status, h.Status)
			assert.Equal(t, srv.URL+prefix+string(rune('1'+i)), h.URL.String())
		}
		assert.Equal(t, url, re.Hops[2].Location.String(), "the last hop names where the loop closes")
		assert.Contains(t, err.Error(), "redirect loop: GET "+url)
		assert.Equal(t, []int{1, 1, 1}, counts(srv, prefix+"1", prefix+"2", prefix+"3"))
	}
	entries, _ := c.RedirectStore().Entries()
	assert.Empty(t, entries, "a chain that failed teaches nothing")

	hops := []string{"/h1", "/h2", "/h3", "/h4", "/h5", "/h6", "/h7", "/h8", "/h9", "/h10", "/h11"}
	long := srv.Chain(http.StatusTemporaryRedirect, mocks.PathStats, hops...)
	_, err := c.Get(context.Background(), long, nil)
	require.ErrorIs(t, err, ErrTooManyRedirects)
	var re *RedirectError
	require.ErrorAs(t, err, &re)
	assert.Len(t, re.Hops, 11, "ten followed, the eleventh refused")
	assert.Zero(t, srv.Count(mocks.PathStats))

	more, err := New(WithHTTPClient(srv.Client()), WithRedirectPolicy(RedirectPolicy{MaxRedirects: 11}))
	require.NoError(t, err)
	assert.Contains(t, fetchBody(t, more, long), "revenue")
}

func TestRedirectHonoursCheckRedirect(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	var seen []string
	hc := srv.Client()
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		seen = append(seen, req.Method+" "+req.URL.Path)
		req.Header.Set("X-Checked", "yes") // net/http lets CheckRedirect change the request
		return nil
	}
	c, err := New(WithHTTPClient(hc))
	require.NoError(t, err)
	fetchBody(t, c, srv.URL+mocks.PathLatest)
	assert.Equal(t, []string{"GET " + mocks.PathReport}, seen)
	log := srv.Requests()
	assert.Equal(t, "yes", log[len(log)-1].Header.Get("X-Checked"))

	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c, err = New(WithHTTPClient(hc))
	require.NoError(t, err)
	resp, err := c.Get(context.Background(), srv.URL+mocks.PathOldOrders, nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusPermanentRedirect, resp.StatusCode)
	entries, _ := c.RedirectStore().Entries()
	assert.Empty(t, entries, "a redirect not followed is not remembered")

	stop := errors.New("not there")
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return stop }
	c, err = New(WithHTTPClient(hc))
	require.NoError(t, err)
	_, err = c.Get(context.Background(), srv.URL+mocks.PathOldOrders, nil)
	require.ErrorIs(t, err, stop)
	var re *RedirectError
	assert.ErrorAs(t, err, &re)
}

func TestRedirectsDisabled(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv, WithRedirectPolicy(RedirectPolicy{MaxRedirects: -1}))
	resp, err := c.Get(context.Background(), srv.URL+mocks.PathOldOrders, nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusPermanentRedirect, resp.StatusCode)
	assert.Equal(t, mocks.PathOrders, resp.Header.Get("Location"))
	assert.Zero(t, srv.Count(mocks.PathOrders))
}
