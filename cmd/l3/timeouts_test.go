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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/backlog"
)

// rawServer accepts connections on loopback and hands each to serve in a
// goroutine; it counts them. When the test ends it stops accepting, closes
// the connections and waits for serve to return.
func rawServer(t *testing.T, serve func(net.Conn)) (url string, accepted *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	accepted = new(atomic.Int32)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				serve(conn)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + l.Addr().String() + "/file.bin", accepted
}

// hold keeps conn open, reading and discarding what the client sends, until
// the client or the test closes it.
func hold(conn net.Conn) { _, _ = io.Copy(io.Discard, conn) }

func TestBinaryStallTimeoutServerNeverAnswers(t *testing.T) {
	url, accepted := rawServer(t, hold)

	code, _, stderr := runBinary(t, time.Minute, "get", url, "--stall-timeout", "300ms")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stderr, "no data received within the stall timeout (300ms)")
	assert.Contains(t, stderr, "use --stall-timeout to wait longer")
	assert.EqualValues(t, 4, accepted.Load(), "a GET is retried (3 retries by default)")

	accepted.Store(0)
	code, _, stderr = runBinary(t, time.Minute, "send", "POST", url, "--stall-timeout", "300ms")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stderr, "use --stall-timeout to wait longer")
	assert.EqualValues(t, 1, accepted.Load(), "a POST is not safe to send again")
}

func TestBinaryStallTimeoutBodyStops(t *testing.T) {
	url, _ := rawServer(t, func(conn net.Conn) {
		buf := make([]byte, 4096)
		if _, err := conn.Read(buf); err != nil { // the request (small, one read)
			return
		}
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"+strings.Repeat("x", 100))
		hold(conn)
	})

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
	url, _ := rawServer(t, func(conn net.Conn) {
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
	})
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
