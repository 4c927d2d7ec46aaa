package level3

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

func TestPrefersAsync(t *testing.T) {
	for v, want := range map[string]bool{
		"respond-async":                   true,
		"respond-async, wait=10":          true,
		"wait=5, Respond-Async":           true,
		"return=minimal":                  false,
		"respond-asynchronously":          false,
		"":                                false,
		"respond-async;foo=bar, wait=100": true,
	} {
		h := http.Header{}
		if v != "" {
			h.Set("Prefer", v)
		}
		assert.Equal(t, want, prefersAsync(h), v)
	}
}

func TestPreflightAsyncProbesWithoutPrefer(t *testing.T) {
	eachProto(t, func(t *testing.T, srv *mocks.Server, ect time.Duration) {
		up := limitedUpload(4 << 20).With(profiles.Async)
		srv.Handle("/up", up)
		hc, written := wireClient(t, srv, ect)
		c, err := New(WithHTTPClient(hc), WithRetry(RetryPolicy{Schedule: Schedule{Attempts: -1}}))
		require.NoError(t, err)
		ctx := context.Background()

		opts := &UploadOptions{RequestOptions: RequestOptions{Header: http.Header{"Prefer": {"respond-async"}}}}
		res, err := c.Upload(ctx, srv.URL+"/up", zeroBody(2<<20), opts)
		require.NoError(t, err)
		assert.Equal(t, http.StatusAccepted, res.Status)
		log := srv.Requests()
		require.Len(t, log, 2, "a probe, then the request")
		assert.Empty(t, log[0].Header.Get("Prefer"), "the probe does not ask for async")
		assert.Zero(t, log[0].BodyBytes, "the probe sends no body")
		assert.Equal(t, "respond-async", log[1].Header.Get("Prefer"))
		assert.Empty(t, log[1].Header.Get("Expect"))
		assert.EqualValues(t, 2<<20, log[1].BodyBytes)

		srv.ResetLog()
		before := written.Load()
		_, err = c.Upload(ctx, srv.URL+"/up", zeroBody(big), opts)
		var tooLarge *PayloadTooLargeError
		require.ErrorAs(t, err, &tooLarge, "the probe's answer is the answer")
		assert.Len(t, srv.Requests(), 1)
		assert.Zero(t, srv.BodyBytes("/up"))
		assert.Less(t, written.Load()-before, int64(headersOnly))
	})
}

func TestClientPreflight(t *testing.T) {
	eachProto(t, func(t *testing.T, srv *mocks.Server, ect time.Duration) {
		srv.Handle("/up", limitedUpload(1<<20))
		hc, written := wireClient(t, srv, ect)
		c, err := New(WithHTTPClient(hc))
		require.NoError(t, err)
		ctx := context.Background()
		h := http.Header{"Content-Type": {"text/plain"}}

		assert.NoError(t, c.Preflight(ctx, http.MethodPost, srv.URL+"/up", h, 1000))
		err = c.Preflight(ctx, http.MethodPost, srv.URL+"/up", h, big)
		var tooLarge *PayloadTooLargeError
		assert.ErrorAs(t, err, &tooLarge)
		err = c.Preflight(ctx, http.MethodPost, srv.URL+"/up", nil, 1000)
		var badType *UnsupportedMediaTypeError
		assert.ErrorAs(t, err, &badType, "no content-type")
		assert.Zero(t, srv.BodyBytes("/up"))
		assert.Less(t, written.Load(), int64(3*headersOnly))
		assert.Error(t, c.Preflight(ctx, http.MethodPost, srv.URL+"/up", nil, 0))
	})
	t.Run("HTTP1/417", func(t *testing.T) {
		srv := mocks.NewServer(t)
		srv.Handle("/up", limitedUpload(1<<20))
		srv.Fail("/up", mocks.Expect417())
		c, err := New(WithHTTPClient(srv.Client()))
		require.NoError(t, err)
		err = c.Preflight(context.Background(), http.MethodPost, srv.URL+"/up", nil, 10)
		assert.ErrorIs(t, err, ErrNoPreflight)
		var efe *ExpectationFailedError
		assert.ErrorAs(t, err, &efe)
	})
	t.Run("HTTP1/silent", func(t *testing.T) {
		srv := mocks.NewServer(t)
		srv.Handle("/up", limitedUpload(1<<20))
		srv.Fail("/up", mocks.NoContinue())
		c, err := New(WithHTTPClient(srv.Client()), WithPreflight(PreflightPolicy{Wait: 50 * time.Millisecond}))
		require.NoError(t, err)
		err = c.Preflight(context.Background(), http.MethodPost, srv.URL+"/up", nil, 10)
		assert.ErrorIs(t, err, ErrNoPreflight)
		assert.Equal(t, 1, srv.Count("/up"), "not retried")
	})
}
