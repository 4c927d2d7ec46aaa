// Package storetest holds the contract every store of this module keeps, as
// tests that run against any implementation: [RedirectStore] for
// redirects.Store (redirects.Memory, redirects.File, l3redis.RedirectStore)
// and [CacheStore] for level3.CacheStore (level3.MemoryCache,
// l3redis.Cache). Each store's package runs the same table, so a store kept
// in Redis behaves as the one in memory it replaces.
//
// Only tests import it: it links testing and testify.
package storetest

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3"
	"github.com/l3go/level3/redirects"
)

// OpenRedirects returns a new, empty store holding at most size entries,
// cleaned up when t ends.
type OpenRedirects func(t *testing.T, size int) redirects.Store

// entry returns an entry for path on one origin.
func entry(path string) redirects.Entry {
	return redirects.Entry{From: "http://a:80/" + path, To: "http://a/to-" + path, Created: time.Now().UTC().Truncate(time.Second)}
}

// froms lists the From of entries, in order.
func froms(entries []redirects.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.From
	}
	return out
}

// Deviation names a part of the contract a store is known not to keep, so
// that the rest of it still runs on that store.
type Deviation int

// The known deviations.
const (
	// WriteForgetsReadOrder: a write puts the entries back in the order of
	// the last write, forgetting which were read since (redirects.File,
	// which re-reads its file before each write).
	WriteForgetsReadOrder Deviation = iota + 1
)

// RedirectStore runs the contract of redirects.Store on stores open makes,
// but for the parts skip lists.
func RedirectStore(t *testing.T, open OpenRedirects, skip ...Deviation) {
	t.Run("GetMissing", func(t *testing.T) {
		s := open(t, 10)
		_, ok, err := s.Get("http://a:80/none")
		require.NoError(t, err)
		assert.False(t, ok)
		got, err := s.Entries()
		require.NoError(t, err)
		assert.Empty(t, got)
	})
	t.Run("PutGetKeepsEveryField", func(t *testing.T) {
		s := open(t, 10)
		e := entry("x")
		e.Expires = time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
		require.NoError(t, s.Put(e))
		got, ok, err := s.Get(e.From)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, e.From, got.From)
		assert.Equal(t, e.To, got.To)
		assert.True(t, e.Created.Equal(got.Created), "created %v, want %v", got.Created, e.Created)
		assert.True(t, e.Expires.Equal(got.Expires), "expires %v, want %v", got.Expires, e.Expires)
	})
	t.Run("KeysAreExact", func(t *testing.T) {
		s := open(t, 10)
		require.NoError(t, s.Put(entry("x")))
		for _, key := range []string{"http://a:80/x/", "http://a:80/X", "https://a:443/x", "http://a:81/x", "http://a:80/x?"} {
			_, ok, err := s.Get(key)
			require.NoError(t, err)
			assert.False(t, ok, key)
		}
	})
	t.Run("PutReplaces", func(t *testing.T) {
		s := open(t, 10)
		require.NoError(t, s.Put(entry("x")))
		e := entry("x")
		e.To = "http://a/elsewhere"
		require.NoError(t, s.Put(e))
		got, ok, err := s.Get(e.From)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "http://a/elsewhere", got.To)
		all, err := s.Entries()
		require.NoError(t, err)
		assert.Len(t, all, 1)
	})
	t.Run("Delete", func(t *testing.T) {
		s := open(t, 10)
		require.NoError(t, s.Put(entry("x")))
		require.NoError(t, s.Delete("http://a:80/x"))
		require.NoError(t, s.Delete("http://a:80/never"), "deleting a missing key is no error")
		_, ok, err := s.Get("http://a:80/x")
		require.NoError(t, err)
		assert.False(t, ok)
	})
	t.Run("BoundedLRU", func(t *testing.T) {
		s := open(t, 3)
		for _, k := range []string{"a", "b", "c"} {
			require.NoError(t, s.Put(entry(k)))
		}
		got, err := s.Entries()
		require.NoError(t, err)
		assert.Equal(t, []string{"http://a:80/c", "http://a:80/b", "http://a:80/a"}, froms(got), "most recently used first")
		_, ok, err := s.Get("http://a:80/a") // a becomes the most recent
		require.NoError(t, err)
		require.True(t, ok)
		if slices.Contains(skip, WriteForgetsReadOrder) {
			return
		}
		require.NoError(t, s.Put(entry("d"))) // evicts b, the least recently used
		got, err = s.Entries()
		require.NoError(t, err)
		assert.Equal(t, []string{"http://a:80/d", "http://a:80/a", "http://a:80/c"}, froms(got))
		_, ok, err = s.Get("http://a:80/b")
		require.NoError(t, err)
		assert.False(t, ok)
	})
	t.Run("RefusesEntriesWithoutFromOrTo", func(t *testing.T) {
		s := open(t, 10)
		assert.Error(t, s.Put(redirects.Entry{From: "http://a:80/x"}))
		assert.Error(t, s.Put(redirects.Entry{To: "http://a/x"}))
	})
	t.Run("EntryWithCredentialsAnswersInThisProcess", func(t *testing.T) {
		s := open(t, 10)
		e := redirects.Entry{From: "https://s3.example:443/b/k?X-Amz-Signature=SIG", To: "https://s3.example/b/k2"}
		require.NoError(t, s.Put(e))
		got, ok, err := s.Get(e.From)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, e.To, got.To)
	})
	t.Run("ConcurrentUse", func(t *testing.T) {
		s := open(t, 20)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := range 50 {
					k := fmt.Sprintf("w%d-%d", w, i%30)
					assert.NoError(t, s.Put(entry(k)))
					_, _, err := s.Get("http://a:80/" + k)
					assert.NoError(t, err)
					if i%7 == 0 {
						assert.NoError(t, s.Delete("http://a:80/"+k))
					}
				}
			})
		}
		wg.Wait()
		got, err := s.Entries()
		require.NoError(t, err)
		assert.LessOrEqual(t, len(got), 20)
		seen := map[string]bool{}
		for _, e := range got {
			assert.False(t, seen[e.From], "listed twice: %s", e.From)
			seen[e.From] = true
		}
	})
}

// OpenCache returns a new, empty cache store holding at most maxBytes in
// all and maxEntryBytes per response, cleaned up when t ends.
type OpenCache func(t *testing.T, maxBytes, maxEntryBytes int64) level3.CacheStore

// response returns a cached response with a body of n bytes.
func response(n int, etag string) *level3.CachedResponse {
	return &level3.CachedResponse{
		Header: http.Header{"Etag": {`"` + etag + `"`}},
		Body:   bytes.Repeat([]byte{'x'}, n),
		Vary:   map[string]string{"(credentials)": ""},
		Stored: time.Now().UTC(),
	}
}

// CacheStore runs the contract of level3.CacheStore on stores open makes.
// Bounds are chosen so that three responses of 1,000 body bytes fit in
// 4,200 bytes whichever way a store counts its overhead (under 400 bytes a
// response), and four do not.
func CacheStore(t *testing.T, open OpenCache) {
	t.Run("GetMissing", func(t *testing.T) {
		c := open(t, 4200, 1300)
		_, ok := c.Get("http://a/none")
		assert.False(t, ok)
	})
	t.Run("SetGetKeepsEveryField", func(t *testing.T) {
		c := open(t, 1<<20, 1<<20)
		r := response(1000, "v1")
		r.Header.Add("Content-Type", "text/plain")
		r.Header.Add("Link", "</a>; rel=a")
		r.Header.Add("Link", "</b>; rel=b")
		r.Vary = map[string]string{"(credentials)": "0123456789abcdef0123456789abcdef", "Accept": "text/plain"}
		c.Set("http://a/x", r)
		got, ok := c.Get("http://a/x")
		require.True(t, ok)
		assert.Equal(t, r.Header, got.Header)
		assert.Equal(t, r.Body, got.Body)
		assert.Equal(t, r.Vary, got.Vary, "the credentials digest keeps responses apart by user")
		assert.True(t, r.Stored.Equal(got.Stored))
	})
	t.Run("SetReplacesAndDeleteRemoves", func(t *testing.T) {
		c := open(t, 4200, 1300)
		c.Set("http://a/x", response(10, "v1"))
		c.Set("http://a/x", response(20, "v2"))
		got, ok := c.Get("http://a/x")
		require.True(t, ok)
		assert.Equal(t, `"v2"`, got.Header.Get("Etag"))
		assert.Len(t, got.Body, 20)
		c.Delete("http://a/x")
		c.Delete("http://a/never")
		_, ok = c.Get("http://a/x")
		assert.False(t, ok)
		c.Set("http://a/nil", nil)
		_, ok = c.Get("http://a/nil")
		assert.False(t, ok)
	})
	t.Run("KeysAreExact", func(t *testing.T) {
		c := open(t, 4200, 1300)
		c.Set("http://a/x", response(10, "v1"))
		for _, key := range []string{"http://a/x/", "http://a/X", "https://a/x", "http://a/x?"} {
			_, ok := c.Get(key)
			assert.False(t, ok, key)
		}
	})
	t.Run("OversizedIsRefusedAndRemovesTheOld", func(t *testing.T) {
		c := open(t, 4200, 1300)
		assert.Equal(t, int64(1300), c.MaxEntrySize())
		c.Set("http://a/x", response(1000, "v1"))
		c.Set("http://a/x", response(1250, "v2"))
		_, ok := c.Get("http://a/x")
		assert.False(t, ok)
		assert.Equal(t, int64(10), open(t, 10, 100).MaxEntrySize(), "per-entry bound capped at the total")
	})
	t.Run("BoundedLRU", func(t *testing.T) {
		c := open(t, 4200, 1300)
		for _, k := range []string{"a", "b", "c"} {
			c.Set("http://a/"+k, response(1000, k))
		}
		_, ok := c.Get("http://a/a") // a is now the most recently used
		require.True(t, ok)
		c.Set("http://a/d", response(1000, "d"))
		_, ok = c.Get("http://a/b")
		assert.False(t, ok, "the least recently used response is evicted")
		for _, k := range []string{"a", "c", "d"} {
			_, ok := c.Get("http://a/" + k)
			assert.True(t, ok, k)
		}
	})
	t.Run("ConcurrentUse", func(t *testing.T) {
		c := open(t, 20*1200, 1300)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := range 50 {
					k := fmt.Sprintf("http://a/w%d-%d", w, i%30)
					c.Set(k, response(1000, k))
					if r, ok := c.Get(k); ok {
						assert.Len(t, r.Body, 1000)
					}
					if i%7 == 0 {
						c.Delete(k)
					}
				}
			})
		}
		wg.Wait()
	})
}
