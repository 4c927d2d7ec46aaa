package bench

import (
	"strings"
	"testing"
)

func TestPeakRSS(t *testing.T) {
	RequireGNUTime(t)
	kib, err := PeakRSS(nil, "sh", "-c", "echo to stderr >&2")
	if err != nil || kib <= 0 {
		t.Fatalf("PeakRSS = %v KiB, %v; want a positive peak (the program's own stderr comes before GNU time's line)", kib, err)
	}
	_, err = PeakRSS(nil, "sh", "-c", "echo why >&2; exit 3")
	if err == nil || !strings.Contains(err.Error(), "why") {
		t.Errorf("a failing program: err %v, want one holding its stderr", err)
	}
}
