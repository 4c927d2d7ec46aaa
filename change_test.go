package level3

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
