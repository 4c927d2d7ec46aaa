package realpeers

import (
	"context"
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/sys/unix"
)

// TestCaddySharesItsPortsWithReusePort records why ports are reserved
// (ports.go): Caddy listens with SO_REUSEPORT, so a second listener with it
// binds the same port while Caddy runs, and the kernel would share Caddy's
// connections with it. nginx (without its reuseport option) does not.
func TestCaddySharesItsPortsWithReusePort(t *testing.T) {
	reuse := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) }); err != nil {
			return err
		}
		return serr
	}}
	bindSame := func(url string) error {
		_, port, err := net.SplitHostPort(url[len("http://"):])
		if err != nil {
			return err
		}
		l, err := reuse.Listen(context.Background(), "tcp", net.JoinHostPort("127.0.0.1", port))
		if err == nil {
			l.Close()
		}
		return err
	}
	caddy := Caddy(t)
	assert.NoError(t, bindSame(caddy.URL), "Caddy's port can be bound again with SO_REUSEPORT")
	nginx := Nginx(t)
	assert.Error(t, bindSame(nginx.URL), "nginx's cannot")
}
