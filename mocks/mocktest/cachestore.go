// This file holds CacheStore, the testify mock of level3.CacheStore. doer.go
// and redirectstore.go hold the other mocks.

package mocktest

import (
	"github.com/stretchr/testify/mock"
)

// CacheStore is a testify mock of level3.CacheStore, the pluggable store
// behind the Client's Entity cache. R is always level3.CachedResponse: the
// parameter only keeps this package free of an import of level3, whose
// in-package tests import it (see the package comment). Expect the calls
// the cache layer makes:
//
//	store := new(mocktest.CacheStore[level3.CachedResponse])
//	store.On("MaxEntrySize").Return(int64(1 << 20))
//	store.On("Get", mock.Anything).Return((*level3.CachedResponse)(nil), false)
//	store.On("Set", mock.Anything, mock.Anything).Return()
//	client, _ := level3.New(level3.WithCache(store))
type CacheStore[R any] struct {
	mock.Mock
}

// Get records the call and returns what On("Get", key).Return(resp, ok) set up.
func (m *CacheStore[R]) Get(key string) (*R, bool) {
	args := m.Called(key)
	resp, _ := args.Get(0).(*R)
	return resp, args.Bool(1)
}

// Set records the call.
func (m *CacheStore[R]) Set(key string, r *R) { m.Called(key, r) }

// Delete records the call.
func (m *CacheStore[R]) Delete(key string) { m.Called(key) }

// MaxEntrySize records the call and returns what On("MaxEntrySize").Return(n)
// set up.
func (m *CacheStore[R]) MaxEntrySize() int64 {
	args := m.Called()
	n, _ := args.Get(0).(int64)
	return n
}
