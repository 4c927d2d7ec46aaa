// This file holds the run's certificate authority: one CA made in memory per
// test process, the server certificate it signs for 127.0.0.1, ::1 and
// localhost, and the ways a client trusts it (CertPool, TLSConfig, the PEM
// file each Server writes for curl). No client ever needs
// InsecureSkipVerify. transport.go builds the clients on top of TLSConfig.

package realpeers

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// authority is the run's CA and the server certificate it issued.
type authority struct {
	pool    *x509.CertPool
	caPEM   []byte // the CA certificate
	certPEM []byte // the server certificate for 127.0.0.1, ::1, localhost
	keyPEM  []byte // its private key (PKCS #8)
}

// runAuthority is made on first use and kept for the whole test process, so
// every server of the run presents a certificate from the same CA.
var runAuthority = sync.OnceValues(newAuthority)

// certLifetime is how long the certificates are valid: longer than any test
// run, short enough to be useless if a file leaked.
const certLifetime = 24 * time.Hour

// newAuthority makes a CA and a server certificate signed by it, both with
// ECDSA P-256 keys.
func newAuthority() (*authority, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "realpeers test CA", Organization: []string{"level3 realpeers"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("making the CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "127.0.0.1", Organization: []string{"level3 realpeers"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("making the server certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &authority{
		pool:    pool,
		caPEM:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// serial returns a random 128-bit certificate serial number.
func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	return n
}

// CertPool returns a new pool holding only the run's CA certificate, the one
// that signed every server's certificate. It panics if the CA could not be
// made (crypto/rand failing), which no test can recover from.
func CertPool() *x509.CertPool {
	a, err := runAuthority()
	if err != nil {
		panic("realpeers: " + err.Error())
	}
	return a.pool.Clone()
}

// TLSConfig returns a new client configuration that trusts the run's CA and
// nothing else, with TLS 1.2 as the oldest version. The caller may change it
// (NextProtos, KeyLogWriter...). It verifies the server's certificate as any
// client does: the servers' certificate names 127.0.0.1, ::1 and localhost.
func TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: CertPool(), MinVersion: tls.VersionTLS12}
}

// writeTLSFiles writes the CA certificate, the server certificate and its key
// into dir as ca.pem, cert.pem and key.pem (the key readable by the owner
// only: the servers read it before they drop privileges).
func writeTLSFiles(dir string) error {
	a, err := runAuthority()
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{"ca.pem", a.caPEM, 0o644},
		{"cert.pem", a.certPEM, 0o644},
		{"key.pem", a.keyPEM, 0o600},
	} {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}
