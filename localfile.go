// This file holds what keeps local files from being traps: the files a
// download keeps (download_local.go), an upload reads (upload.go) and the
// upload journal (journal.go) must be regular files, and are checked
// without ever blocking: by their directory entry first (Lstat, Stat), then
// by the open file itself, opened with the flag that makes a named pipe
// return at once. The system's side, with the file lock, is in
// localfile_unix.go and localfile_other.go.

package level3

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrNotRegularFile is returned, in an [*fs.PathError] naming the file,
// when a file that must be a regular one is a named pipe, a device, a
// socket, a directory or (for the files a download keeps beside its
// destination) a symbolic link. Nothing is opened that could block.
var ErrNotRegularFile = errors.New("level3: not a regular file")

// errNotDirectory is the error of a download whose destination directory
// is not one.
var errNotDirectory = errors.New("level3: not a directory")

// notRegular returns the error for the file at path, of mode m, found
// where a regular file must be.
func notRegular(op, path string, m fs.FileMode) error {
	kind := "of mode " + m.Type().String()
	switch {
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeSymlink != 0:
		kind = "a symbolic link"
	}
	return &fs.PathError{Op: op, Path: path, Err: fmt.Errorf("%w (it is %s)", ErrNotRegularFile, kind)}
}

// openRegular opens a file with open, adding openNonBlock to flag so that a
// named pipe put there since it was last checked cannot block the open,
// and returns it, back in blocking mode, with what it is, only when it is
// a regular file. op and path name it in errors.
func openRegular(op, path string, flag int, open func(flag int) (*os.File, error)) (*os.File, fs.FileInfo, error) {
	f, err := open(flag | openNonBlock)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = notRegular(op, path, fi.Mode())
	}
	if err == nil {
		err = setBlocking(f)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}
