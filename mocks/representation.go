// This file holds the Representation mixin's answers (prefer:
// return=representation → 200 with the body and content-location instead of
// 204, 201 + location or 303) and the 428 of an Entity resource that demands
// a precondition. behaviour.go calls them.

package mocks

import (
	"net/http"
	"strings"

	"github.com/l3go/level3/profiles"
)

// wantsRepresentation reports whether r asks for prefer:
// return=representation and res has the Representation mixin.
func wantsRepresentation(r *http.Request, res *Resource) bool {
	if !res.has(profiles.Representation) {
		return false
	}
	for _, v := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(v, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			if strings.EqualFold(strings.TrimSpace(name), "return") &&
				strings.EqualFold(strings.Trim(strings.TrimSpace(value), `"`), "representation") {
				return true
			}
		}
	}
	return false
}

// represent answers 200 with the resource at target (a path or an absolute
// URL of this server): its body and its own headers, and content-location
// naming it. It reports false, writing nothing, when there is no such
// resource.
func (s *Server) represent(w http.ResponseWriter, target string) bool {
	path := strings.TrimPrefix(target, s.URL)
	res, ok := s.Resource(path)
	if !ok {
		return false
	}
	h := w.Header()
	for name := range h {
		delete(h, name)
	}
	writeHeaders(h, &res)
	h.Set("Content-Location", path)
	h.Set("Preference-Applied", "return=representation")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Body)
	return true
}

// answerCreated answers a Form submission that created (or, replayed, had
// created) the resource at childPath: 201 with location, or with prefer:
// return=representation, 200 with the body and content-location.
func (s *Server) answerCreated(w http.ResponseWriter, r *http.Request, res *Resource, childPath, loc string) {
	if wantsRepresentation(r, res) && s.represent(w, childPath) {
		return
	}
	stored, _ := s.Resource(childPath)
	w.Header().Set("Location", loc)
	setValidators(w.Header(), stored.ETag, stored.LastModified)
	w.Header().Del("Content-Type")
	w.WriteHeader(http.StatusCreated)
}

// preconditionMissing reports whether res demands a precondition
// (RequirePrecondition) that r does not carry: the 428 of the Entity mixin.
func preconditionMissing(r *http.Request, res *Resource) bool {
	return res.RequirePrecondition && r.Header.Get("If-Match") == "" && r.Header.Get("If-Unmodified-Since") == ""
}
