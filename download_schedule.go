// This file holds the scheduler of parallel ranges (download_parallel.go):
// the spans of the content, who works on which, the requests in flight,
// work stealing, and the snapshot the sidecar (download_local.go) saves. It
// does no I/O.

package level3

import "sync"

// span is a range [start, end) of the content, of which the first done
// bytes are on disk. Its fields are guarded by the scheduler's mutex.
type span struct {
	start, end, done int64
	// asked is the end of the range the request in flight for the span
	// asked for (0: none): bytes the server may be sending already, which
	// no other connection may take.
	asked int64
	taken bool // a connection works on it
}

// scheduler hands spans to the connections of a parallel download. It is
// safe for concurrent use.
type scheduler struct {
	mu       sync.Mutex
	total    int64
	minSteal int64         // the least taken from a running span
	spans    []*span       // unfinished spans, in no particular order
	changed  chan struct{} // closed (and replaced) when a request ends or a span is given back or done
}

// newScheduler returns a scheduler for content of total bytes, of which
// [0, next) was handed out before (the unfinished parts of it are given
// by parts) and [next, total) was not: that is split into one span per
// connection not busy with an old part (but into no spans smaller than
// minSteal).
func newScheduler(total, next int64, parts []sidecarPart, conns int, minSteal int64) *scheduler {
	s := &scheduler{total: total, minSteal: max(minSteal, 1), changed: make(chan struct{})}
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
// the end of the span from which the most can be taken (steal), when that
// is at least minSteal and the victim keeps some. Otherwise it returns a
// nil span and, while some span's request in flight may yet leave enough
// to steal (it may fail, or be followed by a smaller one), a channel that
// is closed when that could have changed, to call take again; or two nils:
// the connection can stop.
func (s *scheduler) take() (*span, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var victim *span
	most := int64(0)
	later := false
	for _, sp := range s.spans {
		if !sp.taken && sp.start+sp.done < sp.end {
			sp.taken = true
			return sp, nil
		}
		if n := sp.end - sp.cut(); sp.taken && n > most && sp.cut() > sp.start+sp.done {
			victim, most = sp, n
		}
		later = later || sp.asked != 0 && sp.left() >= 2*s.minSteal
	}
	if victim == nil || most < s.minSteal {
		if later {
			return nil, s.changed
		}
		return nil, nil
	}
	cut := victim.cut()
	thief := &span{start: cut, end: victim.end, taken: true}
	victim.end = cut
	s.spans = append(s.spans, thief)
	return thief, nil
}

// notifyLocked wakes the connections waiting for something to take.
func (s *scheduler) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// cut returns where a thief would split sp: halfway through the bytes it
// still needs, but never inside the range of its request in flight, so
// the victim stops where its request ends and the thief starts there: no
// byte is sent twice.
func (sp *span) cut() int64 {
	pos := sp.start + sp.done
	return min(max(sp.asked, pos+(sp.end-pos)/2), sp.end)
}

// ask records that sp's connection requests its next bytes, at most want
// of them (all when want ≤ 0, or when what would be left is less than
// minSteal: too little to take), and returns the range [pos, end) to ask
// for. No thief takes any of it until settle.
func (s *scheduler) ask(sp *span, want int64) (pos, end int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pos, end = sp.start+sp.done, sp.end
	if want > 0 && end-pos-want >= s.minSteal {
		end = pos + want
	}
	sp.asked = end
	return pos, end
}

// settle records that the request for sp is over.
func (s *scheduler) settle(sp *span) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp.asked = 0
	s.notifyLocked()
}

// left returns the bytes of sp not on disk yet.
func (sp *span) left() int64 { return sp.end - sp.start - sp.done }

// remaining returns the bytes sp still needs.
func (s *scheduler) remaining(sp *span) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sp.left()
}

// advance records n more bytes of sp on disk and returns how many of them
// belong to sp (fewer only if the span ended before them, which ask and
// cut rule out).
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
	sp.taken, sp.asked = false, 0
	s.notifyLocked()
}

// complete forgets sp, which is on disk.
func (s *scheduler) complete(sp *span) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.spans {
		if x == sp {
			s.spans = append(s.spans[:i], s.spans[i+1:]...)
			break
		}
	}
	s.notifyLocked()
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
