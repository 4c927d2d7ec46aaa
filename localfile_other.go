//go:build !unix

// This file holds localfile.go's open flag on systems without named pipes
// in the file system: none is needed, the file's type is checked after.

package level3

import "os"

// openNonBlock is no flag at all here.
const openNonBlock = 0

// setBlocking has nothing to undo.
func setBlocking(*os.File) error { return nil }
