package level3

// Tests of WithStallWatch and WithConnectTimeout (stall.go) against servers
// that accept and never answer, stop sending mid-body, or never let a
// connection be made, over HTTP/1.1 and HTTP/2. Helpers are in drain_test.go.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/backlog"
	"github.com/l3go/level3/internal/liar"
)

// testStall is the stall timeout of these tests: short, but long enough for
// a TLS handshake and an answer on loopback under -race on a loaded machine.
const testStall = time.Second

// stallClient is the Client of forEachTLSServer for these tests: it
// watches for stalls and retries quickly.
var stallClient = []Option{WithRetry(fastRetry), WithStallWatch(testStall)}

// silent reads the request body, then waits, sending nothing, until the
// client goes away or dripFor has passed. (An HTTP/1 server notices that
// the client went away only once the body is read.)
func silent(r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(dripFor):
	}
}

func TestStallWatchFailsSilentServer(t *testing.T) {
	var requests atomic.Int32
	h := func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		silent(r)
	}
	forEachTLSServer(t, h, stallClient, func(t *testing.T, c *Client, url string) {
		requests.Store(0)
		start := time.Now()
		_, err := c.Get(context.Background(), url, nil)
		require.ErrorIs(t, err, ErrStalled)
		assert.Less(t, time.Since(start), heldBound)
		assert.EqualValues(t, 1+fastRetry.Attempts, requests.Load(), "a GET is safe to send again")
		assert.Contains(t, err.Error(), testStall.String())

		requests.Store(0)
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader("once"))
		require.NoError(t, err)
		_, err = c.Do(req)
		require.ErrorIs(t, err, ErrStalled)
		assert.EqualValues(t, 1, requests.Load(), "a POST without an idempotency key is sent once")
	})
}

// TestStallWatchFailsServerThatAcceptsAndNeverAnswers: at the TCP level,
// a server accepts connections and reads nothing, writes nothing.
func TestStallWatchFailsServerThatAcceptsAndNeverAnswers(t *testing.T) {
	mute := liar.Raw(t, func(net.Conn) { <-t.Context().Done() }) // reads nothing, writes nothing
	c, err := New(WithRetry(RetryPolicy{Schedule: Schedule{Attempts: -1}}), WithStallWatch(testStall))
	require.NoError(t, err)
	defer c.HTTPClient().CloseIdleConnections()
	start := time.Now()
	_, err = c.Get(context.Background(), mute.URL+"/", nil)
	require.ErrorIs(t, err, ErrStalled)
	assert.Less(t, time.Since(start), heldBound)
	assert.Equal(t, 1, mute.Accepted())
}

func TestStallWatchFailsBodyThatStops(t *testing.T) {
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		_, _ = io.WriteString(w, strings.Repeat("x", 100))
		_ = http.NewResponseController(w).Flush()
		silent(r)
	}
	forEachTLSServer(t, h, stallClient, func(t *testing.T, c *Client, url string) {
		resp, err := c.Get(context.Background(), url, nil)
		require.NoError(t, err)
		defer resp.Body.Close()
		start := time.Now()
		body, err := io.ReadAll(resp.Body)
		require.ErrorIs(t, err, ErrStalled)
		assert.Less(t, time.Since(start), heldBound)
		assert.Len(t, body, 100)
	})
}

// TestStallWatchAllowsSlowSteadyServers: bytes that keep coming, a caller
// that takes its time between Reads, a server that takes the wait a
// request prefers, and a request body that the server reads slowly are not
// stalls.
func TestStallWatchAllowsSlowSteadyServers(t *testing.T) {
	const slowBody = 16 << 20 // more than loopback socket buffers hold
	pause := func(r *http.Request, d time.Duration) bool {
		select {
		case <-r.Context().Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	h := func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/drip": // a byte every 50ms for 1.5 stall timeouts
			for range 30 {
				_, _ = io.WriteString(w, ".")
				_ = http.NewResponseController(w).Flush()
				if !pause(r, 50*time.Millisecond) {
					return
				}
			}
		case "/big": // more than socket buffers hold, at once
			_, _ = w.Write(make([]byte, slowBody))
		case "/wait": // answers after 1.5 stall timeouts, within prefer: wait=2
			if pause(r, testStall*3/2) {
				w.WriteHeader(http.StatusAccepted)
			}
		case "/upload": // reads a little, pauses beyond the stall timeout, reads the rest
			buf := make([]byte, 1<<10)
			_, _ = io.ReadFull(r.Body, buf)
			if !pause(r, testStall*3/2) {
				return
			}
			n, _ := io.Copy(io.Discard, r.Body)
			if n+int64(len(buf)) != slowBody {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusCreated)
		}
	}
	forEachTLSServer(t, h, stallClient, func(t *testing.T, c *Client, url string) {
		resp, err := c.Get(context.Background(), url+"/drip", nil)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Len(t, body, 30)

		resp, err = c.Get(context.Background(), url+"/big", nil)
		require.NoError(t, err)
		_, err = resp.Body.Read(make([]byte, 1))
		require.NoError(t, err)
		time.Sleep(testStall * 3 / 2) // the caller is busy; the server waits on a full window
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.EqualValues(t, slowBody-1, n)

		req, err := http.NewRequest(http.MethodPost, url+"/wait", nil)
		require.NoError(t, err)
		req.Header.Set("Prefer", "respond-async, wait=2")
		resp, err = c.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusAccepted, resp.StatusCode)

		req, err = NewRequest(context.Background(), http.MethodPost, url+"/upload", io.NewSectionReader(zeros{}, 0, slowBody))
		require.NoError(t, err)
		resp, err = c.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
	})
}

func TestConnectTimeout(t *testing.T) {
	addr := backlog.Full(t)
	const connect = 300 * time.Millisecond
	c, err := New(WithRetry(fastRetry), WithConnectTimeout(connect))
	require.NoError(t, err)
	defer c.HTTPClient().CloseIdleConnections()
	start := time.Now()
	_, err = c.Get(context.Background(), "http://"+addr+"/", nil)
	held := time.Since(start)
	t.Logf("no connection: failed after %v", held.Round(10*time.Millisecond))
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	assert.Contains(t, err.Error(), "after 4 attempts", "a connect timeout is retried")
	assert.Less(t, held, heldBound)
}

func TestPreferredWait(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"":                       0,
		"respond-async":          0,
		"respond-async, wait=10": 10 * time.Second,
		"wait=-3":                0,
		"wait=x":                 0,
		"wait=99999999999999999": maxPreferredWait,
	} {
		h := http.Header{}
		if in != "" {
			h.Set("Prefer", in)
		}
		assert.Equal(t, want, preferredWait(h), in)
	}
}

func TestWithStallWatchAndConnectTimeoutValidate(t *testing.T) {
	for _, opt := range []Option{WithStallWatch(0), WithStallWatch(-time.Second), WithConnectTimeout(0)} {
		_, err := New(opt)
		assert.Error(t, err)
	}
	_, err := New(WithHTTPClient(&http.Client{}), WithConnectTimeout(time.Second))
	assert.True(t, errors.Is(err, errConnectTimeoutWithHTTPClient))
}
