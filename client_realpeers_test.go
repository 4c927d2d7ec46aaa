package level3

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/realpeers"
)

// This file holds what the real-peer tests share: peers, which runs a test
// against nginx, Apache and Caddy on http/1.1, https/1.1 and https/h2
// (internal/realpeers), and newPeerClient, a Client for one of them; and
// the test that the Client really speaks each transport.

// protocolCheck is a middleware that fails t when a response (not one from
// the cache) did not come over p's protocol.
func protocolCheck(t *testing.T, p realpeers.Peer) Option {
	return WithMiddleware(func(next Doer) Doer {
		return DoerFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := next.Do(req)
			if resp != nil && !FromCache(resp) && resp.Proto != p.Transport.Proto() {
				t.Errorf("%s %s over %s: the response came as %s", req.Method, req.URL, p.Transport, resp.Proto)
			}
			return resp, err
		})
	})
}

// peerOptions returns the options that reach p: none in clear text (the
// Client's own transport), and over TLS WithHTTPClient with a transport
// that trusts the run's CA and speaks p's protocol only (realpeers.
// Transport.HTTPTransport), as a user with a private CA would give one.
// Every response must come over p's protocol (protocolCheck).
func peerOptions(t *testing.T, p realpeers.Peer) []Option {
	opts := []Option{protocolCheck(t, p)}
	if p.Transport.TLS {
		opts = append(opts, WithHTTPClient(p.HTTPClient(t)))
	}
	return opts
}

// newPeerClient returns a Client for p with fast retries and opts; its idle
// connections are closed when t ends.
func newPeerClient(t *testing.T, p realpeers.Peer, opts ...Option) *Client {
	t.Helper()
	c, err := New(append(append(peerOptions(t, p), WithRetry(fastRetry)), opts...)...)
	require.NoError(t, err)
	t.Cleanup(c.HTTPClient().CloseIdleConnections)
	return c
}

// TestRealPeersTransports checks that calls go over the transport asked for,
// with the certificate verified against the run's CA, and that a Client
// without that CA refuses the servers' certificate.
func TestRealPeersTransports(t *testing.T) {
	realpeers.Run(t, func(t *testing.T, p realpeers.Peer) {
		realpeers.WriteFile(t, p.DocRoot, "a.txt", []byte("hello"))
		var protos []string
		var verified []bool
		record := func(next Doer) Doer {
			return DoerFunc(func(req *http.Request) (*http.Response, error) {
				resp, err := next.Do(req)
				if resp != nil {
					protos = append(protos, resp.Proto)
					verified = append(verified, resp.TLS != nil && len(resp.TLS.VerifiedChains) > 0)
				}
				return resp, err
			})
		}
		c := newPeerClient(t, p, WithMiddleware(record))
		r, err := c.Discover(context.Background(), p.URL+"/redirect308/a.txt")
		require.NoError(t, err)
		assert.Equal(t, p.URL+"/files/a.txt", r.URL.String())
		resp, err := c.Get(context.Background(), p.URL+"/l3/a.txt", nil)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, []string{p.Transport.Proto(), p.Transport.Proto()}, protos)
		assert.Equal(t, []bool{p.Transport.TLS, p.Transport.TLS}, verified, "certificate verified")

		if p.Transport.TLS {
			plain, err := New(WithRetry(fastRetry))
			require.NoError(t, err)
			defer plain.HTTPClient().CloseIdleConnections()
			_, err = plain.Discover(context.Background(), p.URL+"/files/a.txt")
			require.Error(t, err, "the system roots do not hold the run's CA")
			assert.ErrorContains(t, err, "certificate")
		}
	})
}
