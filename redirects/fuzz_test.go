package redirects

import (
	"net/url"
	"testing"
)

// FuzzDecodeFile feeds arbitrary bytes to the file decoder: it must never
// panic, keep only well-formed entries, and read back what it writes.
func FuzzDecodeFile(f *testing.F) {
	f.Add([]byte(`{"kind":"level3.redirects","version":1,"entries":[{"from":"http://a:80/x","to":"http://a/y","created":"2026-11-25T10:00:00Z"}]}`))
	f.Add([]byte(`{"kind":"level3.redirects","version":1,"entries":[{"from":"http://a:80/x","to":"http://a/y","expires":"2026-11-25T10:00:00+02:00"}]}`))
	f.Add([]byte(`{"kind":"level3.redirects","version":1,"entries":null}`))
	f.Add([]byte(`{"kind":"level3.redirects","version":2}`))
	f.Add([]byte(" \n"))
	f.Add([]byte(`[`))
	f.Add([]byte(`{"kind":"level3.redirects","version":1,"entries":[{"from":"http://a:80/x?token=t","to":"http://a/y"},{"from":"http://a:80/z","to":"http://a/y?X-Amz-Signature=s"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, _, err := decodeFile(data)
		if err != nil {
			return
		}
		for _, e := range entries {
			if !wellFormed(e) {
				t.Fatalf("kept a malformed entry %+v", e)
			}
			if e.HasCredentials() {
				t.Fatalf("kept an entry with credentials %+v", e)
			}
		}
		out, err := encodeFile(entries)
		if err != nil {
			t.Fatalf("encoding what was decoded: %v", err)
		}
		again, _, err := decodeFile(out)
		if err != nil {
			t.Fatalf("decoding what was encoded: %v\n%s", err, out)
		}
		if len(again) != len(entries) {
			t.Fatalf("round trip kept %d of %d entries", len(again), len(entries))
		}
		for i := range again {
			if again[i].From != entries[i].From || again[i].To != entries[i].To ||
				!again[i].Created.Equal(entries[i].Created) || !again[i].Expires.Equal(entries[i].Expires) {
				t.Fatalf("round trip changed %+v into %+v", entries[i], again[i])
			}
		}
	})
}

// FuzzKey checks that Key never panics and is stable: the key of a key is
// itself, so entries written under a key are found again.
func FuzzKey(f *testing.F) {
	for _, s := range []string{"http://a/x", "HTTPS://A:443/x?y#z", "http://u:p@[::1]:80/%41", "http://a", "mailto:x", "//a/b", "http://a/x?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		k := Key(u)
		if k == "" {
			return
		}
		ku, err := url.Parse(k)
		if err != nil {
			t.Fatalf("Key(%q) = %q does not parse: %v", raw, k, err)
		}
		if k2 := Key(ku); k2 != k {
			t.Fatalf("Key(%q) = %q, but Key of that = %q", raw, k, k2)
		}
	})
}
