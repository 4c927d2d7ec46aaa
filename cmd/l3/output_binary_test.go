//go:build unix

package main

// The files l3 writes get the mode a new file gets from os.Create or
// curl -o: 0666 minus the umask, the same for `get -o` and `download`.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

// runBinaryUmask runs the built l3 with args under umask mask (octal), from
// a shell, and returns its exit code and stderr.
func runBinaryUmask(t *testing.T, mask string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", `umask ` + mask + ` && exec "$0" "$@"`, l3Binary(t)}, args...)...)
	cmd.Env = append(os.Environ(), cacheDirEnv+"="+t.TempDir())
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	err := cmd.Run()
	return cmd.ProcessState.ExitCode(), errOut.String() + func() string {
		if err != nil {
			return err.Error()
		}
		return ""
	}()
}

func TestBinaryOutputFilesHonourTheUmask(t *testing.T) {
	t.Parallel()
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	url := srv.URL + mocks.PathReport
	for mask, want := range map[string]os.FileMode{"022": 0o644, "002": 0o664, "077": 0o600, "027": 0o640} {
		dir := t.TempDir()
		got := filepath.Join(dir, "got.csv")
		code, errOut := runBinaryUmask(t, mask, "get", "-o", got, url)
		require.Equal(t, exitOK, code, errOut)
		dl := filepath.Join(dir, "dl.csv")
		code, errOut = runBinaryUmask(t, mask, "download", "-o", dl, url)
		require.Equal(t, exitOK, code, errOut)
		for _, path := range []string{got, dl} {
			fi, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, want, fi.Mode().Perm(), "umask %s: %s", mask, filepath.Base(path))
		}
		entries, _ := os.ReadDir(dir)
		assert.Len(t, entries, 2, "no part file left behind")
	}
}
