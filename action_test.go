package level3

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

// noRedirects returns an *http.Client for srv that returns redirects instead
// of following them, as the Client's pipeline will once a redirect layer
// owns them.
func noRedirects(srv *mocks.Server) *http.Client {
	hc := *srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

func TestTriggerSeeOther(t *testing.T) {
	for _, follow := range []bool{true, false} {
		name := map[bool]string{true: "http.Client follows", false: "Trigger follows"}[follow]
		t.Run(name, func(t *testing.T) {
			srv := mocks.NewServer(t)
			srv.AddCatalog()
			srv.Handle(mocks.PathShip, &mocks.Resource{
				Profiles: []profiles.Profile{profiles.Action}, Allow: []string{"POST"},
				Status: http.StatusSeeOther, Location: mocks.PathOrder1,
				Effect: func(s *mocks.Server) { s.SetBody(mocks.PathOrder1, []byte(`{"id":1,"state":"shipped"}`)) },
			})
			opts := []Option{}
			if !follow {
				opts = append(opts, WithHTTPClient(noRedirects(srv)))
			}
			c := newTestClient(t, srv, opts...)
			res, err := c.Trigger(context.Background(), srv.URL+mocks.PathShip, nil)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, res.Status)
			assert.Equal(t, srv.URL+mocks.PathOrder1, res.URL.String())
			assert.Equal(t, srv.URL+mocks.PathOrder1, res.Location.String())
			assert.JSONEq(t, `{"id":1,"state":"shipped"}`, string(res.Body), "the changed state")
			stored, _ := srv.Resource(mocks.PathOrder1)
			assert.Equal(t, stored.ETag, res.Validators.ETag)

			log := srv.Requests()
			require.Len(t, log, 2)
			assert.Equal(t, http.MethodPost, log[0].Method)
			assert.Equal(t, "0", log[0].Header.Get("Content-Length"), "no body")
			assert.Equal(t, http.MethodGet, log[1].Method)
			assert.Equal(t, mocks.PathOrder1, log[1].Path)
		})
	}
}

func TestTriggerSeed204(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.Handle("/reindex", mocks.Action(""))
	c := newTestClient(t, srv)
	res, err := c.Trigger(context.Background(), srv.URL+"/reindex", nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, res.Status)
	assert.Nil(t, res.Location)
	assert.Empty(t, res.Body)
	assert.Equal(t, 1, srv.Count("/reindex"))
}

func TestTriggerRepresentation(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	srv.Handle(mocks.PathShip, mocks.Action(mocks.PathOrder1).With(profiles.Representation))
	c := newTestClient(t, srv, WithHTTPClient(noRedirects(srv)))
	res, err := c.Trigger(context.Background(), srv.URL+mocks.PathShip, &RequestOptions{Return: "representation"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.Status)
	assert.JSONEq(t, `{"id":1,"state":"open"}`, string(res.Body), "the body instead of a 303")
	assert.Equal(t, srv.URL+mocks.PathOrder1, res.Location.String())
	assert.Equal(t, 1, len(srv.Requests()), "no GET needed")
	assert.Equal(t, "return=representation", srv.Requests()[0].Header.Get("Prefer"))
}

func TestTriggerRefused(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	ctx := context.Background()
	srv.Fail(mocks.PathShip, mocks.Problem(http.StatusForbidden, "Not paid", "pay first"))
	_, err := c.Trigger(ctx, srv.URL+mocks.PathShip, nil)
	var forbidden *ForbiddenError
	require.ErrorAs(t, err, &forbidden)
	assert.Equal(t, "Not paid", forbidden.Problem.Title)

	srv.Fail(mocks.PathShip, mocks.Problem(http.StatusConflict, "Already shipped", "seed draft business rule"))
	_, err = c.Trigger(ctx, srv.URL+mocks.PathShip, nil)
	var conflict *ConflictError
	require.ErrorAs(t, err, &conflict)

	srv.Fail(mocks.PathShip, mocks.Status(http.StatusServiceUnavailable))
	_, err = c.Trigger(ctx, srv.URL+mocks.PathShip, nil)
	var unavailable *ServerError
	require.ErrorAs(t, err, &unavailable)
	assert.Equal(t, 1, unavailable.Attempts, "an action is never resent")
}

func TestSeeOtherWithoutLocation(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusSeeOther)
	}))
	defer hs.Close()
	c, err := New(WithHTTPClient(&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}))
	require.NoError(t, err)
	_, err = c.Trigger(context.Background(), hs.URL, nil)
	assert.ErrorIs(t, err, ErrNoLocation)
	c.HTTPClient().CloseIdleConnections()
}
