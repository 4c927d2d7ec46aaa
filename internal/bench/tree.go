// This file holds Tree, the directory of files the upload benchmarks send.

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Tree writes n files of size bytes each (the same bytes, not all zeros)
// into a fresh directory, named f0000.dat, f0001.dat..., and returns the
// directory and the names.
func Tree(tb testing.TB, n, size int) (string, []string) {
	tb.Helper()
	dir := tb.TempDir()
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("f%04d.dat", i)
		if err := os.WriteFile(filepath.Join(dir, names[i]), data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir, names
}
