package l3redis

import (
	"testing"
	"time"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/politetest"
	"github.com/l3go/level3/internal/realpeers"
)

// BenchmarkFleetQuota is the figure of issue 13: against a server that
// allows 100 requests per 10 s window and says so in RateLimit fields,
// three workers (each a Limiter of its own, as in three processes, sharing
// Limits in a real redis-server) upload 100 files each. Run it with
// -benchtime=1x: one op is a whole run of about 20 s.
//
//	go test -run '^$' -bench FleetQuota -benchtime=1x -count=5 ./l3redis
func BenchmarkFleetQuota(b *testing.B) {
	b.Run("polite-redis", func(b *testing.B) {
		r := realpeers.Redis(b)
		politetest.Figures(b, 100, 10*time.Second, 100, func(b *testing.B) *level3.Client { return fleetClient(b, r.URL) })
	})
	b.Run("impolite", func(b *testing.B) {
		politetest.Impolite(b, 100, 10*time.Second, 100)
	})
}
