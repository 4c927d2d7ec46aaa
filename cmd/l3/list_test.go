package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/liar"
	"github.com/l3go/level3/profiles"
)

// pageServer serves one page of a list on its own loopback origin,
// recording what it receives; next is the URL of the next page ("" for
// none), read when a request comes.
func pageServer(t *testing.T, entry string, next *string) (*httptest.Server, *liar.Wire) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", "<"+entry+`>; rel="`+profiles.RelListEntry+`"; title="`+entry+`"`)
		if *next != "" {
			w.Header().Add("Link", "<"+*next+`>; rel="`+profiles.RelPageNext+`"`)
		}
	}))
	wl := liar.Record(srv.Listener)
	srv.Listener = wl
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, wl
}

// TestBinaryListKeepsCredentialsOnTheirOrigin: `l3 list -H` sends the
// credentials given on the command line to the list's origin only; a next
// link to another origin (another port) is followed without them, and not
// one of their bytes reaches it.
func TestBinaryListKeepsCredentialsOnTheirOrigin(t *testing.T) {
	const auth, cookie = "Bearer cli-7f3a91c4", "sid=cli-c00k1e"
	var toB, none string
	b, bWire := pageServer(t, "/b-entry", &none)
	toB = b.URL + "/p2"
	a, aWire := pageServer(t, "/a-entry", &toB)

	code, out, errOut := runBinary(t, time.Minute, "list", "--no-cache", "--timeout", "30s",
		"-H", "Authorization: "+auth, "-H", "Cookie: "+cookie, "-H", "X-Trace: t1", a.URL+"/p1")
	require.Equal(t, exitOK, code, "stderr: %s", errOut)
	assert.Contains(t, out, "/a-entry")
	assert.Contains(t, out, "/b-entry", "the page on the other origin was listed")
	assert.Contains(t, errOut, "on 2 pages")

	assert.Equal(t, 1, aWire.Count(auth), "the list's origin gets the credentials")
	assert.Equal(t, 1, aWire.Count(cookie))
	assert.Equal(t, 1, bWire.Count(" HTTP/1.1\r\n"), "the other origin was asked once")
	leaked := bWire.Count(auth)*len(auth) + bWire.Count(cookie)*len(cookie)
	assert.Zero(t, leaked, "credential bytes received by the other origin")
	assert.Equal(t, 1, bWire.Count("X-Trace: t1"), "other headers go along")
	assert.NotContains(t, errOut, auth, "no credential in the output")
}

// TestBinaryListCredentialsTo: --credentials-to names an origin that gets
// the -H credentials too; a value that is not an origin is a usage error.
func TestBinaryListCredentialsTo(t *testing.T) {
	const auth = "Bearer cli-allowed-42"
	var toB, none string
	b, bWire := pageServer(t, "/b-entry", &none)
	toB = b.URL + "/p2"
	a, _ := pageServer(t, "/a-entry", &toB)

	code, _, errOut := runBinary(t, time.Minute, "list", "--no-cache", "--timeout", "30s",
		"-H", "Authorization: "+auth, "--credentials-to", b.URL, a.URL+"/p1")
	require.Equal(t, exitOK, code, "stderr: %s", errOut)
	assert.Equal(t, 1, bWire.Count(auth), "the allowed origin gets the credentials")

	code, _, errOut = runBinary(t, time.Minute, "list", "--no-cache", "--credentials-to", b.URL+"/path", a.URL+"/p1")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--credentials-to")
}
