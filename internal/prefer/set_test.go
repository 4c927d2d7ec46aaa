package prefer

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSet(t *testing.T) {
	cases := []struct {
		name string
		have []string
		want string
	}{
		{"empty", nil, "return=representation"},
		{"keeps others", []string{"respond-async, wait=5"}, "respond-async, wait=5, return=representation"},
		{"replaces return", []string{"return=minimal", "respond-async"}, "respond-async, return=representation"},
		{"case-insensitive name", []string{"RETURN=minimal;foo=bar"}, "return=representation"},
		{"quoted comma kept whole", []string{`foo="a,b", return=minimal`}, `foo="a,b", return=representation`},
		{"blank elements dropped", []string{" , ,handling=lenient,"}, "handling=lenient, return=representation"},
		{"unterminated last element dropped", []string{`respond-async, foo="a, b`}, "respond-async, return=representation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.have {
				h.Add("Prefer", v)
			}
			Set(h, "return", "representation")
			assert.Equal(t, []string{tc.want}, h.Values("Prefer"))
		})
	}
}

// FuzzSet checks that setting return=... keeps every other preference and
// leaves exactly one return preference, whatever the prefer field held
// before, and never writes a line break.
func FuzzSet(f *testing.F) {
	for _, s := range []string{"", "respond-async, wait=5", `foo="a,b", return=minimal`, `"unbalanced, return=x`, `,,;return`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, before string) {
		if strings.ContainsAny(before, "\r\n\x00") {
			return
		}
		h := http.Header{}
		h.Set("Prefer", before)
		Set(h, "return", "minimal")
		after := elements(h.Get("Prefer"))
		if len(after) == 0 || after[len(after)-1] != "return=minimal" {
			t.Fatalf("%q became %q", before, h.Get("Prefer"))
		}
		for _, p := range after[:len(after)-1] {
			name, _, _ := strings.Cut(p, "=")
			name, _, _ = strings.Cut(name, ";")
			if strings.EqualFold(strings.TrimSpace(name), "return") {
				t.Fatalf("two return preferences in %q", h.Get("Prefer"))
			}
		}
		if strings.ContainsAny(h.Get("Prefer"), "\r\n\x00") {
			t.Fatalf("invalid field %q", h.Get("Prefer"))
		}
	})
}
