// This file holds the Actions and Lookups that work on the server's state,
// as a real Level 3 API's do: [Transition], an Action that moves a Data
// resource into a state and is refused from that state, and [LookupIn], a
// Lookup that searches resources by their JSON members and answers 404 when
// none matches. resource.go holds the plain constructors ([Action],
// [Lookup]); behaviour.go calls these from its POST handling.

package mocks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
)

// ConflictProblemType is the problem type of the 409 Conflict a
// [Transition] answers when the resource is already in its state.
const ConflictProblemType = "https://level3.rest/problems/state-conflict"

// transition is the state change of a Transition action.
type transition struct {
	member string
	value  any // as decoded from JSON, for comparison
}

// Transition is an Action that moves the Data resource at target (a path of
// this server) into a new state: a POST sets the JSON member of its body
// named member to value, gives it new validators, and answers 303 See Other
// to target (later draft). From that state the action is refused, as a real
// API refuses to ship an order twice: once the member holds value, a POST
// changes nothing and answers 409 Conflict with problem details of type
// [ConflictProblemType], whose extension member named member holds the
// current value. When target is gone, a POST answers 404. value must
// marshal to JSON. Resource.Effect, when set, runs after a successful
// transition.
//
//	srv.Handle("/orders/7/ship", mocks.Transition("/orders/7", "state", "shipped"))
func Transition(target, member string, value any) *Resource {
	r := Action(target)
	b, err := json.Marshal(value)
	if err != nil {
		panic(fmt.Sprintf("mocks: Transition: the value of %q does not marshal to JSON: %v", member, err))
	}
	var v any
	_ = json.Unmarshal(b, &v)
	r.transition = &transition{member: member, value: v}
	return r
}

// transit applies the transition of the action res under s.mu, and returns
// the fault to answer instead when it cannot.
func (s *Server) transit(res *Resource) *Fault {
	t := res.transition
	path := strings.TrimPrefix(res.Location, s.URL)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[path]
	if e == nil {
		f := Problem(http.StatusNotFound, "Not Found", "the resource this action changes is gone: "+path)
		return &f
	}
	var doc map[string]any
	if err := json.Unmarshal(e.res.Body, &doc); err != nil {
		f := Problem(http.StatusInternalServerError, "Internal Server Error", path+" is not a JSON object")
		return &f
	}
	if cur, ok := doc[t.member]; ok && reflect.DeepEqual(cur, t.value) {
		f := Problem(http.StatusConflict, "Conflict with the current state",
			fmt.Sprintf("%s: %s is %s already; the action does not apply from this state", path, t.member, valueText(cur))).
			WithMember("type", ConflictProblemType).
			WithMember(t.member, cur)
		return &f
	}
	doc[t.member] = t.value
	body, err := json.Marshal(doc)
	if err != nil {
		f := Problem(http.StatusInternalServerError, "Internal Server Error", err.Error())
		return &f
	}
	e.res.Body = body
	e.res.refreshValidators(s.now())
	return nil
}

// LookupIn is a Lookup that searches the resources at paths (of this
// server, in order) for the query a POST carries, a JSON object: it answers
// 303 See Other to the first whose JSON body has every member of the query
// with an equal value, and 404 Not Found (problem details) when none has,
// as the Lookup profile asks. A query that is not a JSON object, or names
// no member, gets 422. template is what GET answers: the query to fill in.
// Compare [Lookup], whose answer is fixed.
//
//	srv.Handle("/orders/find", mocks.LookupIn(`{"id":0}`, "/orders/1", "/orders/2"))
func LookupIn(template string, paths ...string) *Resource {
	r := Lookup(template, "")
	r.candidates = append([]string(nil), paths...)
	return r
}

// find returns the first of res's candidates that the query matches, or a
// fault to answer: 422 for a query that is not an object with members, 404
// when nothing matches.
func (s *Server) find(res *Resource, query []byte) (string, *Fault) {
	var q map[string]any
	if err := json.Unmarshal(query, &q); err != nil || len(q) == 0 {
		f := Problem(http.StatusUnprocessableEntity, "Unprocessable Content", "the query must be a JSON object with at least one member")
		return "", &f
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, path := range res.candidates {
		e := s.entries[path]
		if e == nil {
			continue
		}
		var doc map[string]any
		if json.Unmarshal(e.res.Body, &doc) != nil {
			continue
		}
		if matches(doc, q) {
			return path, nil
		}
	}
	f := Problem(http.StatusNotFound, "No Match", "no resource matches the query")
	return "", &f
}

// matches reports whether doc has every member of q with an equal value.
func matches(doc, q map[string]any) bool {
	for name, want := range q {
		got, ok := doc[name]
		if !ok || !reflect.DeepEqual(got, want) {
			return false
		}
	}
	return true
}

// valueText writes a JSON value for a message: a string as it is, anything
// else as JSON.
func valueText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
