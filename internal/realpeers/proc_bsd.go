//go:build unix && !linux

// This file holds the process attributes for Unix systems other than Linux:
// the server runs in its own process group. proc_unix.go holds the rest.

package realpeers

import "syscall"

func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
