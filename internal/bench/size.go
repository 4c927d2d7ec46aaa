// This file holds Size, the size of the file a download benchmark moves,
// which L3_BENCH_MIB overrides for every benchmark at once.

package bench

import (
	"os"
	"strconv"
	"testing"
)

// Size returns the size in bytes of a benchmark's file: L3_BENCH_MIB MiB
// when the environment sets it, else def MiB. A value that is not a
// positive number fails tb.
func Size(tb testing.TB, def int) int64 {
	tb.Helper()
	if v := os.Getenv("L3_BENCH_MIB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			tb.Fatalf("L3_BENCH_MIB=%q: want a positive number", v)
		}
		def = n
	}
	return int64(def) << 20
}
