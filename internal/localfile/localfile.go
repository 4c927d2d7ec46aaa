// Package localfile keeps the files level3 opens on the local machine from
// being traps: a file that must be a regular one (the file an upload reads,
// the upload journal, the files a download keeps) is checked without ever
// blocking, by the open file itself, opened with the flag that makes a named
// pipe return at once; and a file can be locked against another writer,
// in this process or another. The system's side is in localfile_unix.go and
// localfile_other.go.
package localfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrNotRegular is wrapped, in an *fs.PathError naming the file, by the
// error for a file that must be a regular one and is a named pipe, a
// device, a socket, a directory or a symbolic link. The root package
// exports it as ErrNotRegularFile.
var ErrNotRegular = errors.New("level3: not a regular file")

// NotRegular returns the error of operation op for the file at path, of
// mode m, found where a regular file must be.
func NotRegular(op, path string, m fs.FileMode) error {
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
	return &fs.PathError{Op: op, Path: path, Err: fmt.Errorf("%w (it is %s)", ErrNotRegular, kind)}
}

// OpenRegular opens a file with open, adding the flag that keeps a named
// pipe put there since it was last checked from blocking the open, and
// returns it, back in blocking mode, with what it is, only when it is a
// regular file; anything else is closed and refused with NotRegular. op
// and path name the file in errors.
func OpenRegular(op, path string, flag int, open func(flag int) (*os.File, error)) (*os.File, fs.FileInfo, error) {
	f, err := open(flag | openNonBlock)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = NotRegular(op, path, fi.Mode())
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
