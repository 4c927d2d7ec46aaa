// This file holds what keeps local files from being traps: the files a
// download keeps (download_local.go) and an upload reads (upload.go) must
// be regular files, checked without blocking. The open flag that makes
// opening a named pipe return at once is in localfile_unix.go and
// localfile_other.go.

package level3

import "errors"

// ErrNotRegularFile is returned, in an [*fs.PathError] naming the file,
// when a file that must be a regular one is a named pipe, a device, a
// socket, a directory or (for the files a download keeps beside its
// destination) a symbolic link.
var ErrNotRegularFile = errors.New("level3: not a regular file")
