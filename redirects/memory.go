// This file holds Memory, the bounded in-memory LRU store. store.go holds the
// Store interface; file.go keeps a Memory in a file.

package redirects

import (
	"container/list"
	"errors"
	"sync"
)

// Memory is a [Store] that keeps at most a fixed number of entries in memory,
// evicting the least recently used (looked up or written) when full. It is
// safe for concurrent use. The zero value is an empty Memory of [DefaultSize]
// entries; a nil *Memory is empty and refuses to store (see [ErrInvalidUse]).
type Memory struct {
	mu    sync.Mutex
	size  int
	order *list.List               // of Entry, most recently used at the front
	index map[string]*list.Element // From -> element of order
}

// NewMemory returns an empty Memory holding at most size entries; size 0
// means [DefaultSize]. A negative size is treated as 0.
func NewMemory(size int) *Memory {
	if size <= 0 {
		size = DefaultSize
	}
	return &Memory{size: size, order: list.New(), index: make(map[string]*list.Element)}
}

// errNoKey is returned by Put for an entry without From or To.
var errNoKey = errors.New("redirects: entry needs From and To")

// ErrInvalidUse is returned by the methods of a nil *Memory or *File, or of
// a File not made by [OpenFile], instead of panicking: it reports a bug in
// the calling code. (level3.ErrInvalidUse is the same rule for the Client.)
var ErrInvalidUse = errors.New("redirects: nil store, or a File not made by OpenFile")

// lock locks m, first making a zero Memory ready for use, and reports
// whether m is usable at all (not nil).
func (m *Memory) lock() bool {
	if m == nil {
		return false
	}
	m.mu.Lock()
	if m.order == nil {
		m.order, m.index = list.New(), make(map[string]*list.Element)
		if m.size <= 0 {
			m.size = DefaultSize
		}
	}
	return true
}

// Get returns the entry for key and marks it recently used. It never fails.
func (m *Memory) Get(key string) (Entry, bool, error) {
	if !m.lock() {
		return Entry{}, false, ErrInvalidUse
	}
	defer m.mu.Unlock()
	el, ok := m.index[key]
	if !ok {
		return Entry{}, false, nil
	}
	m.order.MoveToFront(el)
	return el.Value.(Entry), true, nil
}

// Put records e, evicting the least recently used entry when full. It fails
// only when e has no From or no To.
func (m *Memory) Put(e Entry) error {
	if e.From == "" || e.To == "" {
		return errNoKey
	}
	if !m.lock() {
		return ErrInvalidUse
	}
	defer m.mu.Unlock()
	m.put(e)
	return nil
}

// put records e with m.mu held.
func (m *Memory) put(e Entry) {
	if el, ok := m.index[e.From]; ok {
		el.Value = e
		m.order.MoveToFront(el)
		return
	}
	m.index[e.From] = m.order.PushFront(e)
	for m.order.Len() > m.size {
		oldest := m.order.Back()
		m.order.Remove(oldest)
		delete(m.index, oldest.Value.(Entry).From)
	}
}

// Delete forgets key. It never fails.
func (m *Memory) Delete(key string) error {
	if !m.lock() {
		return ErrInvalidUse
	}
	defer m.mu.Unlock()
	m.remove(key)
	return nil
}

// remove forgets key with m.mu held, and reports whether it was there.
func (m *Memory) remove(key string) bool {
	el, ok := m.index[key]
	if ok {
		m.order.Remove(el)
		delete(m.index, key)
	}
	return ok
}

// Entries returns a copy of every entry, most recently used first. It never
// fails.
func (m *Memory) Entries() ([]Entry, error) {
	if !m.lock() {
		return nil, ErrInvalidUse
	}
	defer m.mu.Unlock()
	return m.entries(), nil
}

// entries lists the entries with m.mu held.
func (m *Memory) entries() []Entry {
	out := make([]Entry, 0, m.order.Len())
	for el := m.order.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(Entry))
	}
	return out
}

// Len returns the number of entries.
func (m *Memory) Len() int {
	if !m.lock() {
		return 0
	}
	defer m.mu.Unlock()
	return m.order.Len()
}

// Clear forgets every entry.
func (m *Memory) Clear() {
	if !m.lock() {
		return
	}
	defer m.mu.Unlock()
	m.reset(nil)
}

// reset replaces the contents with entries (most recently used first),
// keeping at most m.size of them, with m.mu held.
func (m *Memory) reset(entries []Entry) {
	m.order.Init()
	clear(m.index)
	for i := len(entries) - 1; i >= 0; i-- {
		if e := entries[i]; e.From != "" && e.To != "" {
			m.put(e)
		}
	}
}
