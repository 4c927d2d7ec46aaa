// This file holds File, the Store that keeps its entries in a JSON file, and
// the file's format. store.go holds the Store interface; memory.go the LRU
// that File keeps in memory.

package redirects

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
)

// ErrBadFile is returned (wrapped, with the path) by [OpenFile] when the file
// exists but is not a redirect memory this version can read: not JSON, the
// wrong kind, or a newer format version. Delete the file, or use another
// path.
var ErrBadFile = errors.New("redirects: not a redirect memory file")

// File format identifiers, written into every file so that a reader never
// has to guess what it holds (see fileFormat).
const (
	fileKind    = "level3.redirects"
	fileVersion = 1
	// maxFileSize bounds what is read from disk: DefaultSize entries take
	// about 300 KB.
	maxFileSize = 8 << 20
)

// fileFormat is the JSON document on disk:
//
//	{"kind": "level3.redirects", "version": 1, "entries": [
//	  {"from": "https://api.example:443/old", "to": "https://api.example/new",
//	   "created": "2026-11-25T10:00:00Z", "expires": "2026-11-26T10:00:00Z"}]}
//
// Entries are listed most recently used first; "expires" is absent when the
// entry never expires.
type fileFormat struct {
	Kind    string  `json:"kind"`
	Version int     `json:"version"`
	Entries []Entry `json:"entries"`
}

// File is a [Store] kept in a JSON file, so the memory survives restarts and
// is shared by the processes that use the same path. It holds an LRU
// ([Memory]) of the entries in memory and answers Get from it; Put, Delete
// and Clear write the file at once.
//
// The file holds no credential: it is private (mode 0600; a file found
// readable by others is made 0600 when opened), and an entry whose From or
// To carries one, as errors would hide it (userinfo, or a query value such
// as X-Amz-Signature, token or sig), is never written. Such an entry cannot
// be stored redacted, since a redacted key would never be looked up again,
// so File keeps it in memory only, for the life of the File, apart from the
// entries it shares with other processes. Entries with credentials found in
// a file (written by an older version) are dropped when it is opened, and
// the file is written again without them.
//
// Writes are atomic: the new contents go to a temporary file in the same
// directory, which is synced and renamed over the old one, so a reader (or a
// crash) never sees half a file. Before each write File re-reads the file and
// applies its change to what is there, so entries written and deletions made
// by other processes are kept. Two processes writing at the same instant can
// still lose one of the two changes (the last rename wins); for a cache that
// costs at most one extra round trip later. A File does not notice changes
// other processes make between its own writes.
//
// File is safe for concurrent use. The zero value is not usable: call
// [OpenFile].
type File struct {
	path    string
	mu      sync.Mutex // serializes writes in this process
	mem     *Memory    // the entries of the file
	private *Memory    // entries with credentials: never written
}

// DefaultPath returns where the l3 command keeps its redirect memory:
// level3/redirects.json under [os.UserCacheDir].
func DefaultPath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("redirects: %w", err)
	}
	return filepath.Join(dir, "level3", "redirects.json"), nil
}

// fileMode is the mode of the file: URLs can be private.
const fileMode fs.FileMode = 0o600

// OpenFile loads the redirect memory at path, keeping at most size entries
// (0 means [DefaultSize]). A missing file is an empty memory; the file and
// its directory are created (mode 0600 and 0700: URLs can be private) at the
// first write. It returns an error wrapping [ErrBadFile] when the file holds
// something else, and the read error when it cannot be read.
//
// Entries that are not well formed (a From that is not a [Key], a To that is
// not an absolute http or https URL) and entries with credentials (see
// [File]) are skipped when loading. A file that held entries with
// credentials is written again at once without them, and one readable by
// others is made private (0600).
func OpenFile(path string, size int) (*File, error) {
	f := &File{path: path, mem: NewMemory(size), private: NewMemory(size)}
	entries, secrets, err := readFile(path)
	if err != nil {
		return nil, err
	}
	f.mem.reset(entries)
	if secrets {
		if err := f.update(func(*Memory) bool { return true }); err != nil {
			return nil, err
		}
	}
	if err := tighten(path); err != nil {
		return nil, err
	}
	return f, nil
}

// tighten makes the file at path, if there is one, private.
func tighten(path string) error {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&^fileMode == 0 {
		return nil // missing, or unreadable: readFile said so already
	}
	if err := os.Chmod(path, fileMode); err != nil {
		return fmt.Errorf("redirects: %w", err)
	}
	return nil
}

// Path returns the file's path.
func (f *File) Path() string {
	if f == nil {
		return ""
	}
	return f.path
}

// usable reports whether f was made by OpenFile.
func (f *File) usable() bool { return f != nil && f.mem != nil && f.private != nil }

// Get returns the entry for key from memory, marking it recently used (the
// order reaches the file at the next write). It never fails.
func (f *File) Get(key string) (Entry, bool, error) {
	if !f.usable() {
		return Entry{}, false, ErrInvalidUse
	}
	if e, ok, _ := f.private.Get(key); ok {
		return e, true, nil
	}
	return f.mem.Get(key)
}

// Entries returns every entry, those kept in memory only (see [File]) first,
// then those of the file, each most recently used first. It never fails.
func (f *File) Entries() ([]Entry, error) {
	if !f.usable() {
		return nil, ErrInvalidUse
	}
	private, _ := f.private.Entries()
	shared, _ := f.mem.Entries()
	return append(private, shared...), nil
}

// Len returns the number of entries in memory.
func (f *File) Len() int {
	if !f.usable() {
		return 0
	}
	return f.private.Len() + f.mem.Len()
}

// Put records e and writes the file; an entry with credentials is kept in
// memory only (see [File]).
func (f *File) Put(e Entry) error {
	if !f.usable() {
		return ErrInvalidUse
	}
	if e.From == "" || e.To == "" {
		return errNoKey
	}
	if e.HasCredentials() {
		// What the file says about e.From is stale now.
		if err := f.private.Put(e); err != nil {
			return err
		}
		return f.update(func(m *Memory) bool { return m.remove(e.From) })
	}
	_ = f.private.Delete(e.From)
	return f.update(func(m *Memory) bool { m.put(e); return true })
}

// Delete forgets key and writes the file, unless the key was in neither
// memory nor the file.
func (f *File) Delete(key string) error {
	if !f.usable() {
		return ErrInvalidUse
	}
	_ = f.private.Delete(key)
	return f.update(func(m *Memory) bool { return m.remove(key) })
}

// Clear forgets every entry and writes an empty file.
func (f *File) Clear() error {
	if !f.usable() {
		return ErrInvalidUse
	}
	f.private.Clear()
	return f.update(func(m *Memory) bool { m.reset(nil); return true })
}

// update re-reads the file, applies change to its entries, writes the result
// unless change reports that nothing changed, and makes it the in-memory
// state. When the file cannot be read (another program broke it) the
// in-memory state is used instead, so the write repairs it. On a write error
// the change is still made in memory.
func (f *File) update(change func(m *Memory) (changed bool)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mem.mu.Lock()
	defer f.mem.mu.Unlock()
	if onDisk, _, err := readFile(f.path); err == nil {
		f.mem.reset(onDisk)
	}
	if !change(f.mem) {
		return nil
	}
	return writeFile(f.path, f.mem.entries())
}

// readFile reads and decodes path; a missing file is empty. secrets
// reports entries with credentials, which are left out. Anything but a
// regular file (a named pipe, whose open would wait for a writer) is
// ErrBadFile, found before it is opened.
func readFile(path string) (entries []Entry, secrets bool, err error) {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, false, fmt.Errorf("%w: %s is not a regular file", ErrBadFile, path)
	}
	fh, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("redirects: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return nil, false, fmt.Errorf("redirects: reading %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, false, fmt.Errorf("%w: %s is larger than %d bytes", ErrBadFile, path, maxFileSize)
	}
	entries, secrets, err = decodeFile(data)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %s: %v", ErrBadFile, path, err)
	}
	return entries, secrets, nil
}

// decodeFile parses the file format and keeps the well-formed entries
// without credentials; secrets reports that some had credentials. An empty
// (or all-blank) file is an empty memory.
func decodeFile(data []byte) (entries []Entry, secrets bool, err error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, false, nil
	}
	var doc fileFormat
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, false, err
	}
	if doc.Kind != fileKind {
		return nil, false, fmt.Errorf("kind %q, want %q", doc.Kind, fileKind)
	}
	if doc.Version != fileVersion {
		return nil, false, fmt.Errorf("format version %d, this program reads version %d", doc.Version, fileVersion)
	}
	out := doc.Entries[:0]
	for _, e := range doc.Entries {
		switch {
		case !wellFormed(e):
		case e.HasCredentials():
			secrets = true
		default:
			out = append(out, e)
		}
	}
	return out, secrets, nil
}

// wellFormed reports whether e can have been written by a Client: From is a
// Key and To an absolute http(s) URL.
func wellFormed(e Entry) bool {
	from, err := url.Parse(e.From)
	if err != nil || Key(from) != e.From {
		return false
	}
	to, err := url.Parse(e.To)
	return err == nil && Key(to) != ""
}

// encodeFile renders entries in the file format.
func encodeFile(entries []Entry) ([]byte, error) {
	if entries == nil {
		entries = []Entry{}
	}
	data, err := json.MarshalIndent(fileFormat{Kind: fileKind, Version: fileVersion, Entries: entries}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// writeFile replaces path atomically with entries.
func writeFile(path string, entries []Entry) (err error) {
	data, err := encodeFile(entries)
	if err != nil {
		return fmt.Errorf("redirects: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("redirects: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("redirects: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
			err = fmt.Errorf("redirects: writing %s: %w", path, err)
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
