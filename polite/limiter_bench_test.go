package polite_test

import (
	"testing"
	"time"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/politetest"
	"github.com/l3go/level3/polite"
)

// BenchmarkOneProcessQuota is BenchmarkFleetQuota (l3redis) in one process:
// three workers sharing a MemoryStore against 100 requests per 10 s, 100
// files each. Run it with -benchtime=1x.
func BenchmarkOneProcessQuota(b *testing.B) {
	var store *polite.MemoryStore
	politetest.Figures(b, 100, 10*time.Second, 100, func(b *testing.B) *level3.Client {
		if store == nil {
			store = polite.NewMemoryStore(0)
		}
		return politetest.Client(b, polite.Options{Store: store})
	})
}
