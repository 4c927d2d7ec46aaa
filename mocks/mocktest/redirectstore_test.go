package mocktest_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"

	"github.com/l3go/level3/mocks/mocktest"
	"github.com/l3go/level3/redirects"
)

func TestRedirectStoreMock(t *testing.T) {
	var store redirects.Store = new(mocktest.RedirectStore)
	m := store.(*mocktest.RedirectStore)
	e := redirects.Entry{From: "http://a:80/x", To: "http://a/y"}
	m.On("Get", "http://a:80/x").Return(e, true, nil)
	m.On("Put", mock.Anything).Return(errors.New("full"))
	m.On("Delete", "http://a:80/x").Return(nil)
	m.On("Entries").Return([]redirects.Entry{e}, nil)
	got, ok, err := store.Get("http://a:80/x")
	assert.Equal(t, e, got)
	assert.True(t, ok)
	assert.NoError(t, err)
	assert.EqualError(t, store.Put(e), "full")
	assert.NoError(t, store.Delete("http://a:80/x"))
	all, err := store.Entries()
	assert.NoError(t, err)
	assert.Equal(t, []redirects.Entry{e}, all)
	m.AssertExpectations(t)
}
