package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/l3go/level3/internal/realpeers"
)

// TestBinaryCACert: against real nginx over HTTPS with a certificate from a
// CA made for the run, l3 refuses the server without --cacert and fetches
// with it; a file with no certificate in it is a usage error. (l3 prints
// no protocol, so HTTP/2 is not checked here: TestRealPeersRootCAs checks
// that WithRootCAs, which --cacert sets, still negotiates it.)
func TestBinaryCACert(t *testing.T) {
	srv := realpeers.Nginx(t)
	realpeers.WriteFile(t, srv.DocRoot, "a.txt", []byte("hello over TLS\n"))
	url := srv.TLSURL + "/files/a.txt"

	code, _, stderr := runBinary(t, 30*time.Second, "get", url)
	if code == 0 || !strings.Contains(stderr, "certificate") {
		t.Errorf("without --cacert: exit %d, stderr %q; want a certificate error", code, stderr)
	}

	code, stdout, stderr := runBinary(t, 30*time.Second, "get", "--cacert", srv.CAFile, "-v", url)
	if code != 0 || stdout != "hello over TLS\n" {
		t.Errorf("with --cacert: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runBinary(t, 30*time.Second, "get", "--cacert", empty, url)
	if code != exitUsage || !strings.Contains(stderr, "no PEM certificate") {
		t.Errorf("--cacert with no certificate: exit %d, stderr %q", code, stderr)
	}
}
