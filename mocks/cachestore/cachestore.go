// Package cachestore holds a testify mock of level3.CacheStore, the
// pluggable store behind the Client's Entity cache. It is a package of its
// own because it names level3.CachedResponse: package mocks must not import
// the root package, whose own tests import mocks.
package cachestore

import (
	"github.com/stretchr/testify/mock"

	"github.com/l3go/level3"
)

// CacheStore is a testify mock of level3.CacheStore. Expect the calls the
// cache layer makes:
//
//	store := new(cachestore.CacheStore)
//	store.On("MaxEntrySize").Return(int64(1 << 20))
//	store.On("Get", mock.Anything).Return((*level3.CachedResponse)(nil), false)
//	store.On("Set", mock.Anything, mock.Anything).Return()
//	client, _ := level3.New(level3.WithCache(store))
type CacheStore struct {
	mock.Mock
}

var _ level3.CacheStore = (*CacheStore)(nil)

// Get records the call and returns what On("Get", key).Return(resp, ok) set up.
func (m *CacheStore) Get(key string) (*level3.CachedResponse, bool) {
	args := m.Called(key)
	resp, _ := args.Get(0).(*level3.CachedResponse)
	return resp, args.Bool(1)
}

// Set records the call.
func (m *CacheStore) Set(key string, r *level3.CachedResponse) { m.Called(key, r) }

// Delete records the call.
func (m *CacheStore) Delete(key string) { m.Called(key) }

// MaxEntrySize records the call and returns what On("MaxEntrySize").Return(n)
// set up.
func (m *CacheStore) MaxEntrySize() int64 {
	args := m.Called()
	n, _ := args.Get(0).(int64)
	return n
}
