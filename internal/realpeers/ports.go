// This file holds how a server's ports are chosen: a free port of 127.0.0.1,
// reserved for as long as the server runs against every other process on
// the machine that uses this package (go test runs the packages' test
// binaries at the same time).
//
// Without the reservation, two processes could be handed the same free port
// (the first closes its probe before its server binds), and Caddy listens
// with SO_REUSEPORT: both Caddys then bind it, and the kernel shares the
// connections between them. That fits a CI failure where a clear-text
// request came back "HTTP/1.0 400 Bad Request", a Go TLS listener's answer
// to plain HTTP (TestCaddySharesItsPortsWithReusePort shows the port can be
// shared; the collision itself was not reproduced).

package realpeers

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/l3go/level3/internal/localfile"
)

// reserveTries bounds the ports tried for one reservation.
const reserveTries = 20

// portLocks is the directory of the lock files, one per port reserved. A
// file stays when its lock goes: removing it could let two processes lock two
// files of one name. They are empty, one per port ever used, in the system's
// temporary directory.
func portLocks() string { return filepath.Join(os.TempDir(), "realpeers-ports") }

// reservePort returns a free port of 127.0.0.1 that no other process using
// this package holds, holding it for s until s stops.
func (s *Server) reservePort() (int, error) {
	if err := os.MkdirAll(portLocks(), 0o777); err != nil {
		return 0, err
	}
	for range reserveTries {
		port, err := freePort()
		if err != nil {
			return 0, err
		}
		f, err := os.OpenFile(filepath.Join(portLocks(), strconv.Itoa(port)+".lock"), os.O_RDWR|os.O_CREATE, 0o666)
		if err != nil {
			return 0, err
		}
		if err := localfile.Lock(f); err != nil {
			f.Close() // another process holds it: try another port
			continue
		}
		s.mu.Lock()
		s.reserved = append(s.reserved, f)
		s.mu.Unlock()
		return port, nil
	}
	return 0, fmt.Errorf("no free port that no other process had reserved, in %d tries", reserveTries)
}

// release ends the reservations of s. s.mu is held.
func (s *Server) release() {
	for _, f := range s.reserved {
		f.Close() // the lock goes with it
	}
	s.reserved = nil
}
