package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

// writeFile writes a document for a command to read.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func TestControlsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"get"},
		{"get", "http://a", "http://b", "-o", "f"},
		{"patch", "http://x"},
		{"patch", "http://x", "f", "--type", "xml"},
		{"delete"},
		{"delete", "http://x", "--force", "--if-match", "abc"},
		{"submit", "http://x"},
		{"trigger"},
		{"trigger", "a", "b"},
		{"list"},
		{"list", "http://x", "--max", "-1"},
	} {
		code, _, errOut := runL3(t, args...)
		assert.Equal(t, exitUsage, code, "%q", args)
		assert.NotEmpty(t, errOut, "%q", args)
	}
	code, out, _ := runL3(t, "help")
	assert.Equal(t, exitOK, code)
	for _, cmd := range []string{"patch URL FILE", "delete URL", "submit FORM_URL FILE", "trigger ACTION_URL", "list URL"} {
		assert.Contains(t, out, cmd)
	}
}

func TestGetRevalidatesWithinARun(t *testing.T) {
	srv := shop(t)
	url := srv.URL + mocks.PathOrder1
	code, out, errOut := runL3(t, "get", "-v", url, url)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, `{"id":1,"state":"open"}{"id":1,"state":"open"}`, out)
	stored, _ := srv.Resource(mocks.PathOrder1)
	lines := strings.Split(errOut, "\n")
	var described []string
	for _, l := range lines {
		if strings.HasPrefix(l, "GET ") {
			described = append(described, l)
		}
	}
	require.Len(t, described, 2, errOut)
	assert.Contains(t, described[0], "etag "+stored.ETag)
	assert.Contains(t, described[0], "last-modified ")
	assert.NotContains(t, described[0], "304")
	assert.Contains(t, described[1], "304 Not Modified: body from the cache")
	assert.Equal(t, stored.ETag, srv.Requests()[1].Header.Get("If-None-Match"), "the second GET was conditional")
}

func TestPatchCommand(t *testing.T) {
	srv := shop(t)
	stored, _ := srv.Resource(mocks.PathOrder1)
	merge := writeFile(t, "p.json", `{"state":"paid"}`)
	code, out, errOut := runL3(t, "patch", srv.URL+mocks.PathOrder1, merge, "--if-match", stored.ETag)
	require.Equal(t, exitOK, code, errOut)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "204 No Content")
	now, _ := srv.Resource(mocks.PathOrder1)
	assert.JSONEq(t, `{"id":1,"state":"paid"}`, string(now.Body))
	assert.Contains(t, errOut, "etag "+now.ETag, "the new validators are printed")

	code, _, errOut = runL3(t, "patch", srv.URL+mocks.PathOrder1, merge, "--if-match", stored.ETag)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "412")
	assert.Contains(t, errOut, "use --force", "the message says what to do")

	ops := writeFile(t, "ops.json", `[{"op":"replace","path":"/name","value":"Lamp"}]`)
	code, _, errOut = runL3(t, "patch", srv.URL+"/products/2", ops)
	require.Equal(t, exitOK, code, errOut)
	p2, _ := srv.Resource("/products/2")
	assert.JSONEq(t, `{"id":2,"name":"Lamp"}`, string(p2.Body))

	bad := writeFile(t, "bad.json", `{"state":`)
	code, _, errOut = runL3(t, "patch", srv.URL+mocks.PathOrder1, bad)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "not valid JSON")
	code, _, _ = runL3(t, "patch", srv.URL+mocks.PathOrder1, filepath.Join(t.TempDir(), "missing.json"))
	assert.Equal(t, exitFailed, code)
}

func TestDeleteCommand(t *testing.T) {
	srv := shop(t)
	code, _, errOut := runL3(t, "delete", srv.URL+mocks.PathOrder2, "--if-match", `"stale"`)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "412")
	_, ok := srv.Resource(mocks.PathOrder2)
	assert.True(t, ok)

	code, _, errOut = runL3(t, "delete", srv.URL+mocks.PathOrder2, "--force")
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, "*", srv.Requests()[1].Header.Get("If-Match"))
	_, ok = srv.Resource(mocks.PathOrder2)
	assert.False(t, ok)
}

func TestSubmitCommand(t *testing.T) {
	srv := shop(t)
	order := writeFile(t, "order.json", `{"item":"book"}`)
	code, out, errOut := runL3(t, "submit", srv.URL+mocks.PathOrderForm, order)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "201 Created")
	loc := strings.TrimSpace(out)
	require.True(t, strings.HasPrefix(loc, srv.URL+mocks.PathOrderForm+"/"), out)
	created, ok := srv.Resource(strings.TrimPrefix(loc, srv.URL))
	require.True(t, ok)
	assert.JSONEq(t, `{"item":"book","quantity":1}`, string(created.Body), "filled over the template")
	post := srv.Requests()[1]
	assert.Equal(t, "POST", post.Method)
	assert.Regexp(t, `^"[0-9a-f-]{36}"$`, post.Header.Get("Idempotency-Key"))

	code, _, errOut = runL3(t, "submit", srv.URL+mocks.PathOrderForm, order, "--key", "mine-1")
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, `"mine-1"`, srv.Requests()[3].Header.Get("Idempotency-Key"))

	query := writeFile(t, "q.json", `{"id":1}`)
	code, out, errOut = runL3(t, "submit", srv.URL+mocks.PathFindOrder, query)
	require.Equal(t, exitOK, code, errOut)
	assert.JSONEq(t, `{"id":1,"state":"open"}`, out, "a lookup prints the result it was sent to")
	assert.Contains(t, errOut, "location "+srv.URL+mocks.PathOrder1)

	code, _, errOut = runL3(t, "submit", srv.URL+mocks.PathOrderForm, writeFile(t, "x.json", "nope"))
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "not valid JSON")
}

func TestTriggerCommand(t *testing.T) {
	srv := shop(t)
	code, out, errOut := runL3(t, "trigger", srv.URL+mocks.PathShip)
	require.Equal(t, exitOK, code, errOut)
	assert.JSONEq(t, `{"id":1,"state":"shipped"}`, out, "the changed state the 303 pointed to")
	assert.Contains(t, errOut, "200 OK, location "+srv.URL+mocks.PathOrder1)

	srv.Handle("/seed", mocks.Action(""))
	code, out, errOut = runL3(t, "trigger", srv.URL+"/seed")
	require.Equal(t, exitOK, code, errOut)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "204 No Content")

	srv.Fail(mocks.PathShip, mocks.Problem(403, "Not paid", "pay first"))
	code, _, errOut = runL3(t, "trigger", srv.URL+mocks.PathShip)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "403")
	assert.Contains(t, errOut, "Not paid")
}

func TestListCommand(t *testing.T) {
	srv := shop(t)
	code, out, errOut := runL3(t, "list", srv.URL+mocks.PathProducts)
	require.Equal(t, exitOK, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 10)
	assert.Equal(t, "1   /products/1   Item 1", lines[0])
	assert.Equal(t, "10  /products/10  Item 10", lines[9])
	assert.Contains(t, errOut, "10 entries on 4 pages")

	code, out, errOut = runL3(t, "list", srv.URL+mocks.PathProducts, "--max", "4")
	require.Equal(t, exitOK, code, errOut)
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 4)
	assert.Contains(t, errOut, "4 entries on 2 pages")

	code, _, errOut = runL3(t, "list", srv.URL+"/nowhere")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "404")
}

func TestControlsDemoStages(t *testing.T) {
	srv := shop(t)
	var c commonFlags
	client, err := c.client(io.Discard)
	require.NoError(t, err)
	var out strings.Builder
	d := &demo{srv: srv, client: client, out: &out}
	for _, st := range []func(context.Context, *demo) error{demoRevalidate, demoOptimistic, demoIdempotency, demoDataActionLookup, demoPaging} {
		srv.ResetLog()
		require.NoError(t, st(context.Background(), d), out.String())
	}
	for _, want := range []string{
		"the server answered 304 Not Modified",
		"attempt 2: PUT with If-Match succeeded: 204",
		"one order created for three POSTs",
		`303 See Other, followed to /orders/3: {"id":3,"note":"leave at the door","state":"shipped"}`,
		"10 entries on 4 pages",
	} {
		assert.Contains(t, out.String(), want)
	}
}
