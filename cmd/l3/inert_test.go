package main

// Tests that what l3 prints is inert (inert.go): a hostile server puts
// terminal escapes, OSC 8 hyperlinks, C1 CSI, bidi overrides and lone
// carriage returns in problem details, link titles and targets, header
// values, a content-disposition file name and a status line, and the built
// binary must print none of them raw, in tables, messages or --json.

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/liar"
)

// The hostile text: clear the screen, a hyperlink (OSC 8) whose label hides
// its target, C1 CSI (U+009B, and below as a raw byte), a right-to-left
// override that flips "exe.txt" into view as "txt.exe", and a lone carriage
// return that lets the rest overwrite the line.
const (
	escClear = "\x1b[2J"
	osc8     = "\x1b]8;;https://evil.example/\x1b\\safe link\x1b]8;;\x1b\\"
	c1CSI    = "\u009b31m"
	rlo      = "\u202e"
	hostile  = "A" + escClear + osc8 + c1CSI + rlo + "exe.txt" + "\rZ"
	// hostileHeader is what a header value can carry raw through net/http,
	// which refuses other control bytes: obs-text, here a raw 0x9b byte and
	// the UTF-8 of U+202E and U+2066.
	hostileHeader = "B\x9b31m" + rlo + "\u2066exe.txt"
)

// rawControls counts, in out, the runes and bytes that must never be
// printed raw: C0 controls other than the CLI's own line breaks, DEL, C1
// controls, bytes that are not UTF-8, and the invisible format characters
// of bidi and zero width. It is this test's own list, apart from inert.go's.
func rawControls(out string) int {
	n := 0
	for i := 0; i < len(out); {
		r, size := utf8.DecodeRuneInString(out[i:])
		switch {
		case r == utf8.RuneError && size == 1,
			r < 0x20 && r != '\n', r == 0x7f, 0x80 <= r && r <= 0x9f,
			r == 0x061c, 0x200b <= r && r <= 0x200f, 0x2028 <= r && r <= 0x202e,
			0x2060 <= r && r <= 0x2069, r == 0xfeff:
			n++
		}
		i += size
	}
	return n
}

// hostileServer serves every place l3 prints server text from.
func hostileServer(t *testing.T) string {
	t.Helper()
	problem, err := json.Marshal(map[string]any{"type": "about:blank", "title": hostile, "detail": "detail " + hostile, "status": 409})
	require.NoError(t, err)
	entry := "https://level3.rest/patterns/list#list-entry"
	links := []string{
		fmt.Sprintf(`</e1>; rel="%s"; title*=UTF-8''%s`, entry, extValue(hostile)),
		fmt.Sprintf(`</e2%s>; rel="%s"; title="%s"`, rlo, entry, hostileHeader),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		switch r.URL.Path {
		case "/problem":
			h.Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write(problem)
		case "/res":
			h["Link"] = links
			h.Set("Profile", "<https://level3.rest/profiles/info>")
			h.Set("Etag", `"`+hostileHeader+`"`)
			h.Set("Content-Type", "text/plain; x="+hostileHeader)
			h.Set("Accept-Ranges", hostileHeader)
		case "/file":
			h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+extValue(hostile+".bin"))
			h.Set("Etag", `"`+hostileHeader+`"`)
			_, _ = io.WriteString(w, "content")
		case "/put":
			_, _ = io.Copy(io.Discard, r.Body)
			h.Set("Etag", `"`+hostileHeader+`"`)
			h.Set("Location", "/new"+rlo+hostileHeader)
			w.WriteHeader(http.StatusCreated)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// extValue percent-encodes s as the value-chars of an RFC 8187 ext-value
// (section 3.2.1: attr-char is kept, every other byte encoded).
func extValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// hostileStatusLine serves, at the TCP level, a response whose reason
// phrase holds terminal escapes (net/http passes it through as
// resp.Status), with a hostile Cache-Status.
func hostileStatusLine(t *testing.T) string {
	t.Helper()
	return liar.Raw(t, func(conn net.Conn) {
		buf := make([]byte, 4096)
		if _, err := conn.Read(buf); err != nil {
			return
		}
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK"+escClear+osc8+c1CSI+rlo+"\r\n"+
			"Etag: \""+hostileHeader+"\"\r\nCache-Status: "+hostileHeader+"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	}).URL + "/file.bin"
}

func TestBinaryOutputIsInert(t *testing.T) {
	base := hostileServer(t)
	raw := hostileStatusLine(t)
	dir := t.TempDir()
	body := filepath.Join(dir, "body.txt")
	require.NoError(t, os.WriteFile(body, []byte("hello"), 0o600))

	cases := []struct {
		name string
		args []string
		code int
	}{
		{"problem details in an error", []string{"get", base + "/problem"}, exitFailed},
		{"problem details in -v logs", []string{"get", "-v", base + "/problem"}, exitFailed},
		{"discover table", []string{"discover", base + "/res"}, exitOK},
		{"discover json", []string{"discover", base + "/res", "--json"}, exitOK},
		{"list", []string{"list", base + "/res"}, exitOK},
		{"download file name", []string{"download", base + "/file", "-o", filepath.Join(dir, "dl") + string(filepath.Separator)}, exitOK},
		{"download json", []string{"download", base + "/file", "-o", filepath.Join(dir, "dl2") + string(filepath.Separator), "--json"}, exitOK},
		{"send outcome", []string{"send", "PUT", base + "/put", body}, exitOK},
		{"send json", []string{"send", "PUT", base + "/put", body, "--json"}, exitOK},
		{"put", []string{"put", base + "/put", body, "--no-preflight"}, exitOK},
		{"put json", []string{"put", base + "/put", body, "--no-preflight", "--json"}, exitOK},
		{"status line", []string{"get", "-v", raw}, exitOK},
	}
	total := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if strings.HasPrefix(tc.name, "download") {
				require.NoError(t, os.MkdirAll(tc.args[3], 0o700))
			}
			code, stdout, stderr := runBinary(t, time.Minute, tc.args...)
			assert.Equal(t, tc.code, code, "stdout: %q\nstderr: %q", stdout, stderr)
			n := rawControls(stdout) + rawControls(stderr)
			total += n
			assert.Zero(t, n, "raw control characters printed\nstdout: %q\nstderr: %q", stdout, stderr)
		})
	}
	t.Logf("raw control characters printed over %d commands: %d", len(cases), total)
}

// TestBinaryInertOutputKeepsTheText checks that inert output still shows
// what the server said, escaped, and that --json still carries the exact
// strings.
func TestBinaryInertOutputKeepsTheText(t *testing.T) {
	base := hostileServer(t)

	_, _, stderr := runBinary(t, time.Minute, "get", base+"/problem")
	assert.Contains(t, stderr, `A\x1b[2J\x1b]8;;https://evil.example/\x1b\safe link`)
	assert.Contains(t, stderr, `\u009b31m\u202eexe.txt\x0dZ`)

	code, stdout, _ := runBinary(t, time.Minute, "discover", base+"/res", "--json")
	require.Equal(t, exitOK, code)
	var res discoverJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	require.Len(t, res.Links, 2)
	assert.Equal(t, hostile, res.Links[0].Title, "JSON escapes keep the exact text")
	assert.Equal(t, strings.ToValidUTF8(`"`+hostileHeader+`"`, "\uFFFD"), res.ETag)
}
