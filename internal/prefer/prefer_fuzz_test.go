package prefer

import (
	"testing"
)

// FuzzParse checks that any header value parses without panic,
// and that what parsed formats back to a value that parses the same.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"respond-async, wait=10", `return="representation"; p=1`, `a="\"", b`, ", ,", `x=""; y`,
		"wait = 5 ; q", `a="unterminated`, "é=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, _ := Parse(s)
		for _, p := range ps {
			if err := p.Valid(); err != nil {
				t.Fatalf("parsed %q into an unsendable preference %+v: %v", s, p, err)
			}
		}
		again, err := Parse(ps.String())
		if err != nil {
			t.Fatalf("%q formatted as %q, which does not parse: %v", s, ps.String(), err)
		}
		if len(again) != len(ps) {
			t.Fatalf("%q: %d preferences, %d after a round trip through %q", s, len(ps), len(again), ps.String())
		}
		for i := range ps {
			if again[i].String() != ps[i].String() {
				t.Fatalf("%q: %q became %q", s, ps[i].String(), again[i].String())
			}
		}
	})
}
