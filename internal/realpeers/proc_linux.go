// This file holds the Linux process attributes: besides its own process
// group, the server master gets SIGTERM if the test binary dies, so a crashed
// or killed test run leaves no servers behind. (Pdeathsig fires when the OS
// thread that started the process exits; Go only ends a thread when a
// goroutine exits locked to it, which the testing package does not do.)
// proc_unix.go holds the rest.

package realpeers

import "syscall"

func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
