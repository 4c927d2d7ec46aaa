package redirects

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// froms lists the From of entries, in order.
func froms(entries []Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.From
	}
	return out
}

func entry(from string) Entry {
	return Entry{From: "http://a:80/" + from, To: "http://a/to-" + from}
}

func TestMemoryIsABoundedLRU(t *testing.T) {
	m := NewMemory(3)
	for _, k := range []string{"a", "b", "c"} {
		require.NoError(t, m.Put(entry(k)))
	}
	got, _ := m.Entries()
	assert.Equal(t, []string{"http://a:80/c", "http://a:80/b", "http://a:80/a"}, froms(got), "most recently used first")

	_, ok, err := m.Get("http://a:80/a") // a becomes the most recent
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, m.Put(entry("d"))) // evicts b, the least recently used
	got, _ = m.Entries()
	assert.Equal(t, []string{"http://a:80/d", "http://a:80/a", "http://a:80/c"}, froms(got))
	_, ok, _ = m.Get("http://a:80/b")
	assert.False(t, ok)

	replaced := entry("c")
	replaced.To = "http://a/elsewhere"
	require.NoError(t, m.Put(replaced))
	e, ok, _ := m.Get("http://a:80/c")
	require.True(t, ok)
	assert.Equal(t, "http://a/elsewhere", e.To)
	assert.Equal(t, 3, m.Len())

	require.NoError(t, m.Delete("http://a:80/c"))
	require.NoError(t, m.Delete("http://a:80/never"))
	assert.Equal(t, 2, m.Len())
	m.Clear()
	assert.Zero(t, m.Len())

	assert.Error(t, m.Put(Entry{From: "http://a:80/x"}))
	assert.Error(t, m.Put(Entry{To: "http://a/x"}))
	assert.Equal(t, DefaultSize, NewMemory(0).size)
	assert.Equal(t, DefaultSize, NewMemory(-5).size)
}

func TestMemoryConcurrentUse(t *testing.T) {
	m := NewMemory(50)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k := fmt.Sprintf("w%d-%d", w, i%70)
				_ = m.Put(entry(k))
				_, _, _ = m.Get("http://a:80/" + k)
				if i%7 == 0 {
					_ = m.Delete("http://a:80/" + k)
				}
				_, _ = m.Entries()
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, m.Len(), 50)
	got, _ := m.Entries()
	assert.Len(t, got, m.Len())
	assert.Len(t, m.index, m.Len(), "index and list agree")
}
