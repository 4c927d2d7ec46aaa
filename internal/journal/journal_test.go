package journal

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mustURL parses s.
func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

// entryLine returns one journal line for file.
func entryLine(t testing.TB, file string, size int64) string {
	b, err := json.Marshal(Entry{Kind: Kind, Version: Version, Target: "http://h/up", File: file, Size: size, ModTime: 7, Status: 201})
	require.NoError(t, err)
	return string(b) + "\n"
}

func TestParseJournal(t *testing.T) {
	a, b := entryLine(t, "/a", 1), entryLine(t, "/b", 2)
	key := func(f string, size int64) Key {
		return Key{Target: "http://h/up", File: f, Size: size, ModTime: 7}
	}
	for _, c := range []struct {
		name  string
		in    string
		want  []Key
		keep  int
		error string
	}{
		{"empty", "", nil, 0, ""},
		{"two", a + b, []Key{key("/a", 1), key("/b", 2)}, len(a + b), ""},
		{"blank lines", "\n" + a + "  \n" + b, []Key{key("/a", 1), key("/b", 2)}, len(a+b) + 4, ""},
		{"cut short", a + b[:20], []Key{key("/a", 1)}, len(a), ""},
		{"last entry without newline", a + strings.TrimSuffix(b, "\n"), []Key{key("/a", 1)}, len(a), ""},
		{"CRLF", strings.ReplaceAll(a, "\n", "\r\n"), []Key{key("/a", 1)}, len(a) + 1, ""},
		{"foreign file", "hello\n" + a, nil, 0, "not a level3 upload journal"},
		{"garbage in the middle", a + "{}\n" + b, nil, 0, "line 2"},
		{"other kind", strings.Replace(a, Kind, "other", 1), nil, 0, "not a level3"},
		{"newer version", strings.Replace(a, `"version":1`, `"version":2`, 1), nil, 0, "version 2"},
		{"too long", strings.Repeat("x", MaxLine+10) + "\n", nil, 0, "not a level3"},
		{"too long at the end", a + strings.Repeat("x", MaxLine+10), []Key{key("/a", 1)}, len(a), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			done, keep, err := Parse(strings.NewReader(c.in))
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
	j, err := Open(path)
	require.NoError(t, err)
	k := Key{Target: "http://h/up", File: "/b", Size: 2, ModTime: 9}
	assert.False(t, j.Has(k))
	require.NoError(t, j.Record(k, Upload{URL: mustURL(t, "http://h/up"), Status: 201, Location: mustURL(t, "http://h/up/1"), ETag: `"e"`}))
	assert.True(t, j.Has(k))
	require.NoError(t, j.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	require.Len(t, lines, 2)
	var e Entry
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &e))
	assert.Equal(t, "/b", e.File)
	assert.Equal(t, `"e"`, e.ETag)
	assert.False(t, e.Time.IsZero())
}

func TestJournalIsPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix file modes")
	}
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh.journal")
	j, err := Open(fresh)
	require.NoError(t, err)
	require.NoError(t, j.Close())
	fi, err := os.Stat(fresh)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "created private")

	wide := filepath.Join(dir, "wide.journal")
	require.NoError(t, os.WriteFile(wide, []byte(entryLine(t, "/a", 1)), 0o644))
	require.NoError(t, os.Chmod(wide, 0o664)) // whatever the umask
	j, err = Open(wide)
	require.NoError(t, err)
	require.NoError(t, j.Close())
	fi, err = os.Stat(wide)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "tightened")
}

// secretTarget is an upload target carrying every kind of credential a URL
// can hold; secrets lists them.
const secretTarget = "https://ann:pa55word@h.example/up?X-Amz-Credential=AKIDCRED&X-Amz-Signature=SIGVALUE&token=TOKVALUE&page=1"

var secrets = []string{"pa55word", "AKIDCRED", "SIGVALUE", "TOKVALUE", "LOCSIG"}

func TestJournalStoresURLsRedacted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	j, err := Open(path)
	require.NoError(t, err)
	target := mustURL(t, secretTarget)
	info, err := os.Stat(path)
	require.NoError(t, err)
	k := KeyOf(target, "/a", info)
	require.NoError(t, j.Record(k, Upload{URL: mustURL(t, secretTarget), Status: 201, Location: mustURL(t, "https://cdn.example/1?sig=LOCSIG")}))
	require.NoError(t, j.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, s := range secrets {
		assert.NotContains(t, string(data), s)
	}
	assert.Contains(t, string(data), "page=1", "the rest of the URL is kept")
	assert.Contains(t, string(data), "https://cdn.example/1?sig=xxxxx")

	j, err = Open(path)
	require.NoError(t, err)
	defer j.Close()
	assert.True(t, j.Has(k), "found again by its redacted key")
	resigned := mustURL(t, strings.Replace(secretTarget, "SIGVALUE", "NEWSIG", 1))
	assert.True(t, j.Has(KeyOf(resigned, "/a", info)), "a target signed again is the same target")
	other := mustURL(t, strings.Replace(secretTarget, "/up", "/elsewhere", 1))
	assert.False(t, j.Has(KeyOf(other, "/a", info)))
}

func TestParseJournalRedactsOldEntries(t *testing.T) {
	// A journal written before journals were redacted still matches.
	b, err := json.Marshal(Entry{Kind: Kind, Version: Version, Target: secretTarget, File: "/a", Size: 1, ModTime: 7, Status: 201})
	require.NoError(t, err)
	done, _, err := Parse(bytes.NewReader(append(b, '\n')))
	require.NoError(t, err)
	assert.Contains(t, done, Key{Target: "https://ann:xxxxx@h.example/up?X-Amz-Credential=xxxxx&X-Amz-Signature=xxxxx&page=1&token=xxxxx", File: "/a", Size: 1, ModTime: 7})
	for k := range done {
		for _, s := range secrets {
			assert.NotContains(t, k.Target, s)
		}
	}
}

func TestJournalRefusesAnEntryTooLongToReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	j, err := Open(path)
	require.NoError(t, err)
	k := Key{Target: "http://h/up", File: "/a", Size: 1, ModTime: 1}
	err = j.Record(k, Upload{URL: mustURL(t, "http://h/up?q="+strings.Repeat("x", MaxLine))})
	require.ErrorIs(t, err, ErrLineTooLong)
	require.NoError(t, j.Record(k, Upload{URL: mustURL(t, "http://h/up")}))
	require.NoError(t, j.Close())
	j, err = Open(path)
	require.NoError(t, err, "the journal is still readable")
	assert.True(t, j.Has(k))
	require.NoError(t, j.Close())
}

func FuzzParseJournal(f *testing.F) {
	f.Add(entryLine(f, "/a", 1) + entryLine(f, "/b", 2))
	f.Add(entryLine(f, "/a", 1) + `{"kind":"level3.upload","ver`)
	f.Add("\n\n\r\n")
	f.Add(`{"kind":"level3.upload","version":1,"target":"t","file":"f","size":-1,"mtime_ns":1e30}` + "\n")
	f.Fuzz(func(t *testing.T, in string) {
		done, keep, err := Parse(strings.NewReader(in))
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
		again, keep2, err := Parse(bytes.NewReader([]byte(in[:keep])))
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
