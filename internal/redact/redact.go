// Package redact removes credentials from URLs before they are shown (error
// messages, logs, the l3 command's output) or stored (upload journals,
// redirect memories). It is the one place that knows what a credential in a
// URL looks like; level3's errors.go, journal.go and package redirects call
// it.
package redact

import (
	"net/url"
	"strings"
)

// Mask replaces every value that is hidden.
const Mask = "xxxxx"

// sensitive lists the substrings that make a query (or fragment) parameter
// name credential-like, compared in lower case: "token" covers
// access_token, id_token and X-Amz-Security-Token, "signature" covers
// X-Amz-Signature and X-Goog-Signature, "credential" X-Amz-Credential and
// X-Goog-Credential, "key" api_key and apikey, "sig" the signature of an
// Azure SAS. A name that merely contains one of them (keyword) is hidden
// too: hiding a harmless value costs less than showing a secret.
var sensitive = []string{
	"token", "key", "secret", "password", "passwd", "pwd", "signature", "sig",
	"auth", "credential", "session", "jwt", "bearer", "ticket", "hmac",
	"assertion", "saml",
}

// SensitiveName reports whether a query parameter called name holds a
// credential, by the list above.
func SensitiveName(name string) bool {
	lower := strings.ToLower(name)
	for _, s := range sensitive {
		if strings.Contains(lower, s) {
			return true
		}
	}
	return false
}

// URL returns u as a string with its credentials replaced by [Mask]:
//
//   - userinfo: the password, or the user name when there is no password
//     (https://TOKEN@host is how some services take a token);
//   - the value of every query parameter whose name is credential-like (see
//     [SensitiveName]), and the whole query when it cannot be parsed;
//   - the same in a fragment shaped like a query (#access_token=...), as
//     OAuth's implicit flow sends tokens.
//
// The rest of u is kept, so the result still says where a request went. A
// nil u gives "".
func URL(u *url.URL) string {
	s, _ := redact(u)
	return s
}

// String is [URL] for a URL in text form; text that does not parse as a URL
// gives "(unparsable URL)", since nothing of it can be shown safely.
func String(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return URL(u)
}

// Needed reports whether [URL] hides anything in u: a URL for which it is
// true holds (or may hold) a credential, and must not be written where
// others can read it.
func Needed(u *url.URL) bool {
	_, hidden := redact(u)
	return hidden
}

// redact returns URL(u) and whether anything was hidden.
func redact(u *url.URL) (string, bool) {
	if u == nil {
		return "", false
	}
	c := *u
	hidden := false
	if c.User != nil {
		hidden = true
		if _, ok := c.User.Password(); !ok {
			c.User = url.User(Mask)
		} // else Redacted masks the password
	}
	if q, ok := cleanQuery(c.RawQuery); ok {
		c.RawQuery, hidden = q, true
	}
	frag := ""
	if c.Fragment != "" || c.RawFragment != "" {
		raw := c.EscapedFragment()
		if strings.Contains(raw, "=") {
			if f, ok := cleanQuery(raw); ok {
				raw, hidden = f, true
			}
		}
		frag = "#" + raw
		c.Fragment, c.RawFragment = "", ""
	}
	if !hidden {
		return u.String(), false
	}
	return c.Redacted() + frag, true
}

// cleanQuery masks the credential-like values of a query string (or a
// fragment shaped like one) and reports whether it changed anything. A query
// that does not parse is masked whole.
func cleanQuery(raw string) (string, bool) {
	if raw == "" {
		return raw, false
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return Mask, true
	}
	changed := false
	for name, vals := range q {
		if SensitiveName(name) {
			for i := range vals {
				vals[i] = Mask
			}
			changed = true
		}
	}
	if !changed {
		return raw, false
	}
	return q.Encode(), true
}
