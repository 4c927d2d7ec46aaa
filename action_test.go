package level3

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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

func TestLookup(t *testing.T) {
	for _, follow := range []bool{true, false} {
		t.Run(map[bool]string{true: "http.Client follows", false: "Lookup follows"}[follow], func(t *testing.T) {
			srv := mocks.NewServer(t)
			srv.AddCatalog()
			opts := []Option{}
			if !follow {
				opts = append(opts, WithHTTPClient(noRedirects(srv)))
			}
			c := newTestClient(t, srv, opts...)
			ctx := context.Background()
			res, err := c.Lookup(ctx, srv.URL+mocks.PathFindOrder, map[string]int{"id": 1}, nil)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, res.Status)
			assert.Equal(t, srv.URL+mocks.PathOrder1, res.URL.String())
			assert.JSONEq(t, `{"id":1,"state":"open"}`, string(res.Body))
			post := posts(srv, mocks.PathFindOrder)
			require.Len(t, post, 1)
			assert.Equal(t, "application/json", post[0].Header.Get("Content-Type"))
			assert.Equal(t, int64(len(`{"id":1}`)), post[0].BodyBytes)

			res, err = c.Submit(ctx, srv.URL+mocks.PathFindOrder, map[string]int{"id": 1}, nil)
			require.NoError(t, err, "Submit on a Lookup looks up")
			assert.Equal(t, srv.URL+mocks.PathOrder1, res.URL.String())
		})
	}
}

func TestLookupFailures(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.Handle("/find", mocks.Lookup(`{"id":0}`, ""))
	c := newTestClient(t, srv)
	ctx := context.Background()
	_, err := c.Lookup(ctx, srv.URL+"/find", map[string]int{"id": 9}, nil)
	var nf *NotFoundError
	require.ErrorAs(t, err, &nf, "no match")
	assert.Equal(t, http.MethodPost, nf.Method)

	_, err = c.Lookup(ctx, srv.URL+"/find", `id=9`, &RequestOptions{Header: http.Header{"Content-Type": {"text/plain"}}})
	var unsupported *UnsupportedMediaTypeError
	require.ErrorAs(t, err, &unsupported)

	srv.Fail("/find", mocks.Problem(http.StatusUnprocessableEntity, "Bad id", "ids are positive"))
	_, err = c.Lookup(ctx, srv.URL+"/find", map[string]int{"id": -1}, nil)
	var unprocessable *UnprocessableEntityError
	require.ErrorAs(t, err, &unprocessable)

	_, err = c.Lookup(ctx, srv.URL+"/find", func() {}, nil)
	assert.Error(t, err)
}

func TestLookupRepresentation(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	srv.Handle(mocks.PathFindOrder, mocks.Lookup(`{"id":0}`, mocks.PathOrder2).With(profiles.Representation))
	c := newTestClient(t, srv)
	res, err := c.Lookup(context.Background(), srv.URL+mocks.PathFindOrder, map[string]int{"id": 2}, &RequestOptions{Return: "representation"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.Status)
	assert.Equal(t, srv.URL+mocks.PathOrder2, res.Location.String(), "from content-location")
	assert.Equal(t, srv.URL+mocks.PathFindOrder, res.URL.String(), "no redirect followed")
	assert.JSONEq(t, `{"id":2,"state":"open"}`, string(res.Body))
	assert.Len(t, srv.Requests(), 1)
}

func TestRepresentationOfAPut(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.Handle("/d", mocks.Data(`{"a":1}`).With(profiles.Representation))
	c := newTestClient(t, srv)
	res, err := c.PutJSON(context.Background(), srv.URL+"/d", map[string]int{"a": 2}, &RequestOptions{Return: "representation"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.Status)
	assert.JSONEq(t, `{"a":2}`, string(res.Body))
	stored, _ := srv.Resource("/d")
	assert.Equal(t, stored.ETag, res.Validators.ETag)
	assert.Equal(t, srv.URL+"/d", res.Location.String())

	res, err = c.PutJSON(context.Background(), srv.URL+"/d", map[string]int{"a": 3}, &RequestOptions{Return: "minimal"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, res.Status)
	assert.Empty(t, res.Body)
}

func TestSetPreference(t *testing.T) {
	cases := []struct {
		name string
		have []string
		want string
	}{
		{"empty", nil, "return=representation"},
		{"keeps others", []string{"respond-async, wait=5"}, "respond-async, wait=5, return=representation"},
		{"replaces return", []string{"return=minimal", "respond-async"}, "respond-async, return=representation"},
		{"case-insensitive name", []string{"RETURN=minimal;foo=bar"}, "return=representation"},
		{"quoted comma kept whole", []string{`foo="a,b", return=minimal`}, `foo="a,b", return=representation`},
		{"blank elements dropped", []string{" , ,handling=lenient,"}, "handling=lenient, return=representation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.have {
				h.Add("Prefer", v)
			}
			setPreference(h, "return", "representation")
			assert.Equal(t, []string{tc.want}, h.Values("Prefer"))
		})
	}
	req, _ := http.NewRequest(http.MethodPut, "http://h/", nil)
	out, err := (&RequestOptions{Header: http.Header{"Prefer": {"return=representation, respond-async"}}, Return: "minimal"}).Apply(req)
	require.NoError(t, err)
	assert.Equal(t, "respond-async, return=minimal", out.Header.Get("Prefer"), "Return wins over a return preference in Header")
	_, err = (&RequestOptions{Return: "full"}).Apply(req)
	assert.ErrorContains(t, err, "RequestOptions.Return")
}

func TestReadResult(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPost, "http://api/forms/new", nil)
	mk := func(status int, body string, kv ...string) *http.Response {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: req}
	}
	res, err := readResult(req, mk(201, "", "Location", "../orders/9", "ETag", `"e"`))
	require.NoError(t, err)
	assert.Equal(t, "http://api/orders/9", res.Location.String(), "resolved against the request URL")
	assert.Equal(t, `"e"`, res.Validators.ETag)
	assert.Nil(t, res.Body)

	res, err = readResult(req, mk(200, `{"id":9}`, "Content-Location", "/orders/9", "Location", "::bad"))
	require.NoError(t, err)
	assert.Equal(t, "http://api/orders/9", res.Location.String(), "a malformed location falls back to content-location")
	assert.Equal(t, `{"id":9}`, string(res.Body))

	res, err = readResult(req, mk(204, "ignored"))
	require.NoError(t, err)
	assert.Nil(t, res.Body)

	_, err = readResult(req, mk(200, strings.Repeat("x", MaxResultBody+1)))
	assert.ErrorIs(t, err, ErrResponseTooLarge)

	_, err = (&RequestOptions{Header: http.Header{"X-A": {"a\nb"}}}).Apply(req)
	assert.Error(t, err)
	out, err := (&RequestOptions{Header: http.Header{"X-A": {"ok"}}}).Apply(req)
	require.NoError(t, err)
	assert.Equal(t, "ok", out.Header.Get("X-A"))
}
