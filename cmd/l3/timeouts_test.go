package main

// Tests, through the built binary, of --stall-timeout and --connect-timeout
// (flags.go): a server that accepts and never answers, one that stops
// sending mid-body, one that cannot be connected to.

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/backlog"
	"github.com/l3go/level3/internal/liar"
)

func TestBinaryStallTimeoutServerNeverAnswers(t *testing.T) {
	srv := liar.Raw(t, liar.Hold)
	url := srv.URL + "/file.bin"

	code, _, stderr := runBinary(t, time.Minute, "get", url, "--stall-timeout", "300ms")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stderr, "no data received within the stall timeout (300ms)")
	assert.Contains(t, stderr, "use --stall-timeout to wait longer")
	assert.Equal(t, 4, srv.Accepted(), "a GET is retried (3 retries by default)")

	code, _, stderr = runBinary(t, time.Minute, "send", "POST", url, "--stall-timeout", "300ms")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stderr, "use --stall-timeout to wait longer")
	assert.Equal(t, 4+1, srv.Accepted(), "a POST is not safe to send again")
}

func TestBinaryStallTimeoutBodyStops(t *testing.T) {
	url := liar.Raw(t, func(conn net.Conn) {
		buf := make([]byte, 4096)
		if _, err := conn.Read(buf); err != nil { // the request (small, one read)
			return
		}
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"+strings.Repeat("x", 100))
		liar.Hold(conn)
	}).URL + "/file.bin"

	code, stdout, stderr := runBinary(t, time.Minute, "get", url, "--stall-timeout", "300ms")
	assert.Equal(t, exitFailed, code)
	assert.Len(t, stdout, 100, "what came is written, then the stall fails the command")
	assert.Contains(t, stderr, "use --stall-timeout to wait longer")

	target := filepath.Join(t.TempDir(), "out.bin")
	code, _, stderr = runBinary(t, time.Minute, "get", url, "-o", target, "--stall-timeout", "300ms")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stderr, "use --stall-timeout to wait longer")
	_, err := os.Stat(target)
	assert.ErrorIs(t, err, os.ErrNotExist, "no partial file under the target name")
}

// TestBinarySendDoesNotWaitForADrippingBody: l3 send prints the outcome
// from the header; a body that drips (faster than the stall timeout, for
// 100 s) does not hold it.
func TestBinarySendDoesNotWaitForADrippingBody(t *testing.T) {
	url := liar.Raw(t, func(conn net.Conn) {
		buf := make([]byte, 4096)
		if _, err := conn.Read(buf); err != nil {
			return
		}
		if _, err := io.WriteString(conn, "HTTP/1.1 200 OK\r\nEtag: \"v1\"\r\nContent-Length: 1000\r\n\r\n"); err != nil {
			return
		}
		for range 1000 {
			if _, err := conn.Write([]byte{'.'}); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}).URL + "/file.bin"
	code, stdout, stderr := runBinary(t, 20*time.Second, "send", "POST", url)
	assert.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `etag: "v1"`)
}

func TestBinaryConnectTimeout(t *testing.T) {
	url := "http://" + backlog.Full(t) + "/"
	code, _, stderr := runBinary(t, time.Minute, "get", url, "--connect-timeout", "300ms")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stderr, "i/o timeout")
	assert.Contains(t, stderr, "after 4 attempts", "a GET is retried (3 retries by default)")
	assert.Contains(t, stderr, "use --connect-timeout to wait longer")
}

func TestStallAndConnectTimeoutFlags(t *testing.T) {
	o, err := parseGet([]string{"http://h/x"}, streams{err: io.Discard})
	require.NoError(t, err)
	assert.Equal(t, defaultConnectTimeout, o.common.connectTimeout)
	assert.Equal(t, defaultStallTimeout, o.common.stallTimeout)

	o, err = parseGet([]string{"http://h/x", "--stall-timeout", "0", "--connect-timeout", "1s"}, streams{err: io.Discard})
	require.NoError(t, err)
	assert.Zero(t, o.common.stallTimeout)
	_, err = o.common.client(io.Discard)
	require.NoError(t, err)

	code, _, _ := runL3(t, "get", "http://127.0.0.1:1/", "--stall-timeout", "-1s")
	assert.Equal(t, exitUsage, code)
}
