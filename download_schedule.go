// This file holds the scheduler of parallel ranges (download_parallel.go):
// the spans of the content, who works on which, work stealing, and the
// snapshot the sidecar (download_local.go) saves. It does no I/O.

package level3

import "sync"

// span is a range [start, end) of the content, of which the first done
// bytes are on disk. Its fields are guarded by the scheduler's mutex.
type span struct {
	start, end, done int64
	taken            bool // a connection works on it
}

// scheduler hands spans to the connections of a parallel download. It is
// safe for concurrent use.
type scheduler struct {
	mu       sync.Mutex
	total    int64
	minSteal int64   // the least taken from a running span
	spans    []*span // unfinished spans, in no particular order
}

// newScheduler returns a scheduler for content of total bytes, of which
// [0, next) was handed out before (the unfinished parts of it are given
// by parts) and [next, total) was not: that is split into one span per
// connection not busy with an old part (but into no spans smaller than
// minSteal).
func newScheduler(total, next int64, parts []sidecarPart, conns int, minSteal int64) *scheduler {
	s := &scheduler{total: total, minSteal: max(minSteal, 1)}
	for _, p := range parts {
		if p.Start+p.Done < p.End {
			s.spans = append(s.spans, &span{start: p.Start, end: p.End, done: p.Done})
		}
	}
	if rest := total - next; rest > 0 {
		k := int64(max(conns-len(s.spans), 1))
		k = max(min(k, rest/s.minSteal), 1)
		// Sizes differ by at most one byte; no product can overflow, even
		// for a total of 2^63-1.
		size, extra := rest/k, rest%k
		for i, start := int64(0), next; i < k; i++ {
			end := start + size
			if i < extra {
				end++
			}
			s.spans = append(s.spans, &span{start: start, end: end})
			start = end
		}
	}
	return s
}

// take returns a span for an idle connection: one nobody works on, else
// the second half of the span with the most bytes left (when that is at
// least 2·minSteal), else nil: the connection can stop.
func (s *scheduler) take() *span {
	s.mu.Lock()
	defer s.mu.Unlock()
	var victim *span
	for _, sp := range s.spans {
		if !sp.taken && sp.start+sp.done < sp.end {
			sp.taken = true
			return sp
		}
		if sp.taken && (victim == nil || sp.left() > victim.left()) {
			victim = sp
		}
	}
	if victim == nil || victim.left() < 2*s.minSteal {
		return nil
	}
	pos := victim.start + victim.done
	mid := pos + victim.left()/2
	thief := &span{start: mid, end: victim.end, taken: true}
	victim.end = mid
	s.spans = append(s.spans, thief)
	return thief
}

// left returns the bytes of sp not on disk yet.
func (sp *span) left() int64 { return sp.end - sp.start - sp.done }

// position returns the next byte sp needs and its end.
func (s *scheduler) position(sp *span) (pos, end int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sp.start + sp.done, sp.end
}

// remaining returns the bytes sp still needs.
func (s *scheduler) remaining(sp *span) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sp.left()
}

// advance records n more bytes of sp on disk and returns how many of them
// belong to sp (fewer when a thief moved its end meanwhile).
func (s *scheduler) advance(sp *span, n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := min(int64(n), sp.left())
	sp.done += got
	return int(got)
}

// release gives sp back after its connection failed.
func (s *scheduler) release(sp *span) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp.taken = false
}

// complete forgets sp, which is on disk.
func (s *scheduler) complete(sp *span) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.spans {
		if x == sp {
			s.spans = append(s.spans[:i], s.spans[i+1:]...)
			return
		}
	}
}

// frontier returns the length of the complete prefix of the content.
func (s *scheduler) frontier() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.total
	for _, sp := range s.spans {
		if sp.left() > 0 {
			f = min(f, sp.start+sp.done)
		}
	}
	return f
}

// onDisk returns how many bytes of the content are on disk.
func (s *scheduler) onDisk() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.total
	for _, sp := range s.spans {
		n -= sp.left()
	}
	return n
}

// snapshot returns the state for the sidecar: everything is handed out
// (next is the total) and parts lists the unfinished spans.
func (s *scheduler) snapshot() (next int64, parts []sidecarPart) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sp := range s.spans {
		if sp.left() > 0 {
			parts = append(parts, sidecarPart{Start: sp.start, End: sp.end, Done: sp.done})
		}
	}
	return s.total, parts
}
