package l3redis

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/politetest"
	"github.com/l3go/level3/internal/realpeers"
	"github.com/l3go/level3/polite"
)

func TestLimitsKeepTheRules(t *testing.T) {
	_, c := redisFor(t)
	n := 0
	politetest.StoreRules(t, func(*testing.T) polite.Store {
		n++
		return NewLimits(c, "test"+string(rune('a'+n))+":")
	})
}

// fleetClient returns a Client with a Limiter of its own (as in a process
// of its own) over the Limits at url.
func fleetClient(t testing.TB, url string) *level3.Client {
	t.Helper()
	rc, err := Dial(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = rc.Close() })
	return politetest.Client(t, polite.Options{Store: NewLimits(rc, "")})
}

func TestThreeProcessesSharingRedisStayWithinTheQuota(t *testing.T) {
	r := realpeers.Redis(t)
	s := politetest.NewQuotaServer(t, 20, 2*time.Second)
	clients := []*level3.Client{fleetClient(t, r.URL), fleetClient(t, r.URL), fleetClient(t, r.URL)}
	politetest.Fleet(t, s, clients, politetest.Files(t, 20))
	accepted, first, after := s.Counts()
	assert.Equal(t, 60, accepted)
	assert.Zero(t, after, "429s after the first window (per window: %v)", s.PerWindow())
	assert.Zero(t, first, "the probe announced the quota before the rest went")
}

func TestLimitsMisuse(t *testing.T) {
	var l *Limits
	_, err := l.Take(context.Background(), "http://a.test:80")
	assert.ErrorIs(t, err, level3.ErrInvalidUse)
	assert.ErrorIs(t, NewLimits(nil, "").Observe(context.Background(), "http://a.test:80", polite.Observation{}), level3.ErrInvalidUse)
}

func TestAFleetGoesOnAloneWhileRedisIsDown(t *testing.T) {
	r := realpeers.Redis(t)
	s := politetest.NewQuotaServer(t, 1000, time.Second)
	c := fleetClient(t, r.URL)
	r.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sum, err := c.UploadAll(ctx, s.URL+"/", politetest.Files(t, 5), &level3.BulkOptions{Put: true})
	require.NoError(t, err, "the Limiter falls back to its own memory")
	assert.Equal(t, 5, sum.Uploaded)
	r.Restart(t)
	sum, err = c.UploadAll(ctx, s.URL+"/again/", politetest.Files(t, 5), &level3.BulkOptions{Put: true})
	require.NoError(t, err)
	assert.Equal(t, 5, sum.Uploaded)
}

// fleetWorkerEnv carries "REDIS_URL SERVER_URL WORKER" to a child process
// running TestFleetWorkerProcess.
const fleetWorkerEnv = "L3REDIS_FLEET_WORKER"

// TestFleetWorkerProcess is one worker of TestThreeOSProcessesStayWithinTheQuota,
// run in a process of its own; it skips when run by itself.
func TestFleetWorkerProcess(t *testing.T) {
	spec := os.Getenv(fleetWorkerEnv)
	if spec == "" {
		t.Skip("a worker process of TestThreeOSProcessesStayWithinTheQuota")
	}
	f := strings.Fields(spec)
	require.Len(t, f, 3)
	c := fleetClient(t, f[0])
	t.Cleanup(c.HTTPClient().CloseIdleConnections) // the server is the parent's: goleak would see its connections
	sum, err := c.UploadAll(context.Background(), f[1]+"/w"+f[2]+"/", politetest.Files(t, 20), &level3.BulkOptions{Put: true, Concurrency: 4})
	require.NoError(t, err)
	require.Equal(t, 20, sum.Uploaded)
}

func TestThreeOSProcessesStayWithinTheQuota(t *testing.T) {
	r := realpeers.Redis(t)
	s := politetest.NewQuotaServer(t, 20, 2*time.Second)
	exe, err := os.Executable()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var cmds []*exec.Cmd
	for i := range 3 {
		cmd := exec.CommandContext(ctx, exe, "-test.run=^TestFleetWorkerProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %d", fleetWorkerEnv, r.URL, s.URL, i))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Start())
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("worker %d:\n%s", i, out.String())
			}
		})
		cmds = append(cmds, cmd)
	}
	for i, cmd := range cmds {
		assert.NoError(t, cmd.Wait(), "worker %d", i)
	}
	accepted, first, after := s.Counts()
	assert.Equal(t, 60, accepted)
	assert.Zero(t, first+after, "429s per window: %v accepted", s.PerWindow())
}
