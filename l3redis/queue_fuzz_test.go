package l3redis

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzDecodeItem: whatever the items hash holds, decodeItem returns an item
// or an error and never panics; what resultOf stores reads back the same.
func FuzzDecodeItem(f *testing.F) {
	for _, s := range []string{"", "q", "qname/a.txt", `d{"n":"a","s":201,"l":"http://h/a","e":"\"x\"","a":1,"b":3}`, `f{"n":"a","x":"boom"}`, "x", "d{", `d[]`, "f\x00"} {
		f.Add("/data/a.txt", s)
	}
	f.Fuzz(func(t *testing.T, path, v string) {
		it, err := decodeItem(path, v)
		if err != nil {
			return
		}
		assert.Equal(t, path, it.Path)
		assert.Contains(t, []ItemState{ItemPending, ItemDone, ItemFailed}, it.State)
		if it.State == ItemPending {
			assert.Equal(t, v[1:], it.Name)
			return
		}
		// Stored again as a worker would store it, it reads back the same.
		b, err := json.Marshal(result{Name: it.Name, Status: it.Status, Location: it.Location, ETag: it.ETag, Error: it.Error, Attempts: it.Attempts, Bytes: it.Bytes})
		require.NoError(t, err)
		again, err := decodeItem(path, v[:1]+string(b))
		require.NoError(t, err)
		assert.Equal(t, it, again)
	})
}

// FuzzDecodeMeta: a run's stored definition is read or refused, never
// panicking, and one read is of the kind and version this package writes.
func FuzzDecodeMeta(f *testing.F) {
	f.Add(`{"kind":"l3-bulk-run","version":1,"id":"ab","target":"http://h/","put":true,"lease":1000000000}`)
	f.Add(`{"kind":"l3-bulk-run","version":2}`)
	f.Add(`{"kind":"other"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, data string) {
		m, err := decodeMeta("r", data)
		if err == nil {
			assert.Equal(t, metaKind, m.Kind)
			assert.Equal(t, metaVersion, m.Version)
		} else {
			assert.False(t, strings.Contains(err.Error(), "\n"), "one line")
		}
	})
}
