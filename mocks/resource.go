// This file holds Resource, the description of one fake resource, and the
// constructors for each Level 3 profile. server.go routes requests to
// resources; behaviour.go answers them.

package mocks

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/l3go/level3/profiles"
)

// Link is one link a resource advertises in its link header.
type Link struct {
	Href  string // absolute, or relative to the resource
	Rel   string // one or more relation types, space separated
	Title string // optional
}

// Resource describes one fake resource. Build it with a profile constructor
// ([Home], [Data], [Content], [Upload], ...) and adjust the fields before
// [Server.Handle]; the server copies it, so later changes to the value have
// no effect (use the Server's methods instead).
type Resource struct {
	Profiles    []profiles.Profile // sent in the profile header, in order
	Allow       []string           // sent in the allow header; methods outside it get 405 (empty: all accepted, no header)
	Links       []Link             // sent as one link header line each
	ContentType string
	Body        []byte
	// ETag is the entity tag; when empty and the resource has the Entity
	// mixin, a strong tag is computed from Body (and recomputed on change).
	ETag string
	// WeakETag makes computed entity tags weak (W/"...").
	WeakETag     bool
	LastModified time.Time   // zero: no last-modified header
	Header       http.Header // any other response headers
	// Status is the redirect status of an Alias (307 or 308) and the success
	// status of an Action (204, or 303 with Location).
	Status int
	// Location is the target of an Alias, the changed state an Action
	// points to (303), and the single result of a [Lookup] (unused by
	// [LookupIn], which searches).
	Location string
	// MaxBody makes PUT and POST bodies larger than this many bytes fail
	// with 413, decided from content-length before the body is read.
	MaxBody int64
	// AsyncPolls is how many GET or HEAD requests of the watched resource
	// (the location of a POST's 202, or the resource a PUT, PATCH or DELETE
	// changes) an operation accepted with prefer: respond-async stays
	// invisible for (Async mixin). With AsyncAfter zero, at least one.
	AsyncPolls int
	// AsyncAfter is how long, on the server's clock ([WithClock]), an
	// accepted operation takes at least: it shows at the first GET or HEAD
	// after both AsyncPolls polls and AsyncAfter. A client that sent
	// prefer: wait=N with N ≥ AsyncAfter (and AsyncPolls 0) gets a
	// synchronous answer instead of 202.
	AsyncAfter time.Duration
	// AsyncFailure, when set, makes an accepted operation fail when it
	// would have finished: the change is not made and, from then on, every
	// GET or HEAD of the watched resource answers this fault (such as
	// Problem(422, ...) or Problem(500, ...)).
	AsyncFailure *Fault
	// RetryAfter is sent with 202 Accepted answers, and with answers to
	// polls of the watched resource while the operation is not finished
	// (Async mixin).
	RetryAfter string
	// IdempotencyKey is what a Form or an Upload resource answers in its
	// idempotency-key header: "optional", "required" (Forms) or "" (none).
	// With it, a POST carrying a key creates one resource however often it
	// is sent (see [Server.Submissions]).
	IdempotencyKey string
	// AcceptPatch lists the PATCH media types of a Data resource
	// ([MergePatch], [JSONPatch]).
	AcceptPatch []string
	// Processing is how many requests after a Form's first submission with
	// an idempotency key still find that submission being processed, and get
	// 409 Conflict, as when processing outlives the first request (whose
	// answer was lost, see [DropResponse]); later ones get the first
	// submission's answer again. See idempotency.go.
	Processing int
	// RequirePrecondition makes PUT, PATCH and DELETE without If-Match or
	// If-Unmodified-Since fail with 428 Precondition Required (Entity).
	RequirePrecondition bool
	// Effect, when set, runs each time an Action accepts a POST, before it
	// answers: change other resources here (with [Server.SetBody]) to show
	// what the action did. It must not block.
	Effect func(s *Server)
	// Rate limits each GET response to about this many bytes per second,
	// as a server that throttles every connection does (0: no limit).
	Rate int64
	// NoRanges makes GET ignore range requests (always 200 with the whole
	// body) and answer accept-ranges: none.
	NoRanges bool

	transition *transition // set by Transition (state.go)
	candidates []string    // set by LookupIn (state.go): nil for a fixed Location
}

// With returns r with the profiles (typically mixins) added.
func (r *Resource) With(p ...profiles.Profile) *Resource {
	r.Profiles = append(r.Profiles, p...)
	return r
}

// has reports whether r declares profile p.
func (r *Resource) has(p profiles.Profile) bool {
	for _, q := range r.Profiles {
		if q.Equal(p) {
			return true
		}
	}
	return false
}

// allows reports whether r accepts method.
func (r *Resource) allows(method string) bool {
	if len(r.Allow) == 0 {
		return true
	}
	for _, m := range r.Allow {
		if strings.EqualFold(m, method) {
			return true
		}
	}
	return false
}

// refreshValidators gives a changed resource new validators: a new entity tag
// when it has one (or the Entity mixin), a new modification time likewise.
func (r *Resource) refreshValidators(now time.Time) {
	if r.ETag != "" || r.has(profiles.Entity) {
		r.ETag = etagOf(r.Body, r.WeakETag)
	}
	if !r.LastModified.IsZero() || r.has(profiles.Entity) {
		r.LastModified = now.UTC().Truncate(time.Second)
	}
}

// etagOf computes an entity tag from the content, so equal bytes give equal
// tags and any change gives a new one.
func etagOf(body []byte, weak bool) string {
	sum := sha256.Sum256(body)
	tag := `"` + hex.EncodeToString(sum[:8]) + `"`
	if weak {
		return "W/" + tag
	}
	return tag
}

// Home is an entry point (Home profile) that links to the given resources.
func Home(links ...Link) *Resource {
	return &Resource{
		Profiles:    []profiles.Profile{profiles.Home},
		Allow:       []string{"GET", "HEAD"},
		Links:       links,
		ContentType: "application/json",
		Body:        []byte(`{"name":"level3 fake server"}`),
	}
}

// Root is the older draft's entry point (Root profile, http:// URIs).
func Root(links ...Link) *Resource {
	r := Home(links...)
	r.Profiles = []profiles.Profile{profiles.Root}
	return r
}

// Nexus is read-only business state with links; DELETE removes it.
func Nexus(jsonBody string, links ...Link) *Resource {
	return &Resource{
		Profiles:    []profiles.Profile{profiles.Nexus},
		Allow:       []string{"GET", "HEAD", "DELETE"},
		Links:       links,
		ContentType: "application/json",
		Body:        []byte(jsonBody),
	}
}

// Info is read-only, often computed, data.
func Info(jsonBody string) *Resource {
	return &Resource{
		Profiles:    []profiles.Profile{profiles.Info},
		Allow:       []string{"GET", "HEAD"},
		ContentType: "application/json",
		Body:        []byte(jsonBody),
	}
}

// Data is editable JSON state with the Entity mixin: GET, PUT (replace),
// PATCH (application/merge-patch+json; add [JSONPatch] to AcceptPatch for
// RFC 6902 JSON Patch too) and DELETE, all conditional.
func Data(jsonBody string) *Resource {
	return &Resource{
		Profiles:    []profiles.Profile{profiles.Data, profiles.Entity},
		Allow:       []string{"GET", "HEAD", "PUT", "PATCH", "DELETE"},
		ContentType: "application/json",
		Body:        []byte(jsonBody),
		AcceptPatch: []string{MergePatch},
	}
}

// Content is byte content with the Entity mixin: GET with ranges, PUT to
// replace the bytes, DELETE.
func Content(body []byte, contentType string) *Resource {
	return &Resource{
		Profiles:    []profiles.Profile{profiles.Content, profiles.Entity},
		Allow:       []string{"GET", "HEAD", "PUT", "DELETE"},
		ContentType: contentType,
		Body:        body,
	}
}

// Upload takes raw bytes by POST and creates a Content resource below its
// own path for each upload (201 + location). It answers HEAD and GET with
// its Level 3 headers, as every resource does, and an empty body.
func Upload() *Resource {
	return &Resource{
		Profiles: []profiles.Profile{profiles.Upload},
		Allow:    []string{"GET", "HEAD", "POST"},
	}
}

// Alias redirects every method to target with status 307 or 308. Its
// profile header lists Alias; add the target's profiles with With.
func Alias(status int, target string) *Resource {
	return &Resource{
		Profiles: []profiles.Profile{profiles.Alias},
		Allow:    []string{"GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"},
		Status:   status,
		Location: target,
	}
}

// Action is triggered by POST with no body. With an empty seeOther it answers
// 204 (older draft); otherwise 303 See Other to seeOther (later draft). It
// changes nothing by itself: set Effect, or build it with [Transition] for
// an action that changes a resource's state and is refused from that state.
func Action(seeOther string) *Resource {
	r := &Resource{
		Profiles: []profiles.Profile{profiles.Action},
		Allow:    []string{"POST"},
		Status:   http.StatusNoContent,
	}
	if seeOther != "" {
		r.Status, r.Location = http.StatusSeeOther, seeOther
	}
	return r
}

// Form serves a JSON template and takes it back by POST, creating a Data
// resource below its own path (201 + location).
func Form(template string) *Resource {
	return &Resource{
		Profiles:    []profiles.Profile{profiles.Form},
		Allow:       []string{"GET", "HEAD", "POST"},
		ContentType: "application/json",
		Body:        []byte(template),
	}
}

// Lookup serves a JSON query template; a POST with any query answers 303
// See Other to result, or 404 when result is empty. [LookupIn] builds a
// Lookup that searches resources for the query.
func Lookup(template, result string) *Resource {
	return &Resource{
		Profiles:    []profiles.Profile{profiles.Lookup},
		Allow:       []string{"GET", "HEAD", "POST"},
		ContentType: "application/json",
		Body:        []byte(template),
		Location:    result,
	}
}
