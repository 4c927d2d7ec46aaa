package mocktest_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks/mocktest"
)

// The mock satisfies the interface it mocks.
var _ level3.Doer = (*mocktest.Doer)(nil)

func TestDoerMock(t *testing.T) {
	m := new(mocktest.Doer)
	want := &http.Response{StatusCode: 204, Body: http.NoBody}
	m.On("Do", mock.Anything).Return(want, nil).Once()
	m.On("Do", mock.Anything).Return(nil, errors.New("boom")).Once()
	req, _ := http.NewRequest("GET", "http://example.invalid/", nil)
	got, err := m.Do(req)
	assert.NoError(t, err)
	assert.Same(t, want, got)
	_, err = m.Do(req)
	assert.EqualError(t, err, "boom")
	m.AssertExpectations(t)
}

func TestDoerMockReturnFunc(t *testing.T) {
	m := new(mocktest.Doer)
	m.On("Do", mock.Anything).Return(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	}, nil)
	req, _ := http.NewRequest("GET", "http://example.invalid/", nil)
	got, err := m.Do(req)
	assert.NoError(t, err)
	assert.Same(t, req, got.Request, "a Return function is called with the request")
}
