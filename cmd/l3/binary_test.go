package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The CLI's trust rules (what it prints, what it refuses, how it exits) are
// tested through the built binary as a user runs it, not only through run().

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	binaryDir  string
)

// l3Binary builds the l3 binary once per test process and returns its path.
// It is removed by TestMain's cleanup with the rest of the temporary cache.
func l3Binary(t testing.TB) string {
	t.Helper()
	binaryOnce.Do(func() {
		binaryDir, binaryErr = os.MkdirTemp("", "l3-bin-")
		if binaryErr != nil {
			return
		}
		binaryPath = filepath.Join(binaryDir, "l3")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if binaryErr != nil {
		t.Fatalf("building l3: %v", binaryErr)
	}
	return binaryPath
}

// runBinary runs the built l3 with args, an empty stdin and the test's own
// cache directory, bounded by timeout, and returns its exit code and output.
func runBinary(t testing.TB, timeout time.Duration, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runBinaryIn(t, t.TempDir(), timeout, args...)
}

// runBinaryIn is runBinary with the cache directory cache.
func runBinaryIn(t testing.TB, cache string, timeout time.Duration, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	bin := l3Binary(t) // built before the clock starts: timeout is the run's
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), cacheDirEnv+"="+cache)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("l3 %q did not finish within %v\nstdout: %s\nstderr: %s", args, timeout, out.String(), errOut.String())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("running l3: %v", err)
	}
	return code, out.String(), errOut.String()
}

func TestBinaryRunsHelp(t *testing.T) {
	code, out, _ := runBinary(t, time.Minute, "help")
	if code != exitOK || !bytes.Contains([]byte(out), []byte("discover URL")) {
		t.Fatalf("l3 help: code %d, output %q", code, out)
	}
}
