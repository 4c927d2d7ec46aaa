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
// have used since it started: its master process, the workers it has now,
// and those it has reaped. Take it before and after a transfer to get the
// server's share. A process that ends between the two readings may be
// missed by one or both, so compare readings taken while the workers live.
func (s *Server) CPUTime() (time.Duration, error) {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil || p.cmd.Process == nil {
		return 0, errors.New("realpeers: the server is not running")
	}
	master := p.cmd.Process.Pid
	own, err := procTimes(master)
	if err != nil {
		return 0, err
	}
	total := own.user + own.system + own.reapedUser + own.reapedSystem
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if pid == master {
			continue
		}
		t, err := procTimes(pid)
		if err != nil || t.parent != master {
			continue // gone since the glob, or not a worker
		}
		total += t.user + t.system
	}
	return total, nil
}

// times are the fields of /proc/PID/stat that CPUTime reads.
type times struct {
	parent                                 int
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
// after the last ')'. From there, field 3 (state) comes first, so ppid
// (field 4) is at index 1 and utime, stime, cutime, cstime (fields 14-17)
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
	for k, idx := range []int{1, 11, 12, 13, 14} {
		v, err := strconv.ParseInt(string(f[idx]), 10, 64)
		if err != nil {
			return times{}, fmt.Errorf("realpeers: /proc stat field %d: %w", idx+3, err)
		}
		n[k] = v
	}
	return times{parent: int(n[0]), user: time.Duration(n[1]) * clockTick, system: time.Duration(n[2]) * clockTick,
		reapedUser: time.Duration(n[3]) * clockTick, reapedSystem: time.Duration(n[4]) * clockTick}, nil
}
