package level3

// Tests that the bodies the Client reads or discards on the caller's behalf
// (error bodies, redirect and poll bodies, what follows a JSON value) cost bounded time against a server that
// drips them, over HTTP/1.1 and HTTP/2. The helpers are in errors.go.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dripFor is how long a dripping handler goes on when the client does not
// go away: far beyond the bounds under test, so that a missing bound fails.
const dripFor = 20 * time.Second

// heldBound is what the tests accept as "not held": the bound under test
// plus room for -race and a loaded machine, and well below dripFor.
const heldBound = 8 * time.Second

// drip writes head, then one byte every 50ms until the client goes away or
// dripFor has passed.
func drip(w http.ResponseWriter, r *http.Request, head string) {
	_, _ = io.WriteString(w, head)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	end := time.After(dripFor)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-end:
			return
		case <-tick.C:
			if _, err := io.WriteString(w, " "); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		}
	}
}

// forEachTLSServer runs test against h served over HTTP/1.1 and over
// HTTP/2, with a Client made with opts that trusts the server.
func forEachTLSServer(t *testing.T, h http.HandlerFunc, opts []Option, test func(t *testing.T, c *Client, url string)) {
	for _, h2 := range []bool{false, true} {
		name := "HTTP1"
		if h2 {
			name = "HTTP2"
		}
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(h)
			srv.EnableHTTP2 = h2
			srv.StartTLS()
			defer srv.Close()
			c, err := New(append([]Option{WithHTTPClient(srv.Client())}, opts...)...)
			require.NoError(t, err)
			test(t, c, srv.URL)
		})
	}
}

// dripClient is the Client of forEachTLSServer for these tests: it does
// not retry.
var dripClient = []Option{WithRetry(RetryPolicy{Schedule: Schedule{Attempts: -1}})}

func TestDrippingErrorBodyIsBoundedInTime(t *testing.T) {
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusInternalServerError)
		drip(w, r, `{"title":"slow",`)
	}
	forEachTLSServer(t, h, dripClient, func(t *testing.T, c *Client, url string) {
		start := time.Now()
		_, err := c.Get(context.Background(), url, nil)
		held := time.Since(start)
		t.Logf("a dripping error body held the call %v", held.Round(10*time.Millisecond))
		var se *ServerError
		require.ErrorAs(t, err, &se)
		assert.Less(t, held, heldBound)
		assert.GreaterOrEqual(t, held, errorBodyWait, "what arrives within errorBodyWait is read")
		assert.Contains(t, string(se.Body), `{"title":"slow",`, "the bytes that came in time are kept")
	})
}

func TestDrippingRedirectBodyIsBoundedInTime(t *testing.T) {
	h := func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/to" {
			_, _ = io.WriteString(w, "arrived")
			return
		}
		w.Header().Set("Location", "/to")
		w.WriteHeader(http.StatusTemporaryRedirect)
		drip(w, r, "moved")
	}
	forEachTLSServer(t, h, dripClient, func(t *testing.T, c *Client, url string) {
		start := time.Now()
		resp, err := c.Get(context.Background(), url+"/from", nil)
		held := time.Since(start)
		t.Logf("a dripping redirect body held the call %v", held.Round(10*time.Millisecond))
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, "arrived", string(body))
		assert.Less(t, held, heldBound)
	})
}

// TestDrippingPollBodiesAreBoundedInTime: the body of a 202 Accepted, and
// of a poll that says "not yet", are drained for at most drainWait each.
func TestDrippingPollBodiesAreBoundedInTime(t *testing.T) {
	var polls atomic.Int32
	h := func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/op":
			w.Header().Set("Location", "/status")
			w.WriteHeader(http.StatusAccepted)
			drip(w, r, "accepted")
		case polls.Add(1) == 1:
			w.WriteHeader(http.StatusAccepted)
			drip(w, r, "not yet")
		default:
			_, _ = io.WriteString(w, "done")
		}
	}
	forEachTLSServer(t, h, dripClient, func(t *testing.T, c *Client, url string) {
		polls.Store(0)
		start := time.Now()
		req, err := http.NewRequest(http.MethodPost, url+"/op", nil)
		require.NoError(t, err)
		p, err := c.DoAsync(req, nil)
		require.NoError(t, err)
		resp, err := p.Wait(context.Background())
		held := time.Since(start)
		t.Logf("two dripping bodies and a poll wait held the operation %v", held.Round(10*time.Millisecond))
		require.NoError(t, err)
		resp.Body.Close()
		assert.EqualValues(t, 2, polls.Load())
		assert.Less(t, held, heldBound)
	})
}

// TestDrippingTailAfterJSONIsBoundedInTime: GetJSON has its value once the
// JSON ends; what follows is drained for at most drainWait.
func TestDrippingTailAfterJSONIsBoundedInTime(t *testing.T) {
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		drip(w, r, `{"a":1}`)
	}
	forEachTLSServer(t, h, dripClient, func(t *testing.T, c *Client, url string) {
		var v struct{ A int }
		start := time.Now()
		_, err := c.GetJSON(context.Background(), url, &v, nil)
		held := time.Since(start)
		t.Logf("a dripping tail after the JSON value held the call %v", held.Round(10*time.Millisecond))
		require.NoError(t, err)
		assert.Equal(t, 1, v.A)
		assert.Less(t, held, heldBound)
	})
}

// TestDrainAndCloseReadsQuickBodiesWhole checks that the bound costs nothing
// to a body that comes at once: it is read to its end (so the connection can
// be reused) and closed once.
func TestDrainAndCloseReadsQuickBodiesWhole(t *testing.T) {
	body := &countingBody{r: zeroBody(maxDrain / 2)}
	drainAndClose(body)
	assert.Equal(t, int64(maxDrain/2), body.n)
	assert.Equal(t, 1, body.closes)

	big := &countingBody{r: zeroBody(1 << 30)}
	drainAndClose(big)
	assert.Equal(t, int64(maxDrain), big.n, "no more than maxDrain is read")
	assert.Equal(t, 1, big.closes)
}

// countingBody counts the bytes read and the calls to Close.
type countingBody struct {
	r      io.Reader
	n      int64
	closes int
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *countingBody) Close() error {
	b.closes++
	if b.closes > 1 {
		return errors.New("closed twice")
	}
	return nil
}
