package mocks

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/profiles"
)

// A 204 to DELETE describes nothing: no validators of the deleted state, no
// content type; a 202 Accepted carries none either (the change is not made
// yet). A PUT's 204 carries the new validators.
func TestDeleteAnswersCarryNoValidators(t *testing.T) {
	s := NewServer(t, Strict(t))
	s.AddCatalog()
	c := noRedirects()
	for _, path := range []string{PathOrder3, PathReport} {
		resp, body := do(t, c, "DELETE", s.URL+path, nil)
		require.Equal(t, http.StatusNoContent, resp.StatusCode, path)
		assert.Empty(t, body)
		for _, h := range []string{"ETag", "Last-Modified", "Content-Type"} {
			assert.Empty(t, resp.Header.Values(h), "%s: %s on a DELETE's 204", path, h)
		}
	}

	resp, _ := do(t, c, "PUT", s.URL+PathOrder2, strings.NewReader(`{"id":2,"state":"packed"}`), "Content-Type", "application/json")
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	stored, _ := s.Resource(PathOrder2)
	assert.Equal(t, stored.ETag, resp.Header.Get("ETag"), "a PUT's 204 names the new state")

	d := Data(`{"v":1}`).With(profiles.Async)
	s.Handle("/async", d)
	for _, method := range []string{"PUT", "DELETE"} {
		resp, _ = do(t, c, method, s.URL+"/async", strings.NewReader(`{"v":2}`), "Prefer", "respond-async", "Content-Type", "application/json")
		require.Equal(t, http.StatusAccepted, resp.StatusCode, method)
		assert.Empty(t, resp.Header.Get("ETag"), "%s: a 202 names no state", method)
		assert.Empty(t, resp.Header.Get("Last-Modified"), method)
		do(t, c, "GET", s.URL+"/async", nil) // let the operation finish
	}
}
