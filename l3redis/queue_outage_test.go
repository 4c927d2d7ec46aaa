package l3redis

import (
	"context"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/realpeers"
)

// TestWorkWaitsOutRedis: Redis stops mid-run and comes back (with its
// data: append-only file) a second later. The worker keeps sending what it
// holds, records it when Redis answers again, and the run completes with
// every file sent once and nothing lost.
func TestWorkWaitsOutRedis(t *testing.T) {
	q, redisSrv := queueOn(t, realpeers.RedisAppendOnly())
	dir, names := files(t, 40)
	srv := putTarget(t, names)
	var results atomic.Int32
	reached, stopped := make(chan struct{}), make(chan struct{})
	ctx := context.Background()
	r, err := q.Create(ctx, "outage", srv.URL+"/put", &RunOptions{Put: true})
	require.NoError(t, err)
	_, err = r.Add(ctx, dir)
	require.NoError(t, err)

	done := make(chan WorkSummary)
	go func() {
		sum, err := r.Work(ctx, client(t), &WorkOptions{
			Concurrency: 2,
			RedisRetry:  level3.Schedule{Initial: 50 * time.Millisecond, Max: 200 * time.Millisecond},
			OnResult: func(level3.FileResult) {
				if results.Add(1) == 10 {
					// Hold the worker here until Redis is down, so that the
					// rest is sent and recorded around the outage.
					close(reached)
					<-stopped
				}
			},
		})
		assert.NoError(t, err)
		done <- sum
	}()
	<-reached
	redisSrv.Stop()
	close(stopped)
	// The outage lasts a second; the worker must neither fail nor finish meanwhile.
	select {
	case <-time.After(time.Second):
	case sum := <-done:
		t.Fatalf("Work returned while Redis was down: %+v", sum)
	}
	redisSrv.Restart(t)
	sum := <-done
	assert.Equal(t, Status{Total: 40, Done: 40}, sum.Run)
	assert.Equal(t, 40, sum.Uploaded+sum.Redone)
	for _, name := range names {
		assert.Equal(t, 1, srv.Count("/put/"+name), "%s sent once", name)
		it, err := r.Item(ctx, filepath.Join(dir, filepath.FromSlash(name)))
		require.NoError(t, err)
		assert.Equal(t, ItemDone, it.State)
		assert.Equal(t, http.StatusNoContent, it.Status)
	}
}
