package mocks

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every problem type the server sends is an absolute URI (RFC 9457 §3.1.1
// asks for a URI reference; RFC 3986 has no room for a space).
func TestProblemTypesAreURIs(t *testing.T) {
	for code := 100; code <= 599; code++ {
		typ := ProblemType(code)
		u, err := url.Parse(typ)
		require.NoError(t, err, "%d: %q", code, typ)
		assert.True(t, u.IsAbs(), "%d: %q", code, typ)
		assert.Equal(t, typ, u.String(), "%d: %q needs no escaping", code, typ)
		assert.NotContains(t, typ, " ")
	}
	assert.Equal(t, "https://level3.rest/problems/not-found", ProblemType(404))
	assert.Equal(t, "https://level3.rest/problems/precondition-failed", ProblemType(412))
	assert.Equal(t, "https://level3.rest/problems/request-uri-too-long", ProblemType(414))
	assert.Equal(t, "https://level3.rest/problems/im-a-teapot", ProblemType(418))
	assert.Equal(t, "https://level3.rest/problems/non-authoritative-information", ProblemType(203))
	assert.Equal(t, "about:blank", ProblemType(599))
	for _, typ := range []string{IdempotencyProblemType, ConflictProblemType} {
		u, err := url.Parse(typ)
		require.NoError(t, err)
		assert.True(t, u.IsAbs(), typ)
	}

	// And on the wire: a 404 from the server, and a queued Problem.
	s := NewServer(t)
	s.Handle("/x", Info(`{}`))
	s.Fail("/x", Problem(http.StatusServiceUnavailable, "Busy", "later"))
	for _, path := range []string{"/nowhere", "/x"} {
		resp, body := do(t, http.DefaultClient, "GET", s.URL+path, nil)
		var p struct{ Type string }
		require.NoError(t, json.Unmarshal(body, &p), path)
		assert.Equal(t, ProblemType(resp.StatusCode), p.Type, path)
	}
}
