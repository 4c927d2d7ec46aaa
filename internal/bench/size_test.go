package bench

import "testing"

func TestSize(t *testing.T) {
	t.Setenv("L3_BENCH_MIB", "")
	if got := Size(t, 256); got != 256<<20 {
		t.Errorf("default: %d, want %d", got, 256<<20)
	}
	t.Setenv("L3_BENCH_MIB", "16")
	if got := Size(t, 256); got != 16<<20 {
		t.Errorf("L3_BENCH_MIB=16: %d, want %d", got, 16<<20)
	}
}
