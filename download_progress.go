// This file holds the progress reporting of a download
// (DownloadOptions.Progress): the Progress value, and the meter that counts
// bytes with one atomic add per buffer and, only when a Progress function is
// set, runs the goroutine that calls it. The download is in download.go.

package level3

import (
	"sync/atomic"
	"time"
)

// Progress is a snapshot of a running transfer, a download
// ([DownloadOptions].Progress) or an upload ([UploadOptions].Progress).
type Progress struct {
	// Bytes is how much has been transferred. For a download: how much of
	// the content is on disk, including bytes kept from an earlier attempt;
	// it can go down when the content changed and the download started
	// over. For an upload: how many body bytes the transport has taken; it
	// counts from 0 again when a retry or a 417 sends the body anew, and
	// stays 0 while a preflight waits for 100 Continue.
	Bytes int64
	// Total is the length of the content or body, or -1 while unknown.
	Total int64
	// Rate is the transfer rate in bytes per second: over the last few
	// seconds for a download, over Elapsed for an upload (0 until known).
	Rate float64
	// Elapsed is the time since the transfer started.
	Elapsed time.Duration
	// Done reports that an upload's whole body has been taken by the
	// transport (the server's answer is still to come). Downloads report
	// completion by returning.
	Done bool
}

// rateWindow is how far back Progress.Rate looks.
const rateWindow = 3 * time.Second

// progressMeter counts the bytes of a download. add and set are safe for
// concurrent use by the download's connections.
type progressMeter struct {
	bytes atomic.Int64
	total atomic.Int64
	base  atomic.Int64 // bytes on disk when the transfer started (first set)
	start time.Time

	fn       func(Progress)
	interval time.Duration
	stop     chan struct{}
	done     chan struct{}
	samples  []rateSample // ring, owned by the reporting goroutine
	next     int
}

type rateSample struct {
	at    time.Time
	bytes int64
}

// newProgressMeter returns a meter; with fn set, it starts the goroutine
// that calls fn every interval until finish.
func newProgressMeter(fn func(Progress), interval time.Duration) *progressMeter {
	m := &progressMeter{start: time.Now(), fn: fn, interval: interval}
	m.total.Store(-1)
	m.base.Store(-1)
	if fn == nil {
		return m
	}
	n := int(rateWindow/interval) + 1
	m.samples = make([]rateSample, 0, min(max(n, 2), 64))
	m.stop, m.done = make(chan struct{}), make(chan struct{})
	go m.run()
	return m
}

// add counts n more bytes on disk.
func (m *progressMeter) add(n int) { m.bytes.Add(int64(n)) }

// set says that n bytes are on disk (after a resume or a restart), and the
// content is total bytes long (-1 unknown).
func (m *progressMeter) set(n, total int64) {
	m.base.CompareAndSwap(-1, n)
	m.bytes.Store(n)
	m.total.Store(total)
}

// run calls fn every interval until stop is closed.
func (m *progressMeter) run() {
	defer close(m.done)
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case now := <-t.C:
			m.fn(m.snapshot(now))
		}
	}
}

// snapshot records a sample and returns the progress at now. Only the
// reporting goroutine (or finish, after it ended) calls it.
func (m *progressMeter) snapshot(now time.Time) Progress {
	p := Progress{Bytes: m.bytes.Load(), Total: m.total.Load(), Elapsed: now.Sub(m.start)}
	s := rateSample{at: now, bytes: p.Bytes}
	if len(m.samples) > 0 && p.Bytes < m.samples[(m.next+len(m.samples)-1)%len(m.samples)].bytes {
		m.samples, m.next = m.samples[:0], 0 // started over: the old samples say nothing
	}
	oldest := s
	if len(m.samples) < cap(m.samples) {
		if len(m.samples) > 0 {
			oldest = m.samples[0]
		}
		m.samples = append(m.samples, s)
	} else {
		oldest = m.samples[m.next]
		m.samples[m.next] = s
		m.next = (m.next + 1) % len(m.samples)
	}
	if d := now.Sub(oldest.at); d > 0 {
		p.Rate = float64(p.Bytes-oldest.bytes) / d.Seconds()
	}
	return p
}

// finish stops the reporting goroutine and waits for it; when the download
// succeeded it reports the final state once more.
func (m *progressMeter) finish(ok bool) {
	if m.fn == nil {
		return
	}
	close(m.stop)
	<-m.done
	if ok {
		p := m.snapshot(time.Now())
		if gained := p.Bytes - max(m.base.Load(), 0); p.Rate == 0 && gained > 0 && p.Elapsed > 0 {
			p.Rate = float64(gained) / p.Elapsed.Seconds() // too short for the window: the average
		}
		m.fn(p)
	}
}
