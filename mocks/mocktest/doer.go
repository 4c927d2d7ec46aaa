// This file holds Doer, the testify mock of level3.Doer. redirectstore.go
// and cachestore.go hold the mocks of the Client's two stores.

package mocktest

import (
	"net/http"

	"github.com/stretchr/testify/mock"
)

// Doer is a testify mock of level3.Doer, the shape of every layer of the
// Client's pipeline. Use it to test a level3.Middleware alone:
//
//	next := new(mocktest.Doer)
//	next.On("Do", mock.Anything).Return(&http.Response{StatusCode: 200, Body: http.NoBody}, nil)
//	resp, err := myMiddleware(next).Do(req)
//	next.AssertExpectations(t)
//
// Like every testify mock it is safe for concurrent use.
type Doer struct {
	mock.Mock
}

// Do records the call and returns what On(...).Return(resp, err) set up. A
// Return function of the form func(*http.Request) (*http.Response, error) is
// called with the request.
func (m *Doer) Do(req *http.Request) (*http.Response, error) {
	args := m.Called(req)
	if fn, ok := args.Get(0).(func(*http.Request) (*http.Response, error)); ok {
		return fn(req)
	}
	resp, _ := args.Get(0).(*http.Response)
	return resp, args.Error(1)
}
