// This file holds RedirectStore, the testify mock of redirects.Store.
// doer.go and cachestore.go hold the other mocks.

package mocktest

import (
	"github.com/stretchr/testify/mock"

	"github.com/l3go/level3/redirects"
)

// RedirectStore is a testify mock of redirects.Store, for testing how code
// uses a redirect memory, or a Client's behaviour when the memory fails:
//
//	store := new(mocktest.RedirectStore)
//	store.On("Get", mock.Anything).Return(redirects.Entry{}, false, nil)
//	store.On("Put", mock.Anything).Return(nil)
//	client, _ := level3.New(level3.WithRedirectStore(store))
type RedirectStore struct {
	mock.Mock
}

// Compile-time check that the mock satisfies the interface it mocks.
var _ redirects.Store = (*RedirectStore)(nil)

// Get records the call and returns what On("Get", key).Return(entry, ok, err)
// set up.
func (m *RedirectStore) Get(key string) (redirects.Entry, bool, error) {
	args := m.Called(key)
	e, _ := args.Get(0).(redirects.Entry)
	return e, args.Bool(1), args.Error(2)
}

// Put records the call and returns what On("Put", entry).Return(err) set up.
func (m *RedirectStore) Put(e redirects.Entry) error {
	return m.Called(e).Error(0)
}

// Delete records the call and returns what On("Delete", key).Return(err) set
// up.
func (m *RedirectStore) Delete(key string) error {
	return m.Called(key).Error(0)
}

// Entries records the call and returns what On("Entries").Return(entries,
// err) set up.
func (m *RedirectStore) Entries() ([]redirects.Entry, error) {
	args := m.Called()
	e, _ := args.Get(0).([]redirects.Entry)
	return e, args.Error(1)
}
