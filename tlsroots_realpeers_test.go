package level3

import (
	"context"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/realpeers"
)

// TestRealPeersRootCAs: the Client's own transport trusts the run's CA with
// WithRootCAs, and only then; HTTP/2 is still negotiated.
func TestRealPeersRootCAs(t *testing.T) {
	srv := realpeers.Nginx(t)
	realpeers.WriteFile(t, srv.DocRoot, "a.txt", []byte("hello"))
	url := srv.TLSURL + "/files/a.txt"

	plain, err := New()
	require.NoError(t, err)
	_, err = plain.Get(context.Background(), url, nil)
	var unknown x509.UnknownAuthorityError
	assert.True(t, errors.As(err, &unknown), "system roots: %v", err)

	c, err := New(WithRootCAs(realpeers.CertPool()))
	require.NoError(t, err)
	defer c.HTTPClient().CloseIdleConnections()
	resp, err := c.Get(context.Background(), url, nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "HTTP/2.0", resp.Proto)
}
