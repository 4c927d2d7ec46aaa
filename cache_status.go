// This file holds the RFC 9211 Cache-Status field as the cache layer
// (cache.go) writes and reads it: CacheName, FromCache, and a tolerant
// reader of the field. The reader is hand-written rather than an RFC 9651
// parser (github.com/dunglas/httpsfv) on purpose: a strict parser rejects the
// whole field for one malformed member another cache wrote, and this cache's
// own member must still be found after it.

package level3

import (
	"net/http"
	"strings"
)

// CacheName is the cache's name in the Cache-Status response field.
const CacheName = "level3"

// FromCache reports whether the body of resp came from the Client's cache:
// the server answered 304 Not Modified to the revalidation, and the stored
// body stands in for it. The Client says so in an RFC 9211 Cache-Status
// field, "level3; fwd=stale; fwd-status=304", which FromCache reads.
func FromCache(resp *http.Response) bool {
	if resp == nil {
		return false
	}
	m, ok := lastCacheStatus(resp.Header.Values("Cache-Status"), CacheName)
	return ok && (m["hit"] == "?1" || m["fwd-status"] == "304")
}

// addCacheStatus appends this cache's member to the Cache-Status field (RFC
// 9211 §2: each cache adds its member after those of the caches nearer the
// origin).
func addCacheStatus(h http.Header, params string) {
	h.Add("Cache-Status", CacheName+"; "+params)
}

// lastCacheStatus finds the last member of a Cache-Status field (RFC 9211,
// an RFC 8941 list) whose cache is named name, and returns its parameters,
// a boolean parameter given without a value as "?1". Quoted strings are
// unescaped; malformed members are skipped.
func lastCacheStatus(values []string, name string) (map[string]string, bool) {
	var found map[string]string
	ok := false
	for _, v := range values {
		for _, member := range splitOutsideQuotes(v, ',') {
			parts := splitOutsideQuotes(member, ';')
			if len(parts) == 0 || unquoteSF(strings.TrimSpace(parts[0])) != name {
				continue
			}
			params := make(map[string]string, len(parts)-1)
			for _, p := range parts[1:] {
				k, val, hasVal := strings.Cut(strings.TrimSpace(p), "=")
				if k == "" {
					continue
				}
				if !hasVal {
					val = "?1"
				}
				params[strings.ToLower(k)] = unquoteSF(strings.TrimSpace(val))
			}
			found, ok = params, true
		}
	}
	return found, ok
}

// splitOutsideQuotes splits s at each sep that is not inside a quoted string
// (with backslash escapes), dropping empty elements.
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			if part := strings.TrimSpace(s[start:i]); part != "" {
				out = append(out, part)
			}
			start = i + 1
		}
	}
	if part := strings.TrimSpace(s[min(start, len(s)):]); part != "" {
		out = append(out, part)
	}
	return out
}

// unquoteSF returns the content of an RFC 8941 string ("..." with \" and \\
// escapes), or s itself when it is not quoted.
func unquoteSF(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		if s[i] == '\\' && i+1 < len(s)-1 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
