// This file holds what keeps local files from being traps, as the package
// shows it: ErrNotRegularFile. The files a download keeps
// (download_local.go), an upload reads (upload.go) and the upload journal
// must be regular files, checked without ever blocking by
// internal/localfile, which also holds the file lock.

package level3

import (
	"errors"

	"github.com/l3go/level3/internal/localfile"
)

// ErrNotRegularFile is returned, in an [*fs.PathError] naming the file,
// when a file that must be a regular one is a named pipe, a device, a
// socket, a directory or (for the files a download keeps beside its
// destination) a symbolic link. Nothing is opened that could block.
var ErrNotRegularFile = localfile.ErrNotRegular

// errNotDirectory is the error of a download whose destination directory
// is not one.
var errNotDirectory = errors.New("level3: not a directory")
