// Package bench holds what the benchmarks of several packages share: the
// trees of files they upload (Tree, tree.go) and the measure of the
// programs they start (PeakRSS, here).
//
// The peak memory of a program (l3, curl) is read through GNU time: the
// rusage os/exec returns will not do, because Go starts children with
// vfork and the kernel then records the RSS of the memory a child leaves
// at exec, the benchmark's own, as the child's peak (14 MiB shown for a
// run GNU time put at 12).
package bench

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// GNUTime is where Debian's GNU time is installed (apt-get install time).
const GNUTime = "/usr/bin/time"

// RequireGNUTime skips tb when GNU time is not installed.
func RequireGNUTime(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(GNUTime); err != nil {
		tb.Skip("GNU time (" + GNUTime + ") not installed: apt-get install time")
	}
}

// PeakRSS runs name with args, with env as its whole environment (nil: the
// benchmark's), and returns its peak resident set size in KiB. A failure
// of the program returns its standard error in the error.
func PeakRSS(env []string, name string, args ...string) (float64, error) {
	var stderr strings.Builder
	cmd := exec.Command(GNUTime, append([]string{"-f", "%M", name}, args...)...)
	cmd.Env = env
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %v\n%s", name, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	kib, err := strconv.ParseFloat(lines[len(lines)-1], 64)
	if err != nil {
		return 0, fmt.Errorf("%s: reading GNU time's output %q: %v", name, stderr.String(), err)
	}
	return kib, nil
}
