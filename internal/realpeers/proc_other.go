//go:build !unix

// This file makes the package build, and its tests skip, on systems that are
// not Unix: the server configurations assume Unix paths, users and signals.

package realpeers

import (
	"errors"
	"os/exec"
)

type process struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

func supported() error { return errors.New("real servers are only started on Unix") }

func startProcess(string, []string, []string, string) (*process, error) { return nil, supported() }

func (p *process) stop() error { return nil }
