//go:build unix

// This file holds, on Unix systems, what localfile.go needs of the system:
// the open flag that keeps opening a named pipe from waiting for its other
// end, and Lock, an advisory flock(2), released when the file is closed or
// the process ends.

package localfile

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

// Lock takes an exclusive lock on f without waiting: it fails at once when
// another holds it. The lock goes with the file's closing.
func Lock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}
