// This file holds Server.CPUTime on Linux, read from /proc: what a
// benchmark needs to tell a client that is slow from a server that is busy
// (on one machine the two share its cores). cputime_other.go has the rest.

package realpeers

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// clockTick is the unit of the times in /proc/PID/stat (USER_HZ), which
// Linux fixes at 100 per second for every architecture's user ABI.
const clockTick = time.Second / 100

// CPUTime returns the CPU time (user and system) the server's processes
// have used since it started: every process of its process group (the
// master and its workers, and theirs; servers start in a group of their
// own) and those they have reaped. Take it before and after a transfer to
// get the server's share. A process that ends between the two readings may
// be missed by one or both, so compare readings taken while the workers
// live.
func (s *Server) CPUTime() (time.Duration, error) {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil || p.cmd.Process == nil {
		return 0, errors.New("realpeers: the server is not running")
	}
	group := p.cmd.Process.Pid // the master leads the group
	var total time.Duration
	leader := false
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		t, err := procTimes(pid)
		if err != nil || t.group != group {
			continue // gone since the glob, or not the server's
		}
		leader = leader || pid == group
		total += t.user + t.system + t.reapedUser + t.reapedSystem
	}
	if !leader {
		return 0, fmt.Errorf("realpeers: the server's master process %d is gone", group)
	}
	return total, nil
}

// times are the fields of /proc/PID/stat that CPUTime reads.
type times struct {
	group                                  int // process group ID
	user, system, reapedUser, reapedSystem time.Duration
}

// procTimes reads /proc/PID/stat.
func procTimes(pid int) (times, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return times{}, err
	}
	return parseStat(b)
}

// parseStat parses a /proc/PID/stat line (proc(5)). The command name, in
// parentheses, may hold spaces and parentheses itself: the fields start
// after the last ')'. From there, field 3 (state) comes first, so pgrp
// (field 5) is at index 2 and utime, stime, cutime, cstime (fields 14-17)
// at 11-14.
func parseStat(b []byte) (times, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return times{}, errors.New("realpeers: /proc stat line without a command name")
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 15 {
		return times{}, fmt.Errorf("realpeers: /proc stat line with %d fields after the name, want at least 15", len(f))
	}
	var n [5]int64
	for k, idx := range []int{2, 11, 12, 13, 14} {
		v, err := strconv.ParseInt(string(f[idx]), 10, 64)
		if err != nil {
			return times{}, fmt.Errorf("realpeers: /proc stat field %d: %w", idx+3, err)
		}
		n[k] = v
	}
	return times{group: int(n[0]), user: time.Duration(n[1]) * clockTick, system: time.Duration(n[2]) * clockTick,
		reapedUser: time.Duration(n[3]) * clockTick, reapedSystem: time.Duration(n[4]) * clockTick}, nil
}
