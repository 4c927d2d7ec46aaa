package level3

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

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
