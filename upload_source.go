// This file holds the check that an upload's source file did not change
// while it was sent: its size, modification time and identity (inode) are
// taken before and compared after (upload.go sends it).

package level3

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// SourceChangedError is returned by an upload of a file ([Client.UploadFile],
// [Client.PutFile], [Client.UploadAll], or [Client.Upload] and [Client.Put]
// of an *os.File) whose size, modification time or identity (inode, for a
// file uploaded by path) was not the same after the upload as before: what
// the server stored may mix the old and the new content. The modification
// time is compared at the file system's resolution.
type SourceChangedError struct {
	Path   string // the file
	Reason string // what changed, e.g. "size 1000 → 1004"
	// Result is the server's answer when it accepted the upload (it holds
	// the Location of what may need replacing), else nil.
	Result *Result
	// Err is the upload's own error, when it failed too, else nil.
	Err error
}

// Error reads "level3: PATH changed while it was uploaded (REASON)".
func (e *SourceChangedError) Error() string {
	msg := "level3: " + e.Path + " changed while it was uploaded (" + e.Reason + ")"
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the upload's own error, if any.
func (e *SourceChangedError) Unwrap() error { return e.Err }

// Is matches [ErrSourceChanged].
func (e *SourceChangedError) Is(target error) bool { return target == ErrSourceChanged }

// sourceFile is the file an upload reads, as it was before the upload.
type sourceFile struct {
	path   string
	before fs.FileInfo
	stat   func() (fs.FileInfo, error) // the file as it is now
}

// sourceOf returns the file body is, or nil when it is no regular file: a
// file uploaded by path is looked up by its path again (a file replaced
// under its name counts as changed), an *os.File by its descriptor.
func sourceOf(body io.Reader) *sourceFile {
	switch b := body.(type) {
	case *fileBody:
		return &sourceFile{path: b.path, before: b.info, stat: func() (fs.FileInfo, error) { return os.Stat(b.path) }}
	case *os.File:
		if st, err := b.Stat(); err == nil && st.Mode().IsRegular() {
			return &sourceFile{path: b.Name(), before: st, stat: b.Stat}
		}
	}
	return nil
}

// check returns a *SourceChangedError holding res and uploadErr when the
// file changed since the upload began, else uploadErr.
func (s *sourceFile) check(res *Result, uploadErr error) error {
	if s == nil {
		return uploadErr
	}
	after, err := s.stat()
	reason := ""
	if err != nil {
		reason = "it cannot be found again: " + err.Error()
	} else {
		reason = sourceChange(s.before, after)
	}
	if reason == "" {
		return uploadErr
	}
	return &SourceChangedError{Path: s.path, Reason: reason, Result: res, Err: uploadErr}
}

// sourceChange says how after differs from before (another file, another
// size or modification time), or "" when it does not.
func sourceChange(before, after fs.FileInfo) string {
	switch {
	case !os.SameFile(before, after):
		return "replaced by another file"
	case before.Size() != after.Size():
		return fmt.Sprintf("size %d → %d", before.Size(), after.Size())
	case !before.ModTime().Equal(after.ModTime()):
		return "modified at " + after.ModTime().Format(time.RFC3339Nano)
	}
	return ""
}
