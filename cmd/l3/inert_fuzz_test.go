package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInert(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "",
		"plain text, ünïcödé ✓":       "plain text, ünïcödé ✓",
		"a\x1b[2Jb":                   `a\x1b[2Jb`,
		"tab\tnew\nline\rbell\a":      `tab\x09new\x0aline\x0dbell\x07`,
		"del\x7f":                     `del\x7f`,
		"c1 \u009b31m \u0085":         `c1 \u009b31m \u0085`,
		"raw \x9b byte, cut \xe2\x80": `raw \x9b byte, cut \xe2\x80`,
		"bidi \u202eexe.txt\u202c":    `bidi \u202eexe.txt\u202c`,
		"isolates \u2066\u2067\u2068\u2069 marks \u200e\u200f zw \u200b\ufeff": `isolates \u2066\u2067\u2068\u2069 marks \u200e\u200f zw \u200b\ufeff`,
		"sep \u2028\u2029": `sep \u2028\u2029`,
		"tag \U000e0041":   `tag \U000e0041`,
	} {
		assert.Equal(t, want, inert(in), "%q", in)
	}
	assert.Equal(t, "one\ntwo \\x1b[2J\nthree\\x0d", inertLines("one\ntwo \x1b[2J\nthree\r"))
}

func TestInertJSON(t *testing.T) {
	v := map[string]string{"t": "a\x1b\u009b\u202e\x7f\U000e0041\u2028\xff"}
	b, err := json.Marshal(v)
	require.NoError(t, err)
	out := inertJSON(b)
	assert.Equal(t, `{"t":"a\u001b\u009b\u202e\u007f\udb40\udc41\u2028\ufffd"}`, string(out))
	var back map[string]string
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, jsonText(v["t"]), back["t"])

	var buf bytes.Buffer
	require.NoError(t, newJSONEncoder(&buf).Encode(v))
	assert.Equal(t, string(out)+"\n", buf.String())
}

// FuzzInert checks that inert never panics, that its output is valid UTF-8
// holding no unsafe rune, that it is idempotent and leaves safe text alone;
// and that inertJSON keeps any string's JSON decodable to the same value
// while removing every unsafe rune but the encoder's own line breaks.
func FuzzInert(f *testing.F) {
	for _, s := range []string{"", "plain", "a\x1b[2Jb", "\u009b\x9b\u202e\r", "\xe2\x80", "\U000e0041\u2028", hostile, hostileHeader} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := inert(s)
		if !utf8.ValidString(out) {
			t.Fatalf("inert(%q) = %q: not UTF-8", s, out)
		}
		for _, r := range out {
			if unsafeRune(r) {
				t.Fatalf("inert(%q) = %q: holds %U", s, out, r)
			}
		}
		if rawControls(out) != 0 {
			t.Fatalf("inert(%q) = %q: the test's own list finds control characters", s, out)
		}
		if again := inert(out); again != out {
			t.Fatalf("inert is not idempotent on %q: %q then %q", s, out, again)
		}
		if firstUnsafe(s) < 0 && out != s {
			t.Fatalf("inert(%q) changed safe text to %q", s, out)
		}
		if lines := inertLines(s); strings.Count(lines, "\n") != strings.Count(s, "\n") || rawControls(lines) != 0 {
			t.Fatalf("inertLines(%q) = %q", s, lines)
		}

		b, err := json.Marshal(map[string]string{"s": s})
		if err != nil {
			t.Fatal(err)
		}
		j := inertJSON(b)
		if rawControls(string(j)) != 0 {
			t.Fatalf("inertJSON(%s) = %s: holds control characters", b, j)
		}
		var back map[string]string
		if err := json.Unmarshal(j, &back); err != nil {
			t.Fatalf("inertJSON(%s) = %s: %v", b, j, err)
		}
		if want := jsonText(s); back["s"] != want {
			t.Fatalf("inertJSON changed the value: %q, want %q", back["s"], want)
		}
	})
}

// jsonText returns s as encoding/json carries it: each byte that is not
// UTF-8 replaced by U+FFFD.
func jsonText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
