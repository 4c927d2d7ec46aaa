// This file holds what a resource answers when no fault applies: the Level 3
// headers, GET/HEAD with ranges and conditions, PUT/PATCH/DELETE for Data and
// Content, POST for Upload, Form, Lookup and Action, redirects for Alias, and
// 202 Accepted for Async.

package mocks

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/l3go/level3/internal/jsonmerge"
	"github.com/l3go/level3/profiles"
)

// behave answers r from the resource at path.
func (s *Server) behave(w http.ResponseWriter, r *http.Request, path string) {
	s.mu.Lock()
	e := s.entries[path]
	var po pollOutcome
	switch {
	case e == nil:
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && e.res.allows(r.Method):
		po = s.poll(path, e)
		e = s.entries[path] // a finished DELETE removed it
	case e.pending != nil && e.pending.create:
		po.hide = true // a resource being created does not exist for any method
	}
	if po.fault != nil {
		s.mu.Unlock()
		po.fault.writeError(w)
		return
	}
	if po.retryAfter != "" {
		w.Header().Set("Retry-After", po.retryAfter)
	}
	if e == nil || po.hide {
		s.mu.Unlock()
		notFound(w, path)
		return
	}
	res := e.res // a copy; bodies are replaced, never changed in place
	s.mu.Unlock()

	writeHeaders(w.Header(), &res)
	if res.has(profiles.Alias) {
		w.Header().Set("Location", res.Location)
		w.WriteHeader(res.Status)
		return
	}
	if !res.allows(r.Method) {
		Problem(http.StatusMethodNotAllowed, "Method Not Allowed", r.Method+" is not allowed here").writeError(w)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if res.ContentType == "" {
			w.Header()["Content-Type"] = nil // no sniffing
		}
		s.serveContent(w, r, &res)
	case http.MethodPut, http.MethodPatch:
		s.replace(w, r, path, &res)
	case http.MethodDelete:
		s.delete(w, r, path, &res)
	case http.MethodPost:
		s.post(w, r, path, &res)
	default:
		Problem(http.StatusMethodNotAllowed, "Method Not Allowed", r.Method+" is not allowed here").writeError(w)
	}
}

// writeHeaders sets the Level 3 headers of res: profile, allow, link,
// validators and the rest.
func writeHeaders(h http.Header, res *Resource) {
	for name, vals := range res.Header {
		h[name] = vals
	}
	if len(res.Profiles) > 0 {
		parts := make([]string, len(res.Profiles))
		for i, p := range res.Profiles {
			parts[i] = "<" + string(p) + ">"
		}
		h.Set("Profile", strings.Join(parts, ", "))
	}
	if len(res.Allow) > 0 {
		h.Set("Allow", strings.Join(res.Allow, ", "))
	}
	for _, l := range res.Links {
		h.Add("Link", formatLink(l))
	}
	if res.ETag != "" {
		h.Set("ETag", res.ETag)
	}
	if !res.LastModified.IsZero() {
		h.Set("Last-Modified", res.LastModified.UTC().Format(http.TimeFormat))
	}
	if res.ContentType != "" {
		h.Set("Content-Type", res.ContentType)
	}
	if len(res.AcceptPatch) > 0 {
		h.Set("Accept-Patch", strings.Join(res.AcceptPatch, ", "))
	}
	if res.IdempotencyKey != "" {
		h.Set("Idempotency-Key", res.IdempotencyKey)
	}
}

// formatLink writes one RFC 8288 link-value; a non-ASCII title goes in
// title* (RFC 8187) with an ASCII fallback in title.
func formatLink(l Link) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<%s>; rel=%q", l.Href, l.Rel)
	if l.Title != "" {
		ascii := true
		for i := 0; i < len(l.Title); i++ {
			if l.Title[i] >= 0x80 {
				ascii = false
				break
			}
		}
		if ascii {
			b.WriteString(`; title="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(l.Title) + `"`)
		} else {
			b.WriteString(`; title*=UTF-8''` + strings.ReplaceAll(url.PathEscape(l.Title), "'", "%27"))
		}
	}
	return b.String()
}

// preconditions checks if-match and if-unmodified-since against res and
// returns 0 when they hold, 412 otherwise.
func preconditions(r *http.Request, res *Resource) int {
	if im := r.Header.Get("If-Match"); im != "" {
		if !etagListMatches(im, res.ETag) {
			return http.StatusPreconditionFailed
		}
	} else if ius := r.Header.Get("If-Unmodified-Since"); ius != "" && !res.LastModified.IsZero() {
		if t, err := http.ParseTime(ius); err == nil && res.LastModified.After(t) {
			return http.StatusPreconditionFailed
		}
	}
	return 0
}

// etagListMatches applies the strong comparison of RFC 9110 §13.1.1.
func etagListMatches(list, current string) bool {
	if strings.TrimSpace(list) == "*" {
		return true
	}
	if current == "" || strings.HasPrefix(current, "W/") {
		return false
	}
	for _, tag := range strings.Split(list, ",") {
		if strings.TrimSpace(tag) == current {
			return true
		}
	}
	return false
}

// readBody reads a PUT/POST body after the checks a Level 3 server makes from
// the headers alone: 411 without content-length when required, 413 above
// MaxBody. It writes the error and returns false when a check fails.
func readBody(w http.ResponseWriter, r *http.Request, res *Resource, needLength bool) ([]byte, bool) {
	if needLength && r.ContentLength < 0 {
		Problem(http.StatusLengthRequired, "Length Required", "send content-length").writeError(w)
		return nil, false
	}
	if res.MaxBody > 0 && r.ContentLength > res.MaxBody {
		Problem(http.StatusRequestEntityTooLarge, "Content Too Large",
			fmt.Sprintf("at most %d bytes", res.MaxBody)).writeError(w)
		return nil, false
	}
	limit := int64(1 << 40)
	if res.MaxBody > 0 {
		limit = res.MaxBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		Problem(http.StatusBadRequest, "Bad Request", "reading the body: "+err.Error()).writeError(w)
		return nil, false
	}
	if int64(len(body)) > limit {
		Problem(http.StatusRequestEntityTooLarge, "Content Too Large",
			fmt.Sprintf("at most %d bytes", res.MaxBody)).writeError(w)
		return nil, false
	}
	return body, true
}

// replace handles PUT (new bytes or JSON) and PATCH (JSON merge patch or
// JSON Patch, jsonpatch.go) of Data and Content resources.
func (s *Server) replace(w http.ResponseWriter, r *http.Request, path string, res *Resource) {
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if r.Method == http.MethodPatch {
		if ct == "" {
			Problem(http.StatusPreconditionRequired, "Precondition Required", "PATCH needs a content-type").writeError(w)
			return
		}
		if !contains(res.AcceptPatch, mt) {
			Problem(http.StatusUnsupportedMediaType, "Unsupported Media Type", "accept-patch: "+strings.Join(res.AcceptPatch, ", ")).writeError(w)
			return
		}
	}
	if preconditionMissing(r, res) {
		Problem(http.StatusPreconditionRequired, "Precondition Required", "send if-match with the etag you read").writeError(w)
		return
	}
	if code := preconditions(r, res); code != 0 {
		Problem(code, http.StatusText(code), "the resource has changed").writeError(w)
		return
	}
	body, ok := readBody(w, r, res, res.has(profiles.Content))
	if !ok {
		return
	}
	if res.has(profiles.Data) && r.Method == http.MethodPut && !json.Valid(body) {
		Problem(http.StatusBadRequest, "Bad Request", "the body is not JSON").writeError(w)
		return
	}
	change := func(cur *Resource) (int, string) {
		if code := preconditions(r, cur); code != 0 {
			return code, "the resource has changed"
		}
		if r.Method == http.MethodPatch {
			patched, perr := applyPatch(mt, cur.Body, body)
			if perr != nil {
				return perr.status, perr.detail
			}
			cur.Body = patched
		} else {
			cur.Body = body
			if ct != "" {
				cur.ContentType = ct
			}
		}
		cur.refreshValidators(s.now())
		return 0, ""
	}
	if answersAsync(r, res) {
		s.later(path, res, false, func(s *Server, path string) {
			if e := s.entries[path]; e != nil {
				change(&e.res)
			}
		})
		accepted(w, res, "")
		return
	}
	s.mu.Lock()
	e := s.entries[path]
	if e == nil {
		s.mu.Unlock()
		notFound(w, path)
		return
	}
	code, detail := change(&e.res)
	etag, lm := e.res.ETag, e.res.LastModified
	s.mu.Unlock()
	if code != 0 {
		Problem(code, http.StatusText(code), detail).writeError(w)
		return
	}
	if wantsRepresentation(r, res) && s.represent(w, path) {
		return
	}
	setValidators(w.Header(), etag, lm)
	w.Header().Del("Content-Type")
	w.WriteHeader(http.StatusNoContent)
}

// delete removes the resource (or, asked for async, removes it later).
func (s *Server) delete(w http.ResponseWriter, r *http.Request, path string, res *Resource) {
	if preconditionMissing(r, res) {
		Problem(http.StatusPreconditionRequired, "Precondition Required", "send if-match with the etag you read").writeError(w)
		return
	}
	if code := preconditions(r, res); code != 0 {
		Problem(code, http.StatusText(code), "the resource has changed").writeError(w)
		return
	}
	if answersAsync(r, res) {
		s.later(path, res, false, func(s *Server, path string) { delete(s.entries, path) })
		accepted(w, res, "")
		return
	}
	s.Remove(path)
	// Nothing is left to describe: no validators (a client must not take
	// the deleted state's etag for a current one) and no content type.
	dropValidators(w.Header())
	w.Header().Del("Content-Type")
	w.WriteHeader(http.StatusNoContent)
}

// dropValidators removes etag and last-modified from an answer that has no
// representation to describe: a DELETE's 204, a 202 Accepted.
func dropValidators(h http.Header) {
	h.Del("ETag")
	h.Del("Last-Modified")
}

// post handles POST by profile: Upload and Form create, Lookup redirects,
// Action triggers.
func (s *Server) post(w http.ResponseWriter, r *http.Request, path string, res *Resource) {
	switch {
	case res.has(profiles.Upload):
		s.upload(w, r, path, res)
	case res.has(profiles.Form):
		s.submit(w, r, path, res)
	case res.has(profiles.Lookup):
		query, ok := readJSON(w, r, res)
		if !ok {
			return
		}
		found := res.Location
		if res.candidates != nil {
			var f *Fault
			if found, f = s.find(res, query); f != nil {
				f.writeError(w)
				return
			}
		}
		if found == "" {
			Problem(http.StatusNotFound, "No Match", "the lookup found nothing").writeError(w)
			return
		}
		if wantsRepresentation(r, res) && s.represent(w, found) {
			return
		}
		w.Header().Set("Location", found)
		w.WriteHeader(http.StatusSeeOther)
	case res.has(profiles.Action):
		drain(r.Body)
		if res.transition != nil {
			if f := s.transit(res); f != nil {
				f.writeError(w)
				return
			}
		}
		if res.Effect != nil {
			res.Effect(s)
		}
		if res.Status == http.StatusSeeOther && wantsRepresentation(r, res) && s.represent(w, res.Location) {
			return
		}
		if res.Status == http.StatusSeeOther {
			w.Header().Set("Location", res.Location)
		}
		w.WriteHeader(res.Status)
	default:
		Problem(http.StatusMethodNotAllowed, "Method Not Allowed", "POST is not allowed here").writeError(w)
	}
}

// upload creates a Content resource from the raw body (Upload profile).
func (s *Server) upload(w http.ResponseWriter, r *http.Request, path string, res *Resource) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		Problem(http.StatusUnsupportedMediaType, "Unsupported Media Type", "send a content-type").writeError(w)
		return
	}
	body, ok := readBody(w, r, res, true)
	if !ok {
		return
	}
	child := Content(body, ct)
	if slug := r.Header.Get("Slug"); slug != "" {
		if name, err := url.PathUnescape(slug); err == nil {
			child.Header = http.Header{"Content-Disposition": {
				mime.FormatMediaType("attachment", map[string]string{"filename": name})}}
		}
	}
	s.createOnce(w, r, path, res, body, child)
}

// submit creates a Data resource from a filled-in form (Form profile).
func (s *Server) submit(w http.ResponseWriter, r *http.Request, path string, res *Resource) {
	if res.IdempotencyKey == "required" && r.Header.Get("Idempotency-Key") == "" {
		Problem(http.StatusBadRequest, "Idempotency Key Missing", "this form requires an idempotency-key").writeError(w)
		return
	}
	body, ok := readJSON(w, r, res)
	if !ok {
		return
	}
	s.createOnce(w, r, path, res, body, Data(string(body)))
}

// create stores child under path and answers 201 (or 202 when asked for
// async, with the child invisible until the operation finishes: see
// Server.later).
func (s *Server) create(w http.ResponseWriter, r *http.Request, path string, res *Resource, child *Resource) {
	childPath := s.nextChildPath(path)
	if answersAsync(r, res) {
		loc := s.handle(childPath, child, func(e *entry) { s.laterLocked(e, res, true, nil) })
		accepted(w, res, loc)
		return
	}
	loc := s.Handle(childPath, child)
	s.answerCreated(w, r, res, childPath, loc)
}

// readJSON reads a JSON request body, answering 415 for another media type and
// 400 for malformed JSON.
func readJSON(w http.ResponseWriter, r *http.Request, res *Resource) ([]byte, bool) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		Problem(http.StatusUnsupportedMediaType, "Unsupported Media Type", "send application/json").writeError(w)
		return nil, false
	}
	body, ok := readBody(w, r, res, false)
	if !ok {
		return nil, false
	}
	if !json.Valid(body) {
		Problem(http.StatusBadRequest, "Bad Request", "the body is not JSON").writeError(w)
		return nil, false
	}
	return body, true
}

// mergePatch applies an RFC 7396 JSON merge patch to doc.
func mergePatch(doc, patch []byte) ([]byte, error) {
	var d, p any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("the resource is not JSON: %w", err)
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, fmt.Errorf("the patch is not JSON: %w", err)
	}
	return json.Marshal(jsonmerge.Apply(d, p))
}

// setValidators writes etag and last-modified when present.
func setValidators(h http.Header, etag string, lm time.Time) {
	if etag != "" {
		h.Set("ETag", etag)
	}
	if !lm.IsZero() {
		h.Set("Last-Modified", lm.UTC().Format(http.TimeFormat))
	}
}

// notFound answers 404 with problem details.
func notFound(w http.ResponseWriter, path string) {
	for _, name := range []string{"Profile", "Allow", "Link", "ETag", "Last-Modified"} {
		w.Header().Del(name)
	}
	Problem(http.StatusNotFound, "Not Found", "no resource at "+path).writeError(w)
}

// drain reads and discards a bounded amount of a request body.
func drain(body io.Reader) { _, _ = io.Copy(io.Discard, io.LimitReader(body, 1<<20)) }

// contains reports whether list has s, ignoring case.
func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
