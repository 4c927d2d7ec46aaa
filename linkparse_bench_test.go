package level3_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/l3go/level3"
)

// tenLinks is a realistic 10-link Level 3 header for the benchmark.
var tenLinks = func() []string {
	var b strings.Builder
	for i := 1; i <= 8; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		b.WriteString(`</orders/` + string(rune('0'+i)) + `>; rel="` + listEntry + `"; title="Order number ` + string(rune('0'+i)) + `"`)
	}
	return []string{b.String(), `</orders?page=2>; rel="` + pageNext + `"; type="application/json", </orders?page=2>; rel=next`}
}()

func BenchmarkParseLinks(b *testing.B) {
	base, _ := url.Parse("https://api.example.com/orders?page=1")
	links, err := level3.ParseLinks(tenLinks, base)
	if err != nil || len(links) != 10 {
		b.Fatalf("got %d links, %v", len(links), err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := level3.ParseLinks(tenLinks, base); err != nil {
			b.Fatal(err)
		}
	}
}
