//go:build !unix

// This file holds what localfile.go needs of systems without named pipes in
// the file system or flock(2): no open flag (the file's type is checked
// after), and no lock, so that two downloads to the same file, or two runs
// on one upload journal, are not detected.

package localfile

import "os"

// openNonBlock is no flag at all here.
const openNonBlock = 0

// setBlocking has nothing to undo.
func setBlocking(*os.File) error { return nil }

// Lock does nothing on this system.
func Lock(*os.File) error { return nil }
