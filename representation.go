// This file holds how the Representation mixin's preference is sent:
// RequestOptions.Return (request_options.go) becomes prefer:
// return=representation or return=minimal (RFC 7240 §4.2) through
// setPreference, which keeps the caller's other preferences. Reading the
// answers (200 with a body instead of 204, content-location instead of
// location, a body instead of a 303) is done by readResult in change.go, and
// by Trigger (action.go) and Lookup (lookup.go). The general Prefer grammar
// used by the Async mixin is in prefer.go.

package level3

import (
	"net/http"
	"strings"
)

// setPreference adds the preference name=value to the prefer field of h,
// replacing an earlier preference of the same name and keeping the others
// (such as respond-async). Preference names are case-insensitive (RFC 7240
// §2); a quoted value containing a comma is not split.
func setPreference(h http.Header, name, value string) {
	var kept []string
	for _, v := range h.Values("Prefer") {
		for _, p := range splitPreferences(v) {
			pn, _, _ := strings.Cut(p, "=")
			if pn, _, _ = strings.Cut(pn, ";"); !strings.EqualFold(strings.TrimSpace(pn), name) {
				kept = append(kept, p)
			}
		}
	}
	kept = append(kept, name+"="+value)
	h.Set("Prefer", strings.Join(kept, ", "))
}

// splitPreferences splits one prefer field value at the commas that are not
// inside a quoted-string, trimming blanks and dropping empty elements, and
// the malformed last element whose quoted-string never ends (kept, it would
// swallow whatever is appended after it).
func splitPreferences(v string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i <= len(v); i++ {
		if i < len(v) {
			switch c := v[i]; {
			case c == '\\' && quoted:
				i++
				continue
			case c == '"':
				quoted = !quoted
				continue
			case c != ',' || quoted:
				continue
			}
		}
		if p := strings.TrimSpace(v[start:min(i, len(v))]); p != "" && !quoted {
			out = append(out, p)
		}
		start = i + 1
	}
	return out
}
