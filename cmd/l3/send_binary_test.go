package main

// Tests, through the built binary, of where `l3 send` (send.go) prints what:
// the body it asked for on stdout, as `l3 get` does, and the outcome on
// stderr; the outcome alone on stdout otherwise, or as JSON with --json.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

func TestBinarySendGetPrintsTheBodyLikeGet(t *testing.T) {
	t.Parallel()
	srv := shop(t)
	url := srv.URL + mocks.PathOrder1

	code, want, errOut := runBinary(t, time.Minute, "get", url)
	require.Equal(t, exitOK, code, errOut)
	require.NotEmpty(t, want)

	code, out, errOut := runBinary(t, time.Minute, "send", "GET", url)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, want, out, "the body, as l3 get prints it")
	assert.True(t, strings.HasPrefix(errOut, "200 OK\netag: \""), "the outcome on stderr: %q", errOut)

	code, out, errOut = runBinary(t, time.Minute, "send", "get", url, "--json")
	require.Equal(t, exitOK, code, errOut)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got), "stdout is the JSON outcome alone: %q", out)
	assert.EqualValues(t, 200, got["status"])
	assert.NotEmpty(t, got["etag"])
	assert.Empty(t, errOut)

	code, out, errOut = runBinary(t, time.Minute, "send", "HEAD", url)
	require.Equal(t, exitOK, code, errOut)
	assert.True(t, strings.HasPrefix(out, "200 OK\netag: \""), "no body asked for: the outcome on stdout: %q", out)
}

// A Lookup answers its POST with 303 See Other: the body of the GET it leads
// to is what the request asked for.
func TestBinarySendPrintsTheBodyA303LeadsTo(t *testing.T) {
	t.Parallel()
	srv := shop(t)
	query := filepath.Join(t.TempDir(), "query.json")
	require.NoError(t, os.WriteFile(query, []byte(`{"id":1}`), 0o600))

	code, out, errOut := runBinary(t, time.Minute, "send", "POST", srv.URL+mocks.PathFindOrder, query)
	require.Equal(t, exitOK, code, errOut)
	assert.JSONEq(t, `{"id":1,"state":"open"}`, out)
	assert.True(t, strings.HasPrefix(errOut, "200 OK\n"), errOut)
}

// A change prints its outcome on stdout, as before, unless the request
// asked for the representation (prefer: return=representation).
func TestBinarySendPrintsARepresentationAskedFor(t *testing.T) {
	t.Parallel()
	srv := shop(t)
	srv.Handle("/doc", mocks.Data(`{"v":1}`).With(profiles.Representation))
	file := filepath.Join(t.TempDir(), "doc.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"v":2}`), 0o600))

	code, out, errOut := runBinary(t, time.Minute, "send", "PUT", srv.URL+"/doc", file)
	require.Equal(t, exitOK, code, errOut)
	assert.True(t, strings.HasPrefix(out, "204 No Content\netag: \""), out)

	code, out, errOut = runBinary(t, time.Minute, "send", "PUT", srv.URL+"/doc", file, "-H", "Prefer: return=representation")
	require.Equal(t, exitOK, code, errOut)
	assert.JSONEq(t, `{"v":2}`, out)
	assert.True(t, strings.HasPrefix(errOut, "200 OK\netag: \""), errOut)
}
