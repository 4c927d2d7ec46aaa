package mocks

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/profiles"
)

// problemOf decodes a problem details body.
func problemOf(t *testing.T, resp *http.Response, body []byte) map[string]any {
	t.Helper()
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	var p map[string]any
	require.NoError(t, json.Unmarshal(body, &p))
	return p
}

func TestCatalogLookupFindsByMembers(t *testing.T) {
	s := NewServer(t, Strict(t))
	s.AddCatalog()
	c := noRedirects()
	find := func(query string) (*http.Response, []byte) {
		return do(t, c, "POST", s.URL+PathFindOrder, strings.NewReader(query), "Content-Type", "application/json")
	}
	for query, want := range map[string]string{
		`{"id":1}`:                  PathOrder1,
		`{"id":2}`:                  PathOrder2,
		`{"id":3.0}`:                PathOrder3,
		`{"state":"open"}`:          PathOrder1, // the first that matches
		`{"id":2,"state":"open"}`:   PathOrder2,
		`{"state":"open","id":3.0}`: PathOrder3,
	} {
		resp, _ := find(query)
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode, query)
		assert.Equal(t, want, resp.Header.Get("Location"), query)
	}
	for _, query := range []string{`{"id":99}`, `{"id":0}`, `{"id":"1"}`, `{"id":1,"state":"shipped"}`, `{"colour":"red"}`} {
		resp, body := find(query)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "no match for %s", query)
		assert.Empty(t, resp.Header.Get("Location"), query)
		assert.Equal(t, "No Match", problemOf(t, resp, body)["title"], query)
	}
	for _, query := range []string{`{}`, `[1]`, `"x"`} {
		resp, _ := find(query)
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, query)
	}
	resp, _ := do(t, c, "POST", s.URL+PathFindOrder, strings.NewReader(`{"id":1}`), "Content-Type", "text/plain")
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)

	// The search reads the present state.
	s.SetBody(PathOrder1, []byte(`{"id":1,"state":"shipped"}`))
	resp, _ = find(`{"state":"open"}`)
	assert.Equal(t, PathOrder2, resp.Header.Get("Location"))
	s.Remove(PathOrder2)
	resp, _ = find(`{"id":2}`)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a removed order is not found")
}

func TestLookupInRepresentation(t *testing.T) {
	s := NewServer(t, Strict(t))
	s.AddCatalog()
	s.Handle("/find", LookupIn(`{"id":0}`, PathOrder1, PathOrder2).With(profiles.Representation))
	resp, body := do(t, noRedirects(), "POST", s.URL+"/find", strings.NewReader(`{"id":2}`),
		"Content-Type", "application/json", "Prefer", "return=representation")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, PathOrder2, resp.Header.Get("Content-Location"))
	assert.JSONEq(t, `{"id":2,"state":"open"}`, string(body))
}

func TestCatalogShipChangesStateAndConflictsTheSecondTime(t *testing.T) {
	s := NewServer(t, Strict(t))
	s.AddCatalog()
	c := noRedirects()
	before, _ := s.Resource(PathOrder2)

	resp, _ := do(t, c, "POST", s.URL+PathOrder2+"/ship", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, PathOrder2, resp.Header.Get("Location"))
	after, _ := s.Resource(PathOrder2)
	assert.JSONEq(t, `{"id":2,"state":"shipped"}`, string(after.Body))
	assert.NotEqual(t, before.ETag, after.ETag, "the changed order has a new etag")
	_, body := do(t, c, "GET", s.URL+PathOrder2, nil)
	assert.JSONEq(t, `{"id":2,"state":"shipped"}`, string(body), "GET sees the new state")

	resp, body = do(t, c, "POST", s.URL+PathOrder2+"/ship", nil)
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "shipping twice conflicts with the state")
	p := problemOf(t, resp, body)
	assert.Equal(t, ConflictProblemType, p["type"])
	assert.Equal(t, "shipped", p["state"], "the current state is an extension member")
	assert.EqualValues(t, 409, p["status"])
	again, _ := s.Resource(PathOrder2)
	assert.Equal(t, after.ETag, again.ETag, "a refused action changes nothing")

	// The other orders are untouched, and each ships once.
	o1, _ := s.Resource(PathOrder1)
	assert.JSONEq(t, `{"id":1,"state":"open"}`, string(o1.Body))
	resp, _ = do(t, c, "POST", s.URL+PathShip, nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// A state set by someone else counts too; leaving it makes the action apply again.
	s.SetBody(PathOrder3, []byte(`{"id":3,"state":"shipped","note":"by hand"}`))
	resp, _ = do(t, c, "POST", s.URL+PathOrder3+"/ship", nil)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	s.SetBody(PathOrder3, []byte(`{"id":3,"state":"returned","note":"by hand"}`))
	resp, _ = do(t, c, "POST", s.URL+PathOrder3+"/ship", nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	o3, _ := s.Resource(PathOrder3)
	assert.JSONEq(t, `{"id":3,"state":"shipped","note":"by hand"}`, string(o3.Body), "other members are kept")

	// An order that is gone cannot be shipped.
	s.Remove(PathOrder1)
	resp, _ = do(t, c, "POST", s.URL+PathShip, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestTransitionIsAtomic(t *testing.T) {
	s := NewServer(t)
	s.Handle("/o", Data(`{"state":"open"}`))
	var effects int
	var mu sync.Mutex
	ship := Transition("/o", "state", "shipped")
	ship.Effect = func(*Server) { mu.Lock(); effects++; mu.Unlock() }
	s.Handle("/o/ship", ship)
	c := noRedirects()
	codes := make(chan int, 20)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", s.URL+"/o/ship", nil)
			resp, err := c.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	won := 0
	for code := range codes {
		if code == http.StatusSeeOther {
			won++
		} else {
			assert.Equal(t, http.StatusConflict, code)
		}
	}
	assert.Equal(t, 1, won, "exactly one of concurrent POSTs ships")
	assert.Equal(t, 1, effects, "Effect runs after a transition only")
}

func TestTransitionValues(t *testing.T) {
	s := NewServer(t)
	s.Handle("/o", Data(`{"n":1}`))
	s.Handle("/o/bump", Transition("/o", "n", 2))
	s.Handle("/x", Data(`[1]`))
	s.Handle("/x/go", Transition("/x", "n", 2))
	c := noRedirects()
	resp, _ := do(t, c, "POST", s.URL+"/o/bump", nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, body := do(t, c, "POST", s.URL+"/o/bump", nil)
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "2 and 2.0 are one JSON value")
	assert.EqualValues(t, 2, problemOf(t, resp, body)["n"])
	resp, _ = do(t, c, "POST", s.URL+"/x/go", nil)
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "a target that is not an object")
	assert.Panics(t, func() { Transition("/o", "f", func() {}) })
}
