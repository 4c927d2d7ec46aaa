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

// TestReturnReplacesAReturnInHeader: RequestOptions.Return wins over a
// return preference given in Header, and refuses values other than the two.
func TestReturnReplacesAReturnInHeader(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPut, "http://h/", nil)
	out, err := (&RequestOptions{Header: http.Header{"Prefer": {"return=representation, respond-async"}}, Return: "minimal"}).Apply(req)
	require.NoError(t, err)
	assert.Equal(t, "respond-async, return=minimal", out.Header.Get("Prefer"), "Return wins over a return preference in Header")
	_, err = (&RequestOptions{Return: "full"}).Apply(req)
	assert.ErrorContains(t, err, "RequestOptions.Return")
}
