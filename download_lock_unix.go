//go:build unix

// This file holds the lock that keeps two downloads from writing the same
// partial file (download_local.go), on Unix systems: an advisory flock(2),
// released when the file is closed or the process ends.

package level3

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on f without waiting.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}
