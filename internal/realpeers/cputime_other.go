//go:build !linux

// This file holds Server.CPUTime where there is no /proc to read it from.

package realpeers

import (
	"errors"
	"time"
)

// CPUTime returns the CPU time the server's processes have used; it is only
// known on Linux (cputime_linux.go), and returns an error elsewhere.
func (s *Server) CPUTime() (time.Duration, error) {
	return 0, errors.New("realpeers: a server's CPU time is only read on Linux")
}
