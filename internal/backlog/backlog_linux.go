// This file holds the Linux implementation: listen(2) with a backlog of 0
// accepts one pending connection, which Full makes, and drops the SYNs of
// the rest (net.ipv4.tcp_abort_on_overflow is 0 by default).

package backlog

import (
	"net"
	"strconv"
	"syscall"
	"testing"
)

// Full returns "127.0.0.1:PORT" of a listener that never accepts and whose
// accept queue is already full: a dial to it hangs until its timeout. The
// listener is closed when tb ends.
func Full(tb testing.TB) string {
	tb.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatalf("backlog: socket: %v", err)
	}
	tb.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		tb.Fatalf("backlog: bind: %v", err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		tb.Fatalf("backlog: listen: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		tb.Fatalf("backlog: getsockname: %v", err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	filler, err := net.Dial("tcp", addr) // takes the only place in the queue
	if err != nil {
		tb.Fatalf("backlog: filling the queue: %v", err)
	}
	tb.Cleanup(func() { _ = filler.Close() })
	return addr
}
