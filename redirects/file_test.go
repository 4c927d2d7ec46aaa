package redirects

import (
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFileSurvivesRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache", "level3", "redirects.json")
	f, err := OpenFile(path, 0)
	require.NoError(t, err)
	got, _ := f.Entries()
	assert.Empty(t, got, "a missing file is an empty memory")
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err), "opening writes nothing")

	created := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	a := Entry{From: "https://api.example:443/old", To: "https://api.example/new", Created: created}
	b := Entry{From: "https://api.example:443/tmp", To: "https://cdn.example/x", Created: created, Expires: created.Add(time.Hour)}
	require.NoError(t, f.Put(a))
	require.NoError(t, f.Put(b))
	assert.Equal(t, path, f.Path())

	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "URLs can be private")
		di, err := os.Stat(filepath.Dir(path))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"kind": "level3.redirects"`)
	assert.Contains(t, string(data), `"version": 1`)
	assert.Equal(t, 1, countSubstr(string(data), `"expires"`), "omitted when the entry never expires")

	again, err := OpenFile(path, 0)
	require.NoError(t, err)
	got, _ = again.Entries()
	require.Len(t, got, 2)
	assert.Equal(t, b, got[0], "most recently used first, times kept")
	assert.Equal(t, a, got[1])
	e, ok, err := again.Get(a.From)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, a, e)

	require.NoError(t, again.Delete(a.From))
	require.NoError(t, again.Clear())
	third, err := OpenFile(path, 0)
	require.NoError(t, err)
	got, _ = third.Entries()
	assert.Empty(t, got)
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp"))
	assert.Empty(t, leftovers, "no temporary files left behind")
}

func countSubstr(s, sub string) int {
	n := 0
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			n++
		}
	}
	return n
}

func TestFileSharedByTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redirects.json")
	p1, err := OpenFile(path, 0)
	require.NoError(t, err)
	p2, err := OpenFile(path, 0)
	require.NoError(t, err)

	require.NoError(t, p1.Put(entry("one")))
	require.NoError(t, p2.Put(entry("two"))) // p2 never saw "one" in memory
	reread, err := OpenFile(path, 0)
	require.NoError(t, err)
	got, _ := reread.Entries()
	assert.ElementsMatch(t, []string{"http://a:80/one", "http://a:80/two"}, froms(got), "neither write lost the other")

	require.NoError(t, p1.Delete("http://a:80/two")) // a deletion by another process sticks
	require.NoError(t, p2.Put(entry("three")))
	reread, err = OpenFile(path, 0)
	require.NoError(t, err)
	got, _ = reread.Entries()
	assert.ElementsMatch(t, []string{"http://a:80/one", "http://a:80/three"}, froms(got))
}

func TestFileIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redirects.json")
	f, err := OpenFile(path, 2)
	require.NoError(t, err)
	for _, k := range []string{"a", "b", "c"} {
		require.NoError(t, f.Put(entry(k)))
	}
	reread, err := OpenFile(path, 10)
	require.NoError(t, err)
	got, _ := reread.Entries()
	assert.Equal(t, []string{"http://a:80/c", "http://a:80/b"}, froms(got))

	small, err := OpenFile(path, 1) // a smaller size keeps the most recent
	require.NoError(t, err)
	got, _ = small.Entries()
	assert.Equal(t, []string{"http://a:80/c"}, froms(got))
}

func TestFileRejectsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"not json":      "{{{",
		"other kind":    `{"kind":"something.else","version":1,"entries":[]}`,
		"newer version": `{"kind":"level3.redirects","version":2,"entries":[]}`,
		"array":         `[1,2,3]`,
	} {
		path := filepath.Join(dir, name+".json")
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		_, err := OpenFile(path, 0)
		assert.ErrorIs(t, err, ErrBadFile, name)
		assert.ErrorContains(t, err, path, name)
	}
	_, err := OpenFile(dir, 0) // a directory: unreadable, but not "bad"
	assert.Error(t, err)

	empty := filepath.Join(dir, "empty.json")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	f, err := OpenFile(empty, 0)
	require.NoError(t, err)
	got, _ := f.Entries()
	assert.Empty(t, got)
}

func TestFileSkipsMalformedEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redirects.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"kind":"level3.redirects","version":1,"entries":[
		{"from":"http://a:80/ok","to":"http://a/new"},
		{"from":"http://a/not-a-key","to":"http://a/new"},
		{"from":"http://a:80/relative-target","to":"/new"},
		{"from":"","to":"http://a/new"},
		{"from":"http://a:80/ftp","to":"ftp://a/new"},
		{"from":"http://a:80/later","to":"https://b/x","unknown":"ignored"}]}`), 0o600))
	f, err := OpenFile(path, 0)
	require.NoError(t, err)
	got, _ := f.Entries()
	assert.Equal(t, []string{"http://a:80/ok", "http://a:80/later"}, froms(got))
}

func TestFileRepairsABrokenFileOnWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redirects.json")
	f, err := OpenFile(path, 0)
	require.NoError(t, err)
	require.NoError(t, f.Put(entry("a")))
	require.NoError(t, os.WriteFile(path, []byte("garbage"), 0o600)) // another program broke it
	require.NoError(t, f.Put(entry("b")))
	reread, err := OpenFile(path, 0)
	require.NoError(t, err)
	got, _ := reread.Entries()
	assert.Equal(t, []string{"http://a:80/b", "http://a:80/a"}, froms(got))
}

func TestFileDeleteWritesOnlyWhenSomethingChanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redirects.json")
	f, err := OpenFile(path, 0)
	require.NoError(t, err)
	require.NoError(t, f.Delete("http://a:80/nothing"))
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err), "forgetting nothing creates no file")
	assert.Error(t, f.Put(Entry{From: "http://a:80/x"}))
}

func TestFileConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redirects.json")
	f, err := OpenFile(path, 0)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				e := entry(string(rune('a'+w)) + string(rune('0'+i)))
				assert.NoError(t, f.Put(e))
				_, _, _ = f.Get(e.From)
			}
		}()
	}
	wg.Wait()
	reread, err := OpenFile(path, 0)
	require.NoError(t, err)
	got, _ := reread.Entries()
	assert.Len(t, got, 40, "writes in one process are serialized: none lost")
}
