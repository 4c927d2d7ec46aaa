package level3

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

// An async upload to a resource with the Preflight and Async mixins is
// preflighted first without prefer, then sent with prefer and its body, as
// the Async profile asks; a refusal ends at the probe with no body byte sent.
func TestAsyncUploadIsPreflightedWithoutPrefer(t *testing.T) {
	for _, proto := range []struct {
		name string
		opts []mocks.Option
	}{{"HTTP1", nil}, {"HTTP2", []mocks.Option{mocks.WithHTTP2()}}} {
		t.Run(proto.name, func(t *testing.T) {
			srv := mocks.NewServer(t, proto.opts...)
			srv.AddCatalog() // /uploads: Upload + Preflight + Async, at most 1 MiB
			c := newTestClient(t, srv, WithPreflight(PreflightPolicy{Mode: PreflightAlways, Wait: time.Second}))
			ctx := context.Background()

			body := bytes.Repeat([]byte("x"), 64<<10)
			p, err := c.SendAsync(ctx, http.MethodPost, srv.URL+mocks.PathUploads, "application/octet-stream", bytes.NewReader(body), nil)
			require.NoError(t, err)
			resp, err := p.Wait(ctx)
			require.NoError(t, err)
			resp.Body.Close()

			log := srv.Requests()
			require.GreaterOrEqual(t, len(log), 2)
			probe, send := log[0], log[1]
			if probe.Proto == "HTTP/1.1" {
				// net/http's HTTP/2 server removes expect from the header it
				// hands the handler; over HTTP/1.1 it is visible.
				assert.Equal(t, "100-continue", probe.Header.Get("Expect"))
			}
			assert.Empty(t, probe.Header.Get("Prefer"), "the preflight does not ask for async")
			assert.EqualValues(t, 0, probe.BodyBytes, "the probe carries no body")
			assert.Empty(t, send.Header.Get("Expect"))
			assert.Contains(t, send.Header.Get("Prefer"), "respond-async")
			assert.EqualValues(t, len(body), send.BodyBytes)
			assert.NotNil(t, p.Accepted(), "the server answered 202")

			srv.ResetLog()
			big := bytes.Repeat([]byte("x"), 2<<20)
			_, err = c.SendAsync(ctx, http.MethodPost, srv.URL+mocks.PathUploads, "application/octet-stream", bytes.NewReader(big), nil)
			var tooLarge *PayloadTooLargeError
			require.ErrorAs(t, err, &tooLarge)
			assert.EqualValues(t, 0, srv.BodyBytes(mocks.PathUploads), "a refused async upload sends no body byte")
			assert.Len(t, srv.Requests(), 1, "only the probe reached the server")
		})
	}
}
