package level3

// Fuzzing of the range arithmetic of downloads: the scheduler's spans, and
// the sidecar a later call reads back (a claim from disk: any numbers at
// all). The content-range parser is fuzzed in contentrange_test.go.

import (
	"cmp"
	"encoding/json"
	"slices"
	"testing"
)

// FuzzScheduler checks that the spans of a parallel download tile the
// missing bytes exactly, with no empty or overlapping span, for any length
// up to 2^63-1, and still do after work is stolen; and that no steal takes
// bytes a request in flight asked for (which would be sent twice).
func FuzzScheduler(f *testing.F) {
	f.Add(int64(8<<20), int64(0), 4, int64(256<<10), 3, int64(0))
	f.Add(int64(8<<20), int64(0), 4, int64(256<<10), 9, int64(1<<20))
	f.Add(int64(1<<63-1), int64(0), 4, int64(256<<10), 5, int64(4<<20))
	f.Add(int64(1<<63-1), int64(1<<62), 16, int64(1), 8, int64(1<<62))
	f.Add(int64(10), int64(3), 16, int64(1), 2, int64(1))
	f.Fuzz(func(t *testing.T, total, next int64, conns int, steal int64, takes int, want int64) {
		if total < 0 || next < 0 || next > total || conns < 1 || conns > MaxConnections || steal < 1 || steal > 1<<40 {
			return
		}
		s := newScheduler(total, next, nil, conns, steal)
		asked := map[*span][2]int64{} // the requests in flight: [pos, end)
		for i := 0; i < min(max(takes, 0), 32); i++ {
			sp, _ := s.take()
			if sp == nil {
				break
			}
			for other, r := range asked {
				if sp.start < r[1] && r[0] < sp.end {
					t.Fatalf("stole [%d,%d), which overlaps [%d,%d) in flight", sp.start, sp.end, r[0], r[1])
				}
				if other.end < r[1] {
					t.Fatalf("a span ends at %d, inside its request in flight [%d,%d)", other.end, r[0], r[1])
				}
			}
			pos, end := s.ask(sp, want)
			if pos != sp.start+sp.done || end > sp.end || end < pos || want > 0 && end-pos > want && sp.end-pos-want >= steal {
				t.Fatalf("span [%d,%d) done %d, want %d: asked [%d,%d)", sp.start, sp.end, sp.done, want, pos, end)
			}
			got := s.advance(sp, int(min((end-pos)/3, 1<<20)))
			if i%3 == 2 {
				s.settle(sp) // the request ended early: all of the rest can be taken
				delete(asked, sp)
			} else {
				asked[sp] = [2]int64{pos + int64(got), end}
			}
		}
		spans := slices.Clone(s.spans)
		slices.SortFunc(spans, func(a, b *span) int { return cmp.Compare(a.start, b.start) })
		at := next
		for _, sp := range spans {
			if sp.start != at || sp.end <= sp.start || sp.done < 0 || sp.done > sp.end-sp.start || sp.asked != 0 && (sp.asked < sp.start+sp.done || sp.asked > sp.end) {
				t.Fatalf("total %d next %d: span [%d,%d) done %d asked %d after %d", total, next, sp.start, sp.end, sp.done, sp.asked, at)
			}
			at = sp.end
		}
		if at != total && len(spans) > 0 || len(spans) == 0 && next != total {
			t.Fatalf("total %d next %d: spans end at %d", total, next, at)
		}
		if f := s.frontier(); f < next || f > total {
			t.Fatalf("frontier %d outside [%d, %d]", f, next, total)
		}
		if n := s.onDisk(); n < next || n > total {
			t.Fatalf("on disk %d outside [%d, %d]", n, next, total)
		}
	})
}

// FuzzSidecar checks that a sidecar read from disk, whatever its numbers,
// is either refused or gives positions within the content: what the file
// holds, what it claims, and the spans a parallel download resumes.
func FuzzSidecar(f *testing.F) {
	f.Add([]byte(`{"total":1000,"next":400}`), int64(500))
	f.Add([]byte(`{"total":1000,"parallel":true,"next":1000,"parts":[{"start":200,"end":500,"done":100}]}`), int64(1000))
	f.Add([]byte(`{"total":9223372036854775807,"parallel":true,"next":9223372036854775807,"parts":[{"start":9223372036854775806,"end":9223372036854775807,"done":1}]}`), int64(10))
	f.Add([]byte(`{"total":-1,"next":5,"sha256_at":3}`), int64(5))
	f.Add([]byte(`{"total":100,"parallel":true,"next":100,"parts":[{"start":0,"end":100},{"start":50,"end":100,"done":10}]}`), int64(100))
	fresh := newSidecar("http://h/f", "http://h/f")
	f.Fuzz(func(t *testing.T, data []byte, size int64) {
		var s sidecar
		if json.Unmarshal(data, &s) != nil || size < 0 {
			return
		}
		s.Kind, s.Version, s.URLSHA256 = fresh.Kind, fresh.Version, fresh.URLSHA256
		if !s.fits(fresh) {
			return
		}
		have, end, onDisk := s.contiguous(size), s.claimedEnd(), s.onDisk()
		limit := s.Next
		if s.Total >= 0 {
			limit = max(limit, s.Total)
		}
		switch {
		case have < 0 || have > size || s.Total >= 0 && have > s.Total:
			t.Fatalf("%s, size %d: contiguous %d", data, size, have)
		case end < 0 || end > s.Next:
			t.Fatalf("%s: claimed end %d", data, end)
		case onDisk < 0 || onDisk > limit:
			t.Fatalf("%s: on disk %d", data, onDisk)
		}
		if s.Parallel {
			sched := newScheduler(s.Total, s.Next, s.Parts, 4, minSteal)
			for _, sp := range sched.spans {
				if sp.start < 0 || sp.end > s.Total || sp.start+sp.done > sp.end {
					t.Fatalf("%s: span [%d,%d) done %d", data, sp.start, sp.end, sp.done)
				}
			}
		}
	})
}
