// This file holds Store, Entry and Key; memory.go holds the LRU, file.go the
// file-backed store, and doc.go the package documentation.

package redirects

import (
	"net/url"
	"strings"
	"time"

	"github.com/l3go/level3/internal/redact"
)

// DefaultSize is how many entries [NewMemory] and [OpenFile] keep when asked
// for size 0: plenty for the aliases of a few APIs, small enough to load in
// well under a millisecond.
const DefaultSize = 1000

// Store remembers permanent redirects. Keys are URLs in the form [Key]
// returns. Implementations must be safe for concurrent use; they may evict
// entries at any time (the Client then simply asks the alias again).
type Store interface {
	// Get returns the entry for key and true, or false when there is none.
	// An error means the store could not be read; the Client then
	// proceeds as if there were no entry.
	Get(key string) (Entry, bool, error)
	// Put records e under e.From, replacing any entry there.
	Put(e Entry) error
	// Delete forgets the entry for key. Deleting a missing key is not an
	// error.
	Delete(key string) error
	// Entries returns every entry, most recently used first, for
	// inspection.
	Entries() ([]Entry, error)
}

// Entry is one remembered permanent redirect.
type Entry struct {
	// From is the key of the URL that answered 308 (see [Key]).
	From string `json:"from"`
	// To is the absolute URL to use instead, without userinfo or fragment.
	To string `json:"to"`
	// Created is when the redirect was learned.
	Created time.Time `json:"created"`
	// Expires is when the entry stops applying, from the max-age of the
	// 308 response's Cache-Control (RFC 9111 §5.2.2.1); zero means never.
	Expires time.Time `json:"expires,omitzero"`
}

// Expired reports whether e no longer applies at now.
func (e Entry) Expired(now time.Time) bool {
	return !e.Expires.IsZero() && !now.Before(e.Expires)
}

// HasCredentials reports whether e carries a credential in From or To:
// userinfo, or a credential-like query or fragment value (token, sig,
// X-Amz-Signature...), as internal/redact hides in error messages, or a URL
// that does not parse. Such an entry cannot be stored redacted (a redacted
// key would never be looked up again), so a Store that writes its entries
// anywhere but the process's memory ([File], the Redis store of l3redis)
// keeps it in memory only.
func (e Entry) HasCredentials() bool {
	for _, raw := range []string{e.From, e.To} {
		u, err := url.Parse(raw)
		if err != nil || redact.Needed(u) {
			return true
		}
	}
	return false
}

// Key returns the memory key of u: scheme and host in lower case, the port
// always explicit, then the path (at least "/") and query as sent on the
// wire. Userinfo and fragment are left out: the first is a credential that
// must never be written to a cache file, the second never reaches a server.
// Because the key starts with the full origin (scheme, host and port), an
// entry for one origin can never be confused with an entry for another.
//
// Key returns "" for a URL that is not an absolute http or https URL with a
// host; such a URL is never remembered.
func Key(u *url.URL) string {
	if u == nil || u.Opaque != "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Hostname() == "" {
		return ""
	}
	// Build from u.Host, which keeps the brackets of an IPv6 literal; a
	// colon outside brackets ("http://::") is no host at all.
	host := strings.ToLower(u.Host)
	if strings.Contains(u.Hostname(), ":") && !strings.HasPrefix(host, "[") {
		return ""
	}
	port := ""
	if u.Port() == "" {
		host = strings.TrimSuffix(host, ":")
		port = defaultPort(scheme)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	b.Grow(len(scheme) + len(host) + len(port) + len(path) + len(u.RawQuery) + 6)
	if strings.ContainsRune(host, '%') {
		// url.URL escapes an IPv6 zone's "%" as "%25", so the key
		// parses back to the same key.
		b.WriteString((&url.URL{Scheme: scheme, Host: host}).String())
	} else {
		b.WriteString(scheme)
		b.WriteString("://")
		b.WriteString(host)
	}
	if port != "" {
		b.WriteByte(':')
		b.WriteString(port)
	}
	b.WriteString(path)
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteByte('?')
		b.WriteString(u.RawQuery)
	}
	return b.String()
}

// defaultPort returns the port of scheme, http or https.
func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}
