// This file holds WithRootCAs: the certificate authorities the Client's own
// transport trusts, for servers whose certificates a private CA signed.

package level3

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
)

// errRootCAsWithHTTPClient: WithRootCAs configures only the Client's own
// transport.
var errRootCAsWithHTTPClient = errors.New("level3: WithRootCAs applies to the Client's own transport, not to one given with WithHTTPClient: set its TLSClientConfig.RootCAs instead")

// WithRootCAs makes the Client's own transport verify servers' certificates
// against pool instead of the system's roots, as curl's --cacert does: for
// APIs whose certificates a private CA signed. Verification is never
// switched off. It cannot be combined with [WithHTTPClient]; configure that
// client's transport instead.
func WithRootCAs(pool *x509.CertPool) Option {
	return func(c *Client) error {
		if pool == nil {
			return errors.New("level3: WithRootCAs: nil *x509.CertPool")
		}
		c.rootCAs = pool
		return nil
	}
}

// setRootCAs applies WithRootCAs to the Client's transport, which is its own
// when own is true.
func (c *Client) setRootCAs(own bool) error {
	if c.rootCAs == nil {
		return nil
	}
	if !own {
		return errRootCAsWithHTTPClient
	}
	t := c.httpClient.Transport.(*http.Transport)
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	t.TLSClientConfig.RootCAs = c.rootCAs
	return nil
}
