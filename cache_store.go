// This file holds where the cache layer (cache.go) keeps responses: the
// CacheStore interface, the CachedResponse it stores, and MemoryCache, the
// bounded in-memory LRU store a Client uses by default.

package level3

import (
	"container/list"
	"net/http"
	"sync"
	"time"
)

// Default bounds of the Client's own [MemoryCache].
const (
	DefaultCacheSize      = 16 << 20 // bytes of bodies and headers in all
	DefaultCacheEntrySize = 2 << 20  // bytes of one response; larger ones are never buffered
)

// CacheStore keeps the responses of the Client's cache layer (see
// [WithCache]), keyed by URL. Implementations must be safe for concurrent
// use. The layer never modifies a CachedResponse it got from Get or gave to
// Set, and a store must not modify one either: they may be shared by
// concurrent requests.
type CacheStore interface {
	// Get returns the response stored under key, if any.
	Get(key string) (*CachedResponse, bool)
	// Set stores r under key, replacing what was there. A store may refuse
	// (too large, full) by not storing it.
	Set(key string, r *CachedResponse)
	// Delete removes what is stored under key, if anything.
	Delete(key string)
	// MaxEntrySize is the largest response, in bytes as counted by
	// [CachedResponse.Size], the store takes. The layer does not cache, and
	// never buffers, a body longer than that.
	MaxEntrySize() int64
}

// CachedResponse is one stored 200 response to a GET, with its validators.
// Its fields are exported so that a [CacheStore] can persist it; treat a
// CachedResponse as immutable once stored.
type CachedResponse struct {
	// Header is the response header, as refreshed by the latest 304 (RFC
	// 9111 §3.2).
	Header http.Header
	// Body is the whole response body.
	Body []byte
	// Vary maps each request header named by the response's Vary field to
	// the value the request had; a request with other values is a miss
	// (RFC 9111 §4.1). The request's credentials (Authorization,
	// Proxy-Authorization, Cookie, Cookie2 and
	// [RedirectPolicy.SensitiveHeaders]) are always part of the key, as one
	// truncated SHA-256 digest under the key "(credentials)" ("" for a
	// request without any), and never in clear; a response without that
	// key is never served.
	Vary map[string]string
	// Stored is when the response was stored or last revalidated.
	Stored time.Time
}

// Size is what r counts for against a store's bounds: body, header and vary
// bytes, plus a small fixed overhead.
func (r *CachedResponse) Size() int64 {
	n := int64(len(r.Body)) + 64
	for k, vs := range r.Header {
		for _, v := range vs {
			n += int64(len(k) + len(v) + 4)
		}
	}
	for k, v := range r.Vary {
		n += int64(len(k) + len(v))
	}
	return n
}

// MemoryCache is a [CacheStore] in memory that holds at most maxBytes of
// responses, evicting the least recently used first. It is safe for
// concurrent use; the zero value is not usable: call [NewMemoryCache].
type MemoryCache struct {
	mu       sync.Mutex
	maxBytes int64
	maxEntry int64
	size     int64
	lru      *list.List // front: most recently used; values are *memoryItem
	items    map[string]*list.Element
}

// memoryItem is one entry of a MemoryCache.
type memoryItem struct {
	key  string
	r    *CachedResponse
	size int64
}

// NewMemoryCache returns an empty MemoryCache that holds at most maxBytes in
// all and at most maxEntryBytes per response (capped at maxBytes). With
// maxBytes ≤ 0 it stores nothing.
func NewMemoryCache(maxBytes, maxEntryBytes int64) *MemoryCache {
	maxBytes = max(maxBytes, 0)
	return &MemoryCache{
		maxBytes: maxBytes,
		maxEntry: min(max(maxEntryBytes, 0), maxBytes),
		lru:      list.New(),
		items:    make(map[string]*list.Element),
	}
}

// Get returns the response stored under key and marks it recently used.
func (m *MemoryCache) Get(key string) (*CachedResponse, bool) {
	if m == nil {
		return nil, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.items[key]
	if !ok {
		return nil, false
	}
	m.lru.MoveToFront(el)
	return el.Value.(*memoryItem).r, true
}

// Set stores r under key, evicting the least recently used responses until
// everything fits. A response larger than the per-entry bound is not stored,
// and removes what key held.
func (m *MemoryCache) Set(key string, r *CachedResponse) {
	if m == nil || r == nil {
		return
	}
	size := r.Size()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.remove(key)
	if size > m.maxEntry {
		return
	}
	m.items[key] = m.lru.PushFront(&memoryItem{key: key, r: r, size: size})
	m.size += size
	for m.size > m.maxBytes {
		m.remove(m.lru.Back().Value.(*memoryItem).key)
	}
}

// Delete removes what is stored under key.
func (m *MemoryCache) Delete(key string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.remove(key)
}

// remove drops key; m.mu is held.
func (m *MemoryCache) remove(key string) {
	if el, ok := m.items[key]; ok {
		m.size -= el.Value.(*memoryItem).size
		m.lru.Remove(el)
		delete(m.items, key)
	}
}

// MaxEntrySize returns the per-response bound.
func (m *MemoryCache) MaxEntrySize() int64 {
	if m == nil {
		return 0
	}
	return m.maxEntry
}

// Len returns how many responses are stored.
func (m *MemoryCache) Len() int {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

// Size returns how many bytes the stored responses count for.
func (m *MemoryCache) Size() int64 {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.size
}
