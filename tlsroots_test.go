package level3

import (
	"crypto/x509"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWithRootCAsMisuse(t *testing.T) {
	_, err := New(WithRootCAs(nil))
	assert.ErrorContains(t, err, "nil *x509.CertPool")
	_, err = New(WithRootCAs(x509.NewCertPool()), WithHTTPClient(&http.Client{}))
	assert.ErrorIs(t, err, errRootCAsWithHTTPClient)
}
