// This file holds the Profile type, the base and mixin profile constants and
// the URI comparison rules. Header parsing is in parse.go; pattern roles and
// link relations are in relations.go.

package profiles

import "strings"

// Profile is a profile URI as it appears in a `profile` header, such as
// "https://level3.rest/profiles/data". The zero value is the empty string and
// names no profile.
//
// Compare profiles with [Profile.Equal], not ==: the same profile may be
// spelled with `http` or `https`, with a different case of scheme or host, or
// (for the entry point) as Root instead of Home.
type Profile string

// Base profiles. A Level 3 resource presents one of them (an [Alias] also
// lists its target's profiles). The constants use the later draft's https
// spelling; [Profile.Equal] also matches the older draft's http spelling.
const (
	// Home is the entry point of an API: GET it and follow its links.
	Home Profile = "https://level3.rest/profiles/home"

	// Root is the older draft's name for [Home], in that draft's http
	// spelling. Root.Equal(Home) is true and Root.Name() is "home".
	Root Profile = "http://level3.rest/profiles/root"

	// Nexus is read-only business state with links; DELETE removes it and
	// the resources related to it.
	Nexus Profile = "https://level3.rest/profiles/nexus"

	// Info is read-only, often computed, data.
	Info Profile = "https://level3.rest/profiles/info"

	// Data is editable data: GET, PUT (replace, never create), PATCH and
	// DELETE.
	Data Profile = "https://level3.rest/profiles/data"

	// Content is byte content: HEAD, GET (with ranges), PUT and DELETE.
	Content Profile = "https://level3.rest/profiles/content"

	// Alias redirects every method: 307 for a stable alias with a dynamic
	// target, 308 for a permanent move.
	Alias Profile = "https://level3.rest/profiles/alias"

	// Action is triggered by a POST with no body.
	Action Profile = "https://level3.rest/profiles/action"

	// Form is fetched with GET, filled in and POSTed back to create
	// something.
	Form Profile = "https://level3.rest/profiles/form"

	// Lookup is like [Form] but its POST finds a single result and answers
	// 303 See Other with its location.
	Lookup Profile = "https://level3.rest/profiles/lookup"

	// Upload accepts raw bytes by POST and creates a [Content] resource.
	Upload Profile = "https://level3.rest/profiles/upload"
)

// Mixin profiles, added to a base profile by listing more `profile` values.
const (
	// Entity: the resource has validators (etag, last-modified) for
	// cache-aware fetches and conditional changes.
	Entity Profile = "https://level3.rest/profiles/mixins/entity"

	// Preflight: the resource answers `expect: 100-continue` before the
	// client sends a body.
	Preflight Profile = "https://level3.rest/profiles/mixins/preflight"

	// Representation: the resource honours `prefer: return=representation`
	// and `prefer: return=minimal`.
	Representation Profile = "https://level3.rest/profiles/mixins/representation"

	// Async: the resource honours `prefer: respond-async` and may answer
	// 202 Accepted.
	Async Profile = "https://level3.rest/profiles/mixins/async"
)

// names maps the canonical form of each known profile to its short name.
var names = map[Profile]string{
	Home:           "home",
	Nexus:          "nexus",
	Info:           "info",
	Data:           "data",
	Content:        "content",
	Alias:          "alias",
	Action:         "action",
	Form:           "form",
	Lookup:         "lookup",
	Upload:         "upload",
	Entity:         "entity",
	Preflight:      "preflight",
	Representation: "representation",
	Async:          "async",
}

// mixins is the set of canonical mixin profiles.
var mixins = map[Profile]bool{
	Entity:         true,
	Preflight:      true,
	Representation: true,
	Async:          true,
}

// canonicalRoot is Root after scheme normalisation; Canonical maps it to Home.
const canonicalRoot = "https://level3.rest/profiles/root"

// Canonical returns the form of p used for comparison: surrounding whitespace
// and one pair of surrounding angle brackets removed, the scheme and host in
// lower case, `http` replaced by `https`, and the older draft's Root profile
// replaced by [Home]. Everything else (path, query, fragment, user info) is
// kept as is. A p that is not an absolute URI is only trimmed.
//
// The result is a comparison key, not a URL to dereference: it assumes that a
// server serves the same thing over http and https, which holds for the
// level3.rest identifiers this package deals with.
func (p Profile) Canonical() Profile {
	s := normalizeURI(trim(string(p)))
	if s == canonicalRoot {
		return Home
	}
	return Profile(s)
}

// Equal reports whether p and q name the same profile, that is whether their
// [Profile.Canonical] forms are identical. Root and Home are equal.
func (p Profile) Equal(q Profile) bool {
	return p.Canonical() == q.Canonical()
}

// Name returns the short name of a known Level 3 base or mixin profile, such
// as "home" (also for Root), "data" or "entity", and "" for any other
// profile, including pattern roles.
func (p Profile) Name() string {
	return names[p.Canonical()]
}

// IsMixin reports whether p is one of the Level 3 mixin profiles
// ([Entity], [Preflight], [Representation], [Async]).
func (p Profile) IsMixin() bool {
	return mixins[p.Canonical()]
}

// IsBase reports whether p is one of the Level 3 base profiles ([Home] or
// Root, [Nexus], [Info], [Data], [Content], [Alias], [Action], [Form],
// [Lookup], [Upload]).
func (p Profile) IsBase() bool {
	c := p.Canonical()
	return names[c] != "" && !mixins[c]
}

// String returns p unchanged.
func (p Profile) String() string {
	return string(p)
}

// SameURI reports whether a and b are the same absolute URI when the
// difference between `http` and `https` and the case of the scheme and host
// are ignored (RFC 3986, section 6.2.2.1). When either is not an absolute URI,
// as with registered link relation names such as "next", they are compared
// case-insensitively instead. Neither string is trimmed.
//
// SameURI does not treat Root as Home; use [Profile.Equal] for profiles.
func SameURI(a, b string) bool {
	if schemeEnd(a) > 0 && schemeEnd(b) > 0 {
		return normalizeURI(a) == normalizeURI(b)
	}
	return strings.EqualFold(a, b)
}

// SameRel reports whether a and b are the same link relation type by the
// rule of RFC 8288, section 2.1.2 (relation types compare case-insensitively,
// extension types character by character), additionally ignoring the
// difference between `http` and `https` so that older-draft Level 3 relations
// match the constants of this package. It is more lenient than [SameURI],
// which keeps the case of the path.
func SameRel(a, b string) bool {
	if schemeEnd(a) > 0 && schemeEnd(b) > 0 {
		return strings.EqualFold(normalizeURI(a), normalizeURI(b))
	}
	return strings.EqualFold(a, b)
}

// trim removes surrounding whitespace and one pair of surrounding angle
// brackets (with the whitespace just inside them).
func trim(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// schemeEnd returns the index of the colon ending s's URI scheme
// (ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), RFC 3986 section 3.1), or -1
// when s does not start with a scheme.
func schemeEnd(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9', c == '+', c == '-', c == '.':
			if i == 0 {
				return -1
			}
		case c == ':':
			if i == 0 {
				return -1
			}
			return i
		default:
			return -1
		}
	}
	return -1
}

// normalizeURI lower-cases the scheme and the host of s, and replaces an http
// scheme by https. A string without a scheme is returned unchanged. Only ASCII
// letters are folded, so the result has the same bytes as s elsewhere.
func normalizeURI(s string) string {
	i := schemeEnd(s)
	if i < 0 {
		return s
	}
	scheme := asciiLower(s[:i])
	if scheme == "http" {
		scheme = "https"
	}
	rest := s[i+1:]
	if strings.HasPrefix(rest, "//") {
		auth := rest[2:]
		end := strings.IndexAny(auth, "/?#")
		if end < 0 {
			end = len(auth)
		}
		// The host follows any user info, which keeps its case.
		at := strings.LastIndexByte(auth[:end], '@') + 1
		rest = "//" + auth[:at] + asciiLower(auth[at:end]) + auth[end:]
	}
	return scheme + ":" + rest
}

// asciiLower lower-cases the ASCII letters of s and leaves every other byte
// alone (strings.ToLower would rewrite invalid UTF-8).
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
