package mocks

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIdempotentUpload: an Upload resource with IdempotencyKey creates one
// resource per key, however often the same bytes come with it, and creates
// anew for every POST without a key.
func TestIdempotentUpload(t *testing.T) {
	s := NewServer(t)
	up := Upload()
	up.IdempotencyKey = "optional"
	s.Handle("/up", up)
	c := noRedirects()
	post := func(key, body string) *http.Response {
		h := []string{"Content-Type", "text/plain", "Slug", "a.txt"}
		if key != "" {
			h = append(h, "Idempotency-Key", key)
		}
		resp, _ := do(t, c, "POST", s.URL+"/up", strings.NewReader(body), h...)
		return resp
	}
	head, _ := do(t, c, "HEAD", s.URL+"/up", nil)
	assert.Equal(t, "optional", head.Header.Get("Idempotency-Key"), "discovery says keys are taken")

	first := post(`"k1"`, "hello")
	require.Equal(t, http.StatusCreated, first.StatusCode)
	again := post(`"k1"`, "hello")
	assert.Equal(t, http.StatusCreated, again.StatusCode)
	assert.Equal(t, first.Header.Get("Location"), again.Header.Get("Location"), "the same resource")
	assert.Equal(t, http.StatusUnprocessableEntity, post(`"k1"`, "other bytes").StatusCode)
	n, ok := s.Submissions("/up", `"k1"`)
	assert.True(t, ok)
	assert.Equal(t, 3, n)

	created, ok := s.Resource(strings.TrimPrefix(first.Header.Get("Location"), s.URL))
	require.True(t, ok)
	assert.Equal(t, "hello", string(created.Body))
	assert.Equal(t, []string{"/up", "/up/1"}, s.Paths(), "one resource for the key")

	assert.NotEqual(t, post("", "x").Header.Get("Location"), post("", "x").Header.Get("Location"))
}
