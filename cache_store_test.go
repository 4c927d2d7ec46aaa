package level3

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryCacheLRU(t *testing.T) {
	entry := func(n int) *CachedResponse { return &CachedResponse{Body: bytes.Repeat([]byte("x"), n)} }
	one := entry(100).Size()
	m := NewMemoryCache(3*one, one)
	m.Set("a", entry(100))
	m.Set("b", entry(100))
	m.Set("c", entry(100))
	assert.Equal(t, 3, m.Len())
	_, ok := m.Get("a") // a is now the most recently used
	require.True(t, ok)
	m.Set("d", entry(100))
	_, ok = m.Get("b")
	assert.False(t, ok, "the least recently used entry is evicted")
	for _, k := range []string{"a", "c", "d"} {
		_, ok := m.Get(k)
		assert.True(t, ok, k)
	}
	assert.Equal(t, 3*one, m.Size())

	m.Set("a", entry(101))
	_, ok = m.Get("a")
	assert.False(t, ok, "an entry over the per-entry bound is refused and removes the old one")
	assert.Equal(t, 2*one, m.Size())
	m.Set("c", entry(50))
	assert.Equal(t, one+entry(50).Size(), m.Size(), "replacing accounts the new size")
	m.Delete("c")
	m.Delete("missing")
	assert.Equal(t, one, m.Size())
	m.Set("nil", nil)
	assert.Equal(t, 1, m.Len())

	none := NewMemoryCache(0, 100)
	none.Set("a", entry(1))
	assert.Equal(t, 0, none.Len(), "a zero-sized cache stores nothing")
	assert.Equal(t, int64(0), none.MaxEntrySize())
	assert.Equal(t, int64(10), NewMemoryCache(10, 100).MaxEntrySize(), "per-entry bound capped at the total")
}
