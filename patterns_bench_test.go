package level3

import "testing"

// BenchmarkPagesLongURLs reports the heap in use at the 600th page of a walk
// whose URLs are 1 MiB each (go test -run '^$' -bench BenchmarkPagesLongURLs
// -benchtime 1x .).
func BenchmarkPagesLongURLs(b *testing.B) {
	for range b.N {
		b.ReportMetric(float64(walkRetained(b, 600, 1<<20))/(1<<20), "retained-MiB")
	}
}
