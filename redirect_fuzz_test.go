package level3

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/l3go/level3/redirects"
)

// FuzzCacheLifetime feeds arbitrary Cache-Control values to the parser that
// decides whether a 308 is remembered: it must never panic, and a redirect
// it allows is remembered for a non-negative time within the RFC's bound.
func FuzzCacheLifetime(f *testing.F) {
	for _, s := range []string{"max-age=60", `no-cache="a, b", max-age=5`, `x="\"`, "max-age=0", "no-store", ",,=,", `max-age="9"`} {
		f.Add(s, "")
	}
	f.Add("public", "max-age=3")
	f.Fuzz(func(t *testing.T, a, b string) {
		ok, ttl := cacheLifetime(http.Header{"Cache-Control": {a, b}})
		if !ok && ttl != 0 {
			t.Fatalf("not remembered, yet ttl %v", ttl)
		}
		if ttl < 0 || ttl > maxDeltaSeconds*time.Second {
			t.Fatalf("ttl %v out of range", ttl)
		}
	})
}

// FuzzRedirectBehavior feeds arbitrary Location values and statuses to the
// redirect decision: it must never panic, and whatever it follows must be an
// absolute http(s) URL that a later request and the memory can use.
func FuzzRedirectBehavior(f *testing.F) {
	for _, s := range []string{"/y", "http://b:8080/x", "https://a/x#f", "//b/x", "http://[::1", "ftp://x", "../../..", "?q", "http://u:p@a/x", "\x00"} {
		f.Add(308, s, "https://a/dir/x")
	}
	f.Add(303, "/y", "http://a/")
	f.Fuzz(func(t *testing.T, status int, location, from string) {
		fu, err := url.Parse(from)
		if err != nil || redirects.Key(fu) == "" {
			return
		}
		p := RedirectPolicy{}
		d := redirectBehavior(&p, http.MethodPost, fu, replayableBody, status, http.Header{"Location": {location}}, nil, time.Now())
		if d.kind == hopNone {
			if d.err != nil {
				t.Fatalf("an answer with an error: %v", d.err)
			}
			return
		}
		if d.err == ErrBadLocation {
			return
		}
		if d.to == nil || redirects.Key(d.to) == "" || d.to.Fragment != "" {
			t.Fatalf("followed to %v", d.to)
		}
		if d.err == nil && d.method != http.MethodPost && d.method != http.MethodGet {
			t.Fatalf("method %q", d.method)
		}
	})
}
