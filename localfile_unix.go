//go:build unix

// This file holds, on Unix systems, the open flag of localfile.go that
// keeps opening a named pipe from waiting for its other end.

package level3

import (
	"os"
	"syscall"
)

// openNonBlock makes open(2) of a named pipe return at once instead of
// waiting for a writer (or a reader); regular files are not affected.
const openNonBlock = syscall.O_NONBLOCK

// setBlocking clears O_NONBLOCK on a file found to be regular.
func setBlocking(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return serr
}
