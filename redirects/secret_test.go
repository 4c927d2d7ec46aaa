package redirects

// Tests of the rule that a File holds no credential and is private.

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secretEntries carry a credential in From or in To.
var secretEntries = []Entry{
	{From: "https://s3.example:443/b/k?X-Amz-Credential=AKIDCRED&X-Amz-Signature=SIGVALUE", To: "https://s3.example/b/k2"},
	{From: "https://api.example:443/old", To: "https://api.example/new?access_token=TOKVALUE"},
	{From: "https://api.example:443/feed?api_key=KEYVALUE", To: "https://api.example/feed2?api_key=KEYVALUE"},
	{From: "https://blob.example:443/c", To: "https://blob.example/c2?sv=1&sig=AZSIG"},
	{From: "https://api.example:443/pw", To: "https://ann:PASSVALUE@api.example/pw2"},
}

var secretValues = []string{"AKIDCRED", "SIGVALUE", "TOKVALUE", "KEYVALUE", "AZSIG", "PASSVALUE"}

func assertNoSecret(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, s := range secretValues {
		assert.NotContains(t, string(data), s)
	}
}

func TestSecret(t *testing.T) {
	for _, e := range secretEntries {
		assert.True(t, e.HasCredentials(), "%+v", e)
	}
	assert.False(t, entry("a").HasCredentials())
	assert.False(t, Entry{From: "https://api.example:443/x?page=2", To: "https://api.example/y?page=2"}.HasCredentials())
}

func TestFileNeverWritesCredentials(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redirects.json")
	f, err := OpenFile(path, 0)
	require.NoError(t, err)
	require.NoError(t, f.Put(entry("plain")))
	for _, e := range secretEntries {
		require.NoError(t, f.Put(e))
	}
	assertNoSecret(t, path)

	// This process still uses them.
	for _, e := range secretEntries {
		got, ok, err := f.Get(e.From)
		require.NoError(t, err)
		assert.True(t, ok, e.From)
		assert.Equal(t, e, got)
	}
	all, _ := f.Entries()
	assert.Len(t, all, len(secretEntries)+1)
	assert.Equal(t, len(secretEntries)+1, f.Len())

	// Another process sees only the entry without credentials.
	other, err := OpenFile(path, 0)
	require.NoError(t, err)
	got, _ := other.Entries()
	assert.Equal(t, []string{"http://a:80/plain"}, froms(got))

	// A target with credentials replaces a stale one in the file; one
	// without replaces the one in memory.
	require.NoError(t, f.Put(Entry{From: "http://a:80/plain", To: "http://a/moved?token=TOKVALUE"}))
	assertNoSecret(t, path)
	other, err = OpenFile(path, 0)
	require.NoError(t, err)
	got, _ = other.Entries()
	assert.Empty(t, got, "the stale entry is gone from the file")
	require.NoError(t, f.Put(entry("plain")))
	e, ok, _ := f.Get("http://a:80/plain")
	require.True(t, ok)
	assert.Equal(t, entry("plain"), e)

	require.NoError(t, f.Delete(secretEntries[0].From))
	_, ok, _ = f.Get(secretEntries[0].From)
	assert.False(t, ok)
	require.NoError(t, f.Clear())
	assert.Zero(t, f.Len())
}

func TestOpenFileScrubsCredentialsAndTightensTheMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redirects.json")
	data, err := encodeFile(append([]Entry{entry("plain")}, secretEntries...))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644)) // as an older version, or another tool, left it
	require.NoError(t, os.Chmod(path, 0o644))

	f, err := OpenFile(path, 0)
	require.NoError(t, err)
	got, _ := f.Entries()
	assert.Equal(t, []string{"http://a:80/plain"}, froms(got))
	assertNoSecret(t, path)
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}

	// A wide file without credentials is tightened without being rewritten.
	clean := filepath.Join(t.TempDir(), "clean.json")
	data, err = encodeFile([]Entry{entry("plain")})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(clean, data, 0o600))
	require.NoError(t, os.Chmod(clean, 0o664))
	_, err = OpenFile(clean, 0)
	require.NoError(t, err)
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(clean)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
}
