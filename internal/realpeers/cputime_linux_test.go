package realpeers

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStat(t *testing.T) {
	// A command name with spaces and a ')' of its own, as proc(5) allows.
	line := "4242 (nginx: a (b) c) S 4241 4242 4242 0 -1 4194624 100 0 0 0 250 37 12 3 20 0 1 0 100 1000 10\n"
	got, err := parseStat([]byte(line))
	require.NoError(t, err)
	assert.Equal(t, times{group: 4242, user: 2500 * time.Millisecond, system: 370 * time.Millisecond,
		reapedUser: 120 * time.Millisecond, reapedSystem: 30 * time.Millisecond}, got)

	for _, bad := range []string{"", "4242 nginx S 1", "4242 (nginx) S 1 2 3", "4242 (x) S 1 x 3 4 5 6 7 8 9 10 1 1 1 1", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 x 1 1 1"} {
		_, err := parseStat([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

// TestCPUTimeCountsTheWorkers: nginx's and Apache's masters do nothing per
// request; only counting their workers makes serving 64 MiB twice over TLS
// show (Caddy is one process).
func TestCPUTimeCountsTheWorkers(t *testing.T) {
	for _, st := range Starters() {
		t.Run(st.Name, func(t *testing.T) {
			srv := st.Start(t)
			WriteFile(t, srv.DocRoot, "big.bin", make([]byte, 64<<20))
			before, err := srv.CPUTime()
			require.NoError(t, err)
			hc := srv.On(HTTPS1).HTTPClient(t) // the server encrypts
			for range 2 {
				resp, err := hc.Get(srv.TLSURL + "/files/big.bin")
				require.NoError(t, err)
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				require.NoError(t, err)
				require.EqualValues(t, 64<<20, n)
				require.Equal(t, http.StatusOK, resp.StatusCode)
			}
			after, err := srv.CPUTime()
			require.NoError(t, err)
			assert.Greater(t, after-before, 20*time.Millisecond, "128 MiB sealed with AES-GCM and sent takes CPU")
			require.NoError(t, srv.Stop())
			_, err = srv.CPUTime()
			assert.Error(t, err, "a stopped server")
		})
	}
}
