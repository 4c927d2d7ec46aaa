// This file holds the progress display of `l3 upload` and `l3 put` (see
// upload.go): one line on stderr, redrawn in place, only when stderr is a
// terminal.

package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/l3go/level3"
)

// redrawEvery is the least time between two redraws of the progress line.
const redrawEvery = 100 * time.Millisecond

// progressBar shows the files in flight on one line: each with its bytes
// sent, its total and share, then the rate of the whole run. A nil
// *progressBar (not a terminal) does nothing. It is safe for concurrent use.
type progressBar struct {
	w         io.Writer
	mu        sync.Mutex
	inFlight  map[string]level3.Progress
	finished  int
	doneBytes int64     // bytes sent by the files finished
	start     time.Time // when the first body byte went out
	last      time.Time
	shown     bool
	now       func() time.Time // nil: time.Now (tests set a clock)
}

// clock returns the time now.
func (b *progressBar) clock() time.Time {
	if b.now != nil {
		return b.now()
	}
	return time.Now()
}

// newProgressBar returns a bar drawing on w, or nil when w is not a terminal.
func newProgressBar(w io.Writer) *progressBar {
	if !isTerminal(w) {
		return nil
	}
	return &progressBar{w: w, inFlight: make(map[string]level3.Progress)}
}

// progressOf returns the progress callback of one upload, or nil without a
// bar: an upload without a callback need not count its bytes, and a file can
// then go by sendfile(2).
func (b *progressBar) progressOf(name string) func(level3.Progress) {
	if b == nil {
		return nil
	}
	return func(p level3.Progress) { b.update(name, p) }
}

// onProgress returns the BulkOptions.OnProgress of the bar, nil without one.
func (b *progressBar) onProgress() func(string, level3.Progress) {
	if b == nil {
		return nil
	}
	return b.update
}

// update records the progress of one file and redraws, at most every
// redrawEvery.
func (b *progressBar) update(name string, p level3.Progress) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inFlight[name] = p
	if b.start.IsZero() && p.Bytes > 0 {
		// The first report of a file's first bytes: they went out over its
		// Elapsed (0 in a first report, whose time is the start).
		b.start = b.clock().Add(-p.Elapsed)
	}
	if b.clock().Sub(b.last) >= redrawEvery {
		b.drawLocked()
	}
}

// done takes a finished file off the line.
func (b *progressBar) done(name string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.doneBytes += b.inFlight[name].Bytes
	delete(b.inFlight, name)
	b.finished++
}

// clear erases the line, so that other output starts on a clean one.
func (b *progressBar) clear() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shown {
		fmt.Fprint(b.w, "\r\033[K")
		b.shown = false
	}
}

// drawLocked redraws the line: files done (once there are some), each file
// in flight with its bytes, total and share, then the rate of the run: all
// the bytes sent since the first one went out, over that time, shown once
// there is a time to divide by. b.mu is held.
func (b *progressBar) drawLocked() {
	now := b.clock()
	b.last = now
	var parts []string
	if b.finished > 0 {
		parts = append(parts, fmt.Sprintf("%d done", b.finished))
	}
	sent := b.doneBytes
	for _, name := range slices.Sorted(maps.Keys(b.inFlight)) { // a steady order, not the map's
		p := b.inFlight[name]
		sent += p.Bytes
		parts = append(parts, shorten(inert(name), 24)+" "+progressText(p))
	}
	if rate, ok := rateOf(sent, now.Sub(b.start), !b.start.IsZero()); ok {
		parts = append(parts, rate)
	}
	fmt.Fprint(b.w, "\r\033[K"+shorten(strings.Join(parts, " | "), 120))
	b.shown = true
}

// progressText describes one transfer: "1.5 MiB of 4.0 MiB (37%)", or the
// bytes alone while the total is unknown.
func progressText(p level3.Progress) string {
	if p.Total <= 0 {
		return byteSize(p.Bytes)
	}
	return fmt.Sprintf("%s of %s (%.0f%%)", byteSize(p.Bytes), byteSize(p.Total), 100*float64(p.Bytes)/float64(p.Total))
}

// rateOf formats the rate of sent bytes over elapsed ("12.5 MiB/s"), and
// reports false while there is none to show: before the first byte, or
// before a millisecond has passed.
func rateOf(sent int64, elapsed time.Duration, started bool) (string, bool) {
	if !started || elapsed < time.Millisecond {
		return "", false
	}
	return byteSize(int64(float64(sent)/elapsed.Seconds())) + "/s", true
}

// shorten cuts s to at most n runes, marking the cut with "…".
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
