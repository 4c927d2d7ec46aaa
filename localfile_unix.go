//go:build unix

// This file holds, on Unix systems, what localfile.go needs of the system:
// the open flag that keeps opening a named pipe from waiting for its other
// end, and the lock that keeps two downloads from writing the same partial
// file (download_local.go) and two runs from sharing an upload journal
// (journal.go): an advisory flock(2), released when the file is closed or
// the process ends.

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

// lockFile takes an exclusive lock on f without waiting.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}
