//go:build unix

// This file holds the process handling for Unix: each server runs in its own
// process group, so a server whose master does not stop in time is killed
// together with its workers. realpeers.go holds the rest.

package realpeers

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// stopTimeout bounds the stop (SIGTERM) before SIGKILL. Apache's master
// gives a child that has not exited on SIGTERM more of them, then SIGKILL
// at 9 s and gives up at 10 s (ap_reclaim_child_processes): under load a
// child busy with a connection took more than 5 s, so wait out Apache's own
// schedule.
const stopTimeout = 12 * time.Second

// process is one running server master process.
type process struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed once cmd.Wait returned
	waitErr error         // cmd.Wait's result, valid after exited is closed
	stopped bool          // stop was called
}

func supported() error { return nil }

// startProcess starts bin with args and env added to the environment in a
// new process group, its output appended to logPath.
func startProcess(bin string, args, env []string, logPath string) (*process, error) {
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.Env = append(append(os.Environ(), "LANG=C", "LC_ALL=C"), env...)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, err
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		out.Close()
		close(p.exited)
	}()
	return p, nil
}

// stop asks the master to stop (SIGTERM: nginx, Apache and Caddy then stop
// their workers and exit), and kills the whole process group with SIGKILL
// if it is still there after stopTimeout.
func (p *process) stop() error {
	if p.stopped {
		return nil
	}
	p.stopped = true
	select {
	case <-p.exited:
		return nil // it ended on its own (a failed start)
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return nil
	case <-time.After(stopTimeout):
	}
	// The master is not reaped yet, so its pid (the group id) is still ours.
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
	return fmt.Errorf("pid %d did not stop within %v of SIGTERM; killed its process group", p.cmd.Process.Pid, stopTimeout)
}
