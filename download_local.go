// This file holds what a download keeps on disk: where the file goes, the
// partial file NAME.part beside it, and the small JSON sidecar
// NAME.part.json that lets a later process resume (URL, validators, length,
// progress, digest state). Files are opened through an os.Root, so nothing
// is ever created outside the destination directory, even through a
// symbolic link planted there. The download's states are in download.go.

package level3

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/l3go/level3/internal/localfile"
)

// Names of the files beside the destination.
const (
	partSuffix    = ".part" // NAME.part: the bytes so far
	sidecarSuffix = ".json" // NAME.part.json: the sidecar
)

// Identification of the sidecar format, checked on load.
const (
	sidecarKind    = "level3.download"
	sidecarVersion = 2 // 2: dates in Unix seconds
)

// sidecar is the resumable state of a download, saved as JSON next to the
// partial file. Its validators describe every byte of the partial file: the
// download truncates the file before it saves new validators.
type sidecar struct {
	Kind    string `json:"kind"`
	Version int    `json:"version"`
	// URL is the download's URL with secrets removed, for people;
	// URLSHA256 identifies the URL itself.
	URL       string `json:"url"`
	URLSHA256 string `json:"url_sha256"`
	// The validators of the response that delivered the bytes (see
	// validators), and its date, which says whether the last-modified date
	// is strong; dates in Unix seconds (HTTP dates have no finer
	// resolution), 0 when absent.
	ETag         string `json:"etag,omitempty"`
	LastModified int64  `json:"last_modified,omitempty"`
	Date         int64  `json:"date,omitempty"`
	Total        int64  `json:"total"` // length of the content; -1 unknown
	// Parallel says the file was written in ranges: the bytes below Next
	// are complete except the unfinished Parts. Otherwise the file is one
	// stream and every byte in it is good.
	Parallel bool          `json:"parallel,omitempty"`
	Next     int64         `json:"next"`
	Parts    []sidecarPart `json:"parts,omitempty"`
	// SHA256State is the marshalled digest of the first SHA256At bytes,
	// when the download computes one.
	SHA256State []byte    `json:"sha256_state,omitempty"`
	SHA256At    int64     `json:"sha256_at,omitempty"`
	Saved       time.Time `json:"saved"`
}

// sidecarPart is a range handed to a connection and not finished: bytes
// [Start, Start+Done) are on disk, [Start+Done, End) are not.
type sidecarPart struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	Done  int64 `json:"done"`
}

// validators returns the Validators of the bytes on disk.
func (s *sidecar) validators() Validators {
	return Validators{ETag: s.ETag, LastModified: unixTime(s.LastModified)}
}

// date returns the date of the response that delivered the bytes on disk.
func (s *sidecar) date() time.Time { return unixTime(s.Date) }

// setVersion records that the bytes on disk have the validators v, from a
// response dated date.
func (s *sidecar) setVersion(v Validators, date time.Time) {
	s.ETag, s.LastModified, s.Date = v.ETag, unixSeconds(v.LastModified), unixSeconds(date)
}

// unixTime returns the time of Unix seconds sec, zero for 0.
func unixTime(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// unixSeconds returns t in Unix seconds, 0 for the zero time.
func unixSeconds(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// newSidecar returns the state of a download of rawURL with nothing on disk.
func newSidecar(rawURL, redacted string) sidecar {
	sum := sha256.Sum256([]byte(rawURL))
	return sidecar{
		Kind: sidecarKind, Version: sidecarVersion,
		URL: redacted, URLSHA256: hex.EncodeToString(sum[:]),
		Total: -1,
	}
}

// fits reports whether a sidecar read from disk belongs to a download of
// the same URL, is one this version understands, and is consistent: every
// position within [0, Total], parts within [0, Next] and apart from each
// other, checked without any sum that a planted value could make overflow.
func (s *sidecar) fits(fresh sidecar) bool {
	if s.Kind != sidecarKind || s.Version != sidecarVersion || s.URLSHA256 != fresh.URLSHA256 || s.Total < -1 || s.Next < 0 {
		return false
	}
	if s.Total >= 0 && s.Next > s.Total || s.SHA256At < 0 || s.Total >= 0 && s.SHA256At > s.Total {
		return false
	}
	if !s.Parallel && len(s.Parts) > 0 || s.Parallel && s.Total < 0 {
		return false
	}
	parts := slices.SortedFunc(slices.Values(s.Parts), func(a, b sidecarPart) int { return cmp.Compare(a.Start, b.Start) })
	end := int64(0)
	for _, p := range parts {
		if p.Start < end || p.End < p.Start || p.End > s.Next || p.Done < 0 || p.Done > p.End-p.Start {
			return false
		}
		end = p.End
	}
	return true
}

// contiguous returns how many bytes from the start of the file are known to
// be good, given that the partial file is size bytes long.
func (s *sidecar) contiguous(size int64) int64 {
	have := size
	if s.Parallel {
		have = min(have, s.Next)
		for _, p := range s.Parts {
			have = min(have, p.Start+p.Done)
		}
	}
	if s.Total >= 0 {
		have = min(have, s.Total)
	}
	return max(have, 0)
}

// onDisk returns how many bytes of a download in ranges are on disk.
func (s *sidecar) onDisk() int64 {
	n := s.Next
	for _, p := range s.Parts {
		n -= p.End - p.Start - p.Done
	}
	return n
}

// claimedEnd returns the end of the last byte the sidecar says is on disk:
// the partial file must be at least that long, or it is not the file the
// sidecar describes.
func (s *sidecar) claimedEnd() int64 {
	if !s.Parallel {
		return s.Next
	}
	end := s.Next
	for moved := true; moved; {
		moved = false
		for _, p := range s.Parts {
			if p.End == end && p.Start+p.Done < end {
				end, moved = p.Start+p.Done, true
			}
		}
	}
	return end
}

// destination is where a download goes: the directory, opened as an
// os.Root, and the file name inside it ("" until known).
type destination struct {
	dir  string
	name string
	root *os.Root
}

// splitDestination reads the dst argument of Download: "" is the current
// directory; a path ending in a separator, or naming an existing directory,
// is a directory the file is saved in under a name the server suggests;
// anything else is the file's path, whose directory must exist.
func splitDestination(dst string) (dir, name string, dirMode bool, err error) {
	if dst == "" {
		return ".", "", true, nil
	}
	if strings.HasSuffix(dst, "/") || strings.HasSuffix(dst, string(filepath.Separator)) {
		return filepath.Clean(dst), "", true, nil
	}
	if fi, err := os.Stat(dst); err == nil && fi.IsDir() {
		return filepath.Clean(dst), "", true, nil
	}
	dir, name = filepath.Split(filepath.Clean(dst))
	if dir == "" {
		dir = "."
	}
	if name == "" || name == "." || name == ".." {
		return "", "", false, fmt.Errorf("level3: download destination %q is not a file name", dst)
	}
	return filepath.Clean(dir), name, false, nil
}

// path returns the final path of the file.
func (d *destination) path() string { return filepath.Join(d.dir, d.name) }

func (d *destination) partName() string    { return d.name + partSuffix }
func (d *destination) sidecarName() string { return d.name + partSuffix + sidecarSuffix }
func (d *destination) tempName() string    { return d.sidecarName() + ".tmp" }

// check makes sure that no file the download will touch is a trap, by its
// directory entry alone, before anything is opened or requested: the
// destination may be missing, or (with overwrite, else it is
// ErrFileExists) a regular file or a symbolic link, which the download
// replaces and never follows; NAME.part, its sidecar and the sidecar's
// temporary file may be missing or regular files. Anything else (a named
// pipe, a device, a socket, a directory) is ErrNotRegularFile.
func (d *destination) check(overwrite bool) error {
	fi, err := d.root.Lstat(d.name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0:
		return localfile.NotRegular("download", d.path(), fi.Mode())
	case !overwrite:
		return &fs.PathError{Op: "download", Path: d.path(), Err: ErrFileExists}
	}
	for _, name := range []string{d.partName(), d.sidecarName(), d.tempName()} {
		fi, err := d.root.Lstat(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return err
		case !fi.Mode().IsRegular():
			return localfile.NotRegular("download", filepath.Join(d.dir, name), fi.Mode())
		}
	}
	return nil
}

// exists reports whether the final file (or anything under its name) exists.
func (d *destination) exists() (bool, error) {
	_, err := d.root.Lstat(d.name)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, err
	}
}

// openPart opens (creating it if needed, never truncating it) and locks the
// partial file, which must be a regular file. A new one gets mode 0666
// minus the umask, as os.Create and curl -o give: the finished download is
// this file, renamed.
func (d *destination) openPart() (*os.File, error) {
	f, _, err := localfile.OpenRegular("download", filepath.Join(d.dir, d.partName()), os.O_RDWR|os.O_CREATE, func(flag int) (*os.File, error) {
		return d.root.OpenFile(d.partName(), flag, 0o666)
	})
	if err != nil {
		if !errors.Is(err, ErrNotRegularFile) {
			err = fmt.Errorf("level3: download: %w", err)
		}
		return nil, err
	}
	if err := localfile.Lock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrDownloadBusy, filepath.Join(d.dir, d.partName()), err)
	}
	return f, nil
}

// truncate sets the length of f to size unless it has that length already.
// Truncating is not free: ext4 (auto_da_alloc) takes a truncation to zero
// as a sign the file is being replaced and starts writing it back when it
// is closed; truncating a fresh, empty file cost BenchmarkDownloadThroughput
// about 40% of its speed (468 against 862-1086 MiB/s).
func truncate(f *os.File, size int64) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() == size {
		return nil
	}
	return f.Truncate(size)
}

// maxSidecar bounds what is read of a sidecar: a planted huge file cannot
// exhaust memory.
const maxSidecar = 1 << 20

// loadSidecar reads the sidecar. It returns an error wrapping
// fs.ErrNotExist when there is none, ErrNotRegularFile when it is not a
// regular file, and another when it cannot be read or parsed (the partial
// file is then of no use).
func (d *destination) loadSidecar() (sidecar, error) {
	f, _, err := localfile.OpenRegular("download", filepath.Join(d.dir, d.sidecarName()), os.O_RDONLY, func(flag int) (*os.File, error) {
		return d.root.OpenFile(d.sidecarName(), flag, 0)
	})
	if err != nil {
		return sidecar{}, err
	}
	defer f.Close()
	var s sidecar
	data, err := io.ReadAll(io.LimitReader(f, maxSidecar))
	if err == nil {
		err = json.Unmarshal(data, &s)
	}
	return s, err
}

// saveSidecar replaces the sidecar atomically: it writes a temporary file
// through the root and renames it over the old one. Both names are single
// components inside the directory, so the rename cannot leave it. The
// temporary file is created anew (O_EXCL: an existing name, a symbolic
// link or a named pipe put there, is never opened); one left by a crash is
// removed first when it is a regular file, else saving fails with
// ErrNotRegularFile.
func (d *destination) saveSidecar(s *sidecar) error {
	s.Saved = time.Now().UTC().Truncate(time.Millisecond)
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	tmp := d.tempName()
	if fi, err := d.root.Lstat(tmp); err == nil {
		if !fi.Mode().IsRegular() {
			return localfile.NotRegular("download", filepath.Join(d.dir, tmp), fi.Mode())
		}
		_ = d.root.Remove(tmp)
	}
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("level3: saving download state: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(filepath.Join(d.dir, tmp), filepath.Join(d.dir, d.sidecarName()))
	}
	if err != nil {
		_ = d.root.Remove(tmp)
		return fmt.Errorf("level3: saving download state: %w", err)
	}
	return nil
}

// removePartial removes the partial file and the sidecar, if there.
func (d *destination) removePartial() {
	_ = d.root.Remove(d.partName())
	_ = d.root.Remove(d.sidecarName())
}

// publish moves the complete partial file to its final name. With
// overwrite it replaces whatever is there (os.Rename); without, it fails
// with ErrFileExists if the name was taken in the meantime: it links the
// file under its final name, which fails if that exists, and falls back to
// a check and a rename on file systems without hard links.
func (d *destination) publish(overwrite bool) error {
	part, final := filepath.Join(d.dir, d.partName()), d.path()
	if overwrite {
		return os.Rename(part, final)
	}
	err := os.Link(part, final)
	switch {
	case err == nil:
		return os.Remove(part)
	case errors.Is(err, fs.ErrExist):
		return &fs.PathError{Op: "download", Path: final, Err: ErrFileExists}
	}
	if exists, err := d.exists(); err != nil {
		return err
	} else if exists {
		return &fs.PathError{Op: "download", Path: final, Err: ErrFileExists}
	}
	return os.Rename(part, final)
}
