package level3

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

func TestParseContentDisposition(t *testing.T) {
	for _, tc := range []struct {
		in, typ, name string
	}{
		{`attachment; filename="report.csv"`, "attachment", "report.csv"},
		{`attachment; filename=report.csv`, "attachment", "report.csv"},
		{`INLINE; FILENAME="a.txt"`, "inline", "a.txt"},
		{`attachment; filename="EURO rates"; filename*=utf-8''%e2%82%ac%20rates`, "attachment", "€ rates"},
		{`attachment; filename*=UTF-8''caf%C3%A9.txt; filename="cafe.txt"`, "attachment", "café.txt"},
		{`attachment; filename*=iso-8859-1'en'%A3%20rates`, "attachment", "£ rates"},
		{`attachment; filename*=utf-8''bad%ZZ; filename="fallback.txt"`, "attachment", "fallback.txt"},
		{`attachment; filename*=unknown''x; filename="fallback.txt"`, "attachment", "fallback.txt"},
		{`attachment; filename*="UTF-8''quoted.txt"`, "attachment", "quoted.txt"},
		{`attachment; filename="semi;colon.txt"; size=3`, "attachment", "semi;colon.txt"},
		{`attachment; filename="esc\"aped.txt"`, "attachment", `esc"aped.txt`},
		{`attachment; filename="first.txt"; filename="second.txt"`, "attachment", "first.txt"},
		{`attachment; filename=with spaces.txt`, "attachment", "with spaces.txt"},
		{`filename="no-type.txt"`, "", "no-type.txt"},
		{`attachment; filename="caf` + "\xe9" + `.txt"`, "attachment", "café.txt"},
		{`attachment`, "attachment", ""},
		{``, "", ""},
		{`attachment; filename="unterminated`, "attachment", "unterminated"},
		{`;;;=;"`, "", ""},
	} {
		typ, name := parseContentDisposition(tc.in)
		assert.Equal(t, tc.typ, typ, "%q", tc.in)
		assert.Equal(t, tc.name, name, "%q", tc.in)
	}
}

// hostileNames are file names a hostile or careless server may suggest,
// with what safeFileName makes of them ("" means: fall back to the URL).
var hostileNames = []struct{ in, want string }{
	{"../../etc/passwd", "passwd"},
	{"..", ""},
	{".", ""},
	{"../", ""},
	{"/etc/shadow", "shadow"},
	{`C:\Windows\System32\drivers\etc\hosts`, "hosts"},
	{`..\..\boot.ini`, "boot.ini"},
	{"C:evil.exe", "C_evil.exe"},
	{"\\\\server\\share\\x.txt", "x.txt"},
	{"a\x00b.txt", "a_b.txt"},
	{"line\r\nbreak.txt", "line__break.txt"},
	{"tab\there.txt", "tab_here.txt"},
	{"bell\x07\x1b[31m.txt", "bell__[31m.txt"},
	{"del\x7f.txt", "del_.txt"},
	{"CON", "_CON"},
	{"nul.txt", "_nul.txt"},
	{"Com1.log", "_Com1.log"},
	{"LPT9", "_LPT9"},
	{"aux .txt", "_aux .txt"},
	{"CONSOLE.txt", "CONSOLE.txt"},
	{"trailing dots...", "trailing dots"},
	{"trailing space.txt   ", "trailing space.txt"},
	{"   ", ""},
	{"", ""},
	{".bashrc", "bashrc"},
	{"...hidden", "hidden"},
	{"evil\u202etxt.exe", "evil_txt.exe"},
	{"zero\u200bwidth.txt", "zero_width.txt"},
	{"bom\ufeff.txt", "bom_.txt"},
	{"full\uff0fwidth\uff3cslash.txt", "full_width_slash.txt"},
	{"division\u2215slash.txt", "division_slash.txt"},
	{"what?.txt", "what_.txt"},
	{`pipe|star*quote"lt<gt>.txt`, "pipe_star_quote_lt_gt_.txt"},
	{"bad\xff\xfeutf8.txt", "bad_utf8.txt"},
	{"café ☕.txt", "café ☕.txt"},
	{"report (1).pdf", "report (1).pdf"},
	{strings.Repeat("a", 300) + ".tar.gz", strings.Repeat("a", maxFileNameBytes-3) + ".gz"},
	{strings.Repeat("é", 200), strings.Repeat("é", maxFileNameBytes/2)},
}

func TestSafeFileNameHostile(t *testing.T) {
	require.GreaterOrEqual(t, len(hostileNames), 20)
	for _, tc := range hostileNames {
		got := safeFileName(tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
		checkSafeName(t, tc.in, got)
	}
}

// checkSafeName fails t if name (from in) could escape a directory or
// surprise its owner.
func checkSafeName(t testing.TB, in, name string) {
	t.Helper()
	if name == "" {
		return
	}
	dir := filepath.Join("base", "dir")
	switch {
	case !utf8.ValidString(name):
		t.Fatalf("%q -> %q: not UTF-8", in, name)
	case len(name) > maxFileNameBytes:
		t.Fatalf("%q -> %q: %d bytes", in, name, len(name))
	case strings.ContainsAny(name, `/\:*?"<>|`) || strings.ContainsRune(name, 0):
		t.Fatalf("%q -> %q: forbidden character", in, name)
	case name[0] == '.' || name[0] == ' ' || strings.HasSuffix(name, ".") || strings.HasSuffix(name, " "):
		t.Fatalf("%q -> %q: leading or trailing dot or space", in, name)
	case reservedWindowsName(name):
		t.Fatalf("%q -> %q: reserved name", in, name)
	case filepath.Dir(filepath.Join(dir, name)) != dir || filepath.IsAbs(name):
		t.Fatalf("%q -> %q: leaves the directory", in, name)
	}
	for _, r := range name {
		if r != ' ' && !unicode.IsPrint(r) || unicode.Is(unicode.Cf, r) {
			t.Fatalf("%q -> %q: contains %U", in, name, r)
		}
	}
}

func TestDownloadFileName(t *testing.T) {
	u := func(s string) *url.URL { v, _ := url.Parse(s); return v }
	cd := func(v string) http.Header { return http.Header{"Content-Disposition": {v}} }
	assert.Equal(t, "r.csv", downloadFileName(cd(`attachment; filename="r.csv"`), u("http://h/files/x.bin")))
	assert.Equal(t, "x.bin", downloadFileName(http.Header{}, u("http://h/files/x.bin?token=1")))
	assert.Equal(t, "x.bin", downloadFileName(cd(`attachment; filename=".."`), u("http://h/files/x.bin")), "unusable name: URL")
	assert.Equal(t, "café.txt", downloadFileName(http.Header{}, u("http://h/caf%C3%A9.txt")))
	assert.Equal(t, "passwd", downloadFileName(http.Header{}, u("http://h/a/..%2F..%2Fetc%2Fpasswd")))
	assert.Equal(t, defaultFileName, downloadFileName(http.Header{}, u("http://h/")))
	assert.Equal(t, defaultFileName, downloadFileName(http.Header{}, u("http://h/%2e%2e")))
	assert.Equal(t, defaultFileName, downloadFileName(http.Header{}, nil))
}

// TestDownloadHostileNames serves every hostile name in content-disposition
// (and in filename*) and downloads into a directory inside a sandbox: the
// file lands in the directory, and nothing else in the sandbox changes.
func TestDownloadHostileNames(t *testing.T) {
	srv := mocks.NewServer(t)
	c, err := New(WithRetry(fastRetry))
	require.NoError(t, err)
	sandbox := t.TempDir()
	dir := filepath.Join(sandbox, "downloads")
	require.NoError(t, os.Mkdir(dir, 0o755))
	// A trap: a symbolic link where a careless client would write.
	require.NoError(t, os.Symlink(filepath.Join(sandbox, "outside.txt"), filepath.Join(dir, "link.txt.part")))

	for i, tc := range hostileNames {
		path := "/f" + strings.Repeat("x", i) + ".bin"
		res := mocks.Content([]byte("content "+tc.in), "application/octet-stream")
		if !utf8.ValidString(tc.in) {
			continue // no header carries it as is; TestSafeFileNameHostile covers it
		}
		value := `attachment; filename="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(tc.in) + `"`
		if i%2 == 1 || strings.ContainsFunc(tc.in, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			value = `attachment; filename*=UTF-8''` + extValue(tc.in)
		}
		res.Header = http.Header{"Content-Disposition": {value}}
		srv.Handle(path, res)
		got, err := c.Download(context.Background(), srv.URL+path, dir+string(filepath.Separator), quick(nil))
		require.NoError(t, err, "%q", tc.in)
		want := tc.want
		if want == "" {
			want = path[1:]
		}
		assert.Equal(t, filepath.Join(dir, want), got.Path, "%q", tc.in)
		data, err := os.ReadFile(got.Path)
		require.NoError(t, err)
		assert.Equal(t, "content "+tc.in, string(data))
	}
	srv.Handle("/link.txt", mocks.Content([]byte("x"), "text/plain"))
	_, err = c.Download(context.Background(), srv.URL+"/link.txt", dir+"/", quick(nil))
	require.Error(t, err, "the planted link leads out of the directory")

	entries, err := os.ReadDir(sandbox)
	require.NoError(t, err)
	require.Len(t, entries, 1, "only the download directory is in the sandbox")
	_, err = os.Lstat(filepath.Join(sandbox, "outside.txt"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, f := range files {
		assert.False(t, strings.HasSuffix(f.Name(), partSuffix+sidecarSuffix), "no sidecar left: %s", f.Name())
	}
}

// extValue percent-encodes s as the value-chars of an RFC 8187 ext-value.
func extValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; linkClass[c]&linkAttrChar != 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// FuzzContentDisposition checks that no header value panics the parser and
// that whatever name it yields, safeFileName makes it safe.
func FuzzContentDisposition(f *testing.F) {
	for _, s := range []string{
		`attachment; filename="report.csv"`,
		`attachment; filename*=UTF-8''caf%C3%A9.txt; filename="cafe.txt"`,
		`attachment; filename="../../etc/passwd"`,
		`attachment; filename*=utf-8''..%2F..%2Fx`,
		`inline; filename="a\"b"; filename*=iso-8859-1'en'%A3`,
		`attachment; filename=CON`,
		`;;"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		_, name := parseContentDisposition(v)
		checkSafeName(t, name, safeFileName(name))
		got := downloadFileName(http.Header{"Content-Disposition": {v}}, nil)
		if got == "" {
			t.Fatalf("%q: empty name", v)
		}
		checkSafeName(t, v, got)
	})
}

// FuzzSafeFileName checks that any name at all, and any URL path, comes
// out safe.
func FuzzSafeFileName(f *testing.F) {
	for _, tc := range hostileNames {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, name string) {
		checkSafeName(t, name, safeFileName(name))
		got := downloadFileName(http.Header{}, &url.URL{Scheme: "http", Host: "h", Path: "/" + name})
		if got == "" {
			t.Fatalf("%q: empty name", name)
		}
		checkSafeName(t, name, got)
	})
}
