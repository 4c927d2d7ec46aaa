package main

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

func TestSendAndPollUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"send"},
		{"send", "POST"},
		{"send", "POST", "http://x", "f", "extra"},
		{"send", "GET", "http://x", "--async"},
		{"send", "HEAD", "http://x", "--wait", "3"},
		{"send", "POST", "http://x", "--wait", "-1"},
		{"send", "POST", "http://x", "--wait", "soon"},
		{"send", "BAD METHOD", "http://x"},
		{"poll"},
		{"poll", "a", "b"},
		{"poll", "not-a-token"},
	} {
		code, _, errOut := runL3(t, args...)
		assert.Equal(t, exitUsage, code, "%q", args)
		assert.NotEmpty(t, errOut, "%q", args)
	}
	o, err := parseSend([]string{"put", "http://h/x", "f.json", "--wait", "5", "-H", "If-Match: \"a\""}, streams{err: &strings.Builder{}})
	require.NoError(t, err)
	assert.Equal(t, "PUT", o.method)
	assert.True(t, o.async.enabled(), "--wait implies --async")
	assert.Equal(t, 5, o.async.wait.secs)
	assert.Equal(t, "application/json", o.bodyType())
}

// asyncShop is the catalog plus an async upload that finishes at its first
// poll (about half a second after the 202, on the default schedule).
func asyncShop(t *testing.T) *mocks.Server {
	srv := shop(t)
	up := mocks.Upload().With(profiles.Async)
	up.AsyncAfter = time.Millisecond
	srv.Handle("/async", up)
	return srv
}

func TestSendAsyncPollsToCompletion(t *testing.T) {
	t.Parallel()
	srv := asyncShop(t)
	file := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(file, []byte("hello"), 0o600))

	code, out, errOut := runL3(t, "send", "POST", srv.URL+"/async", file, "--async", "-H", "Prefer: return=minimal")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "202 Accepted; watching "+srv.URL+"/async/1")
	assert.Contains(t, errOut, "resume token: l3poll.")
	assert.Regexp(t, `poll 1  \+0\.\ds  200 OK: done`, errOut)
	assert.Equal(t, "200 OK\nlocation: "+srv.URL+"/async/1\n", firstLines(out, 2))
	post := srv.Requests()[0]
	assert.Equal(t, "return=minimal, respond-async", post.Header.Get("Prefer"))
	assert.Equal(t, "text/plain; charset=utf-8", post.Header.Get("Content-Type"), "from the file's extension")
	assert.EqualValues(t, 5, post.BodyBytes)
}

func TestSendDetachThenPollInAnotherProcess(t *testing.T) {
	t.Parallel()
	srv := asyncShop(t)
	code, out, errOut := runL3(t, "send", "post", srv.URL+"/async", "--detach", "--content-type", "text/plain")
	require.Equal(t, exitOK, code, errOut)
	token := strings.TrimSpace(out)
	require.True(t, strings.HasPrefix(token, "l3poll."), out)
	assert.Len(t, srv.Requests(), 1, "detached: no poll")

	code, out, errOut = runL3(t, "poll", token, "--json")
	require.Equal(t, exitOK, code, errOut)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.EqualValues(t, 200, got["status"])
	assert.Equal(t, srv.URL+"/async/1", got["location"])
	assert.EqualValues(t, 1, got["polls"])
	assert.NotEmpty(t, got["etag"])
}

func TestSendAsyncFailureAndTimeout(t *testing.T) {
	t.Parallel()
	srv := shop(t)
	up := mocks.Upload().With(profiles.Async)
	fail := mocks.Problem(422, "Unreadable upload", "not a CSV file")
	up.AsyncFailure, up.AsyncAfter = &fail, time.Millisecond
	srv.Handle("/failing", up)
	slow := mocks.Upload().With(profiles.Async)
	slow.RetryAfter, slow.AsyncPolls = "30", 5
	srv.Handle("/slow", slow)

	code, _, errOut := runL3(t, "send", "POST", srv.URL+"/failing", "--async", "--content-type", "text/csv")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "422 Unprocessable Entity: Unreadable upload (not a CSV file)")

	start := time.Now()
	code, _, errOut = runL3(t, "send", "POST", srv.URL+"/slow", "--async", "--content-type", "text/csv", "--timeout", "300ms")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "stopped; continue with: l3 poll l3poll.")
	assert.Contains(t, errOut, "deadline exceeded")
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestSendSynchronously(t *testing.T) {
	srv := shop(t)
	code, out, errOut := runL3(t, "send", "PUT", srv.URL+mocks.PathOrder2, "-", "--content-type", "application/json")
	assert.Equal(t, exitFailed, code, "an empty body is not JSON: %s", out)
	assert.Contains(t, errOut, "400")

	file := filepath.Join(t.TempDir(), "order.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"id":2,"state":"paid"}`), 0o600))
	code, out, errOut = runL3(t, "send", "PUT", srv.URL+mocks.PathOrder2, file)
	require.Equal(t, exitOK, code, errOut)
	assert.True(t, strings.HasPrefix(out, "204 No Content\netag: \""), out)
	res, _ := srv.Resource(mocks.PathOrder2)
	assert.JSONEq(t, `{"id":2,"state":"paid"}`, string(res.Body))

	code, out, errOut = runL3(t, "send", "PUT", srv.URL+mocks.PathOrder1, file, "--async", "-H", "Content-Type: application/json")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "answered synchronously")
	assert.True(t, strings.HasPrefix(out, "204 No Content\n"), out)
}

// firstLines returns the first n lines of s, each with its newline.
func firstLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "")
}

func TestUploadAndPutAsync(t *testing.T) {
	srv := mocks.NewServer(t)
	up := mocks.Upload().With(profiles.Async)
	up.AsyncPolls = 1
	srv.Handle("/async-uploads", up)
	content := mocks.Content([]byte("old"), "text/plain").With(profiles.Async)
	content.AsyncPolls = 1
	srv.Handle("/async-file", content)
	file := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(file, []byte("new notes"), 0o600))

	code, out, errOut := runL3(t, "upload", srv.URL+"/async-uploads", file, "--async")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "watching "+srv.URL+"/async-uploads/")
	assert.Contains(t, out, "location: "+srv.URL+"/async-uploads/")
	post := srv.Requests()[0]
	assert.Contains(t, post.Header.Get("Prefer"), "respond-async")
	assert.Equal(t, "notes.txt", post.Header.Get("Slug"))
	assert.EqualValues(t, len("new notes"), post.BodyBytes)

	code, _, errOut = runL3(t, "put", srv.URL+"/async-file", file, "--async")
	require.Equal(t, exitOK, code, errOut)
	got, _ := srv.Resource("/async-file")
	assert.Equal(t, "new notes", string(got.Body))

	code, _, errOut = runL3(t, "upload", srv.URL+"/async-uploads", file, file, "--async")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--async sends one file")
}
