package level3

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// entryLine returns one journal line for file.
func entryLine(t testing.TB, file string, size int64) string {
	b, err := json.Marshal(journalEntry{Kind: journalKind, Version: journalVersion, Target: "http://h/up", File: file, Size: size, ModTime: 7, Status: 201})
	require.NoError(t, err)
	return string(b) + "\n"
}

func TestParseJournal(t *testing.T) {
	a, b := entryLine(t, "/a", 1), entryLine(t, "/b", 2)
	key := func(f string, size int64) journalKey {
		return journalKey{target: "http://h/up", file: f, size: size, mtime: 7}
	}
	for _, c := range []struct {
		name  string
		in    string
		want  []journalKey
		keep  int
		error string
	}{
		{"empty", "", nil, 0, ""},
		{"two", a + b, []journalKey{key("/a", 1), key("/b", 2)}, len(a + b), ""},
		{"blank lines", "\n" + a + "  \n" + b, []journalKey{key("/a", 1), key("/b", 2)}, len(a+b) + 4, ""},
		{"cut short", a + b[:20], []journalKey{key("/a", 1)}, len(a), ""},
		{"last entry without newline", a + strings.TrimSuffix(b, "\n"), []journalKey{key("/a", 1)}, len(a), ""},
		{"CRLF", strings.ReplaceAll(a, "\n", "\r\n"), []journalKey{key("/a", 1)}, len(a) + 1, ""},
		{"foreign file", "hello\n" + a, nil, 0, "not a level3 upload journal"},
		{"garbage in the middle", a + "{}\n" + b, nil, 0, "line 2"},
		{"other kind", strings.Replace(a, journalKind, "other", 1), nil, 0, "not a level3"},
		{"newer version", strings.Replace(a, `"version":1`, `"version":2`, 1), nil, 0, "version 2"},
		{"too long", strings.Repeat("x", maxJournalLine+10) + "\n", nil, 0, "not a level3"},
		{"too long at the end", a + strings.Repeat("x", maxJournalLine+10), []journalKey{key("/a", 1)}, len(a), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			done, keep, err := parseJournal(strings.NewReader(c.in))
			if c.error != "" {
				assert.ErrorContains(t, err, c.error)
				return
			}
			require.NoError(t, err)
			assert.Len(t, done, len(c.want))
			for _, k := range c.want {
				assert.Contains(t, done, k)
			}
			assert.EqualValues(t, c.keep, keep)
		})
	}
}

func TestJournalRecordsAndCutsABrokenLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	require.NoError(t, os.WriteFile(path, []byte(entryLine(t, "/a", 1)+`{"kind":"lev`), 0o644))
	j, err := openJournal(path)
	require.NoError(t, err)
	k := journalKey{target: "http://h/up", file: "/b", size: 2, mtime: 9}
	assert.False(t, j.has(k))
	require.NoError(t, j.record(k, FileResult{URL: "http://h/up", Status: 201, Location: "http://h/up/1", ETag: `"e"`}))
	assert.True(t, j.has(k))
	require.NoError(t, j.close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	require.Len(t, lines, 2)
	var e journalEntry
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &e))
	assert.Equal(t, "/b", e.File)
	assert.Equal(t, `"e"`, e.ETag)
	assert.False(t, e.Time.IsZero())
}

func FuzzParseJournal(f *testing.F) {
	f.Add(entryLine(f, "/a", 1) + entryLine(f, "/b", 2))
	f.Add(entryLine(f, "/a", 1) + `{"kind":"level3.upload","ver`)
	f.Add("\n\n\r\n")
	f.Add(`{"kind":"level3.upload","version":1,"target":"t","file":"f","size":-1,"mtime_ns":1e30}` + "\n")
	f.Fuzz(func(t *testing.T, in string) {
		done, keep, err := parseJournal(strings.NewReader(in))
		if err != nil {
			return
		}
		if keep < 0 || keep > int64(len(in)) {
			t.Fatalf("keep %d out of range for %d bytes", keep, len(in))
		}
		if keep > 0 && in[keep-1] != '\n' {
			t.Fatalf("keep %d does not end a line", keep)
		}
		// What is kept parses to the same entries, and is complete.
		again, keep2, err := parseJournal(bytes.NewReader([]byte(in[:keep])))
		if err != nil || keep2 != keep {
			t.Fatalf("the kept part does not parse alike: %v, keep %d then %d", err, keep, keep2)
		}
		if len(again) != len(done) {
			t.Fatalf("%d entries, %d in the kept part", len(done), len(again))
		}
		for k := range again {
			if _, ok := done[k]; !ok {
				t.Fatalf("entry %v only in the kept part", k)
			}
		}
	})
}
