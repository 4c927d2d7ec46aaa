// This file holds Set, the lenient way to put one preference into a Prefer
// field that the caller may have filled with anything: unlike Merge
// (prefer.go), which refuses a malformed field, it keeps what it cannot
// parse, so that asking for return=minimal never fails a request.

package prefer

import (
	"net/http"
	"strings"
)

// Set adds the preference name=value to the prefer field of h, replacing
// every earlier preference of that name and keeping the others (such as
// respond-async) as they were written. Names are case-insensitive (RFC 7240
// §2); a quoted value containing a comma is not split; blank elements are
// dropped, and so is a last element whose quoted string never ends (kept, it
// would swallow what is appended after it).
func Set(h http.Header, name, value string) {
	var kept []string
	for _, v := range h.Values("Prefer") {
		for _, p := range elements(v) {
			pn, _, _ := strings.Cut(p, "=")
			if pn, _, _ = strings.Cut(pn, ";"); !strings.EqualFold(strings.TrimSpace(pn), name) {
				kept = append(kept, p)
			}
		}
	}
	kept = append(kept, name+"="+value)
	h.Set("Prefer", strings.Join(kept, ", "))
}

// elements splits one prefer field value into its elements, leniently: at
// the commas outside quoted strings, trimmed, without blank elements or an
// unterminated last one.
func elements(v string) []string {
	var out []string
	for _, p := range splitQuoted(v, ',') {
		p = strings.TrimSpace(p)
		if p == "" || unterminated(p) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// unterminated reports whether p, one element, opens a quoted string that
// it does not close.
func unterminated(p string) bool {
	quoted := false
	for i := 0; i < len(p); i++ {
		switch {
		case quoted && p[i] == '\\':
			i++
		case p[i] == '"':
			quoted = !quoted
		}
	}
	return quoted
}
