// This file holds how a Form or an Upload resource honours idempotency keys
// (IETF draft-ietf-httpapi-idempotency-key-header): the first submission
// with a key creates the resource; a later one with the same key and body
// gets 409 while the first is still being processed (Resource.Processing)
// and then the first answer again; one with another body gets 422.
// behaviour.go calls createOnce from submit and upload; the answers are
// written by answerCreated (representation.go).

package mocks

import (
	"crypto/sha256"
	"net/http"
	"strconv"
	"strings"
)

// IdempotencyProblemType is the problem type of the 409 and 422 answers about
// idempotency keys, as in the draft's examples.
const IdempotencyProblemType = "https://level3.rest/problems/idempotency"

// submission is what a Form remembers of the first request with a key.
type submission struct {
	sum   [32]byte // SHA-256 of the body
	path  string   // the created resource; "" while being created
	loc   string   // its absolute URL
	busy  int      // requests still to answer 409
	count int      // requests seen with this key
}

// createOnce creates child below path, from body, as create does; or, when
// the request carries an idempotency key that res honours and is not
// answered asynchronously, once per key (submitOnce).
func (s *Server) createOnce(w http.ResponseWriter, r *http.Request, path string, res *Resource, body []byte, child *Resource) {
	if key := r.Header.Get("Idempotency-Key"); key != "" && res.IdempotencyKey != "" && !answersAsync(r, res) {
		s.submitOnce(w, r, path, res, key, body, child)
		return
	}
	s.create(w, r, path, res, child)
}

// submitOnce handles a Form submission or an upload carrying an idempotency
// key: child is the resource the first one creates.
func (s *Server) submitOnce(w http.ResponseWriter, r *http.Request, path string, res *Resource, key string, body []byte, child *Resource) {
	sum := sha256.Sum256(body)
	s.mu.Lock()
	e := s.entries[path]
	if e == nil {
		s.mu.Unlock()
		notFound(w, path)
		return
	}
	sub := e.submissions[key]
	if sub == nil {
		if e.submissions == nil {
			e.submissions = make(map[string]*submission)
		}
		sub = &submission{sum: sum, busy: res.Processing, count: 1}
		e.submissions[key] = sub
		s.mu.Unlock()
		childPath, loc := s.addChild(path, child)
		s.mu.Lock()
		sub.path, sub.loc = childPath, loc
		s.mu.Unlock()
		s.answerCreated(w, r, res, childPath, loc)
		return
	}
	sub.count++
	switch {
	case sub.sum != sum:
		s.mu.Unlock()
		Problem(http.StatusUnprocessableEntity, "Idempotency-Key is already used",
			"this key was used with another body; use a new key for a new submission").
			WithMember("type", IdempotencyProblemType).writeError(w)
	case sub.busy > 0 || sub.path == "":
		sub.busy--
		s.mu.Unlock()
		Problem(http.StatusConflict, "A request is outstanding for this Idempotency-Key",
			"the first submission with this key is still being processed; retry later").
			WithMember("type", IdempotencyProblemType).writeError(w)
	default:
		childPath, loc := sub.path, sub.loc
		s.mu.Unlock()
		s.answerCreated(w, r, res, childPath, loc)
	}
}

// Submissions returns how many requests the Form or Upload resource at path
// received with the idempotency key (as sent, quotes included), and whether
// it saw that key.
func (s *Server) Submissions(path, key string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[path]
	if e == nil || e.submissions[key] == nil {
		return 0, false
	}
	return e.submissions[key].count, true
}

// addChild stores child under a new path below path and returns that path
// and its absolute URL.
func (s *Server) addChild(path string, child *Resource) (string, string) {
	childPath := s.nextChildPath(path)
	return childPath, s.Handle(childPath, child)
}

// nextChildPath names a new resource below path: path/1, path/2, ...
func (s *Server) nextChildPath(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.created++
	return strings.TrimSuffix(path, "/") + "/" + strconv.Itoa(s.created)
}
