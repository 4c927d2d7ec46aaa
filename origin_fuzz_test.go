package level3

import (
	"net/url"
	"testing"
)

func FuzzSameOrigin(f *testing.F) {
	f.Add("http://a/x", "http://A:80/y")
	f.Add("https://a:443", "http://a:443")
	f.Add("http://[::1]:8080/", "http://[::1]:8080/x")
	f.Add("http://a:/", "http://a")
	f.Fuzz(func(t *testing.T, x, y string) {
		a, err1 := url.Parse(x)
		b, err2 := url.Parse(y)
		if err1 != nil || err2 != nil {
			return
		}
		if got, want := sameOrigin(a, b), origin(a) == origin(b); got != want {
			t.Fatalf("sameOrigin(%q, %q) = %v, origin() says %v", x, y, got, want)
		}
	})
}

// FuzzParseOrigin: whatever WithCredentialOrigins accepts is an origin in
// canonical form, which it accepts again unchanged, and which permits
// exactly the URLs on that origin.
func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{"https://api.example", "HTTP://A:80/", "http://[::1]:8080", "https://a.example:x",
		"http://a/%2e", "http://u@a", "http://a?", "http://a#", "http://*.a", "http://a:99999"} {
		f.Add(s, "http://a/x")
	}
	f.Fuzz(func(t *testing.T, s, other string) {
		canon, err := parseOrigin(s)
		if err != nil {
			return
		}
		again, err := parseOrigin(canon)
		if err != nil || again != canon {
			t.Fatalf("%q gave %q, which gives %q, %v", s, canon, again, err)
		}
		u, err := url.Parse(other)
		if err != nil {
			return
		}
		p := newCredentialPolicy(nil, map[string]bool{canon: true})
		if got, want := p.permits(callScope{}, u), origin(u) == canon; got != want {
			t.Fatalf("allowed %q: permits(%q) = %v", canon, other, got)
		}
	})
}
