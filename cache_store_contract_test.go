package level3_test

// The contract every level3.CacheStore keeps (internal/storetest), run on
// MemoryCache; l3redis runs it on the cache kept in Redis.

import (
	"testing"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/storetest"
)

func TestMemoryCacheKeepsTheStoreContract(t *testing.T) {
	storetest.CacheStore(t, func(_ *testing.T, maxBytes, maxEntryBytes int64) level3.CacheStore {
		return level3.NewMemoryCache(maxBytes, maxEntryBytes)
	})
}
