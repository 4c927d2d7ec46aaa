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

// progressBar shows the files in flight on one line. A nil *progressBar (not
// a terminal) does nothing. It is safe for concurrent use.
type progressBar struct {
	w        io.Writer
	mu       sync.Mutex
	inFlight map[string]level3.Progress
	finished int
	last     time.Time
	shown    bool
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
	if time.Since(b.last) >= redrawEvery {
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

// drawLocked redraws the line: files done, then each file in flight. b.mu
// is held.
func (b *progressBar) drawLocked() {
	b.last = time.Now()
	var line strings.Builder
	fmt.Fprintf(&line, "%d done", b.finished)
	var rate float64
	for _, name := range slices.Sorted(maps.Keys(b.inFlight)) { // a steady order, not the map's
		p := b.inFlight[name]
		rate += p.Rate
		switch {
		case p.Total > 0:
			fmt.Fprintf(&line, " | %s %3.0f%%", shorten(inert(name), 24), 100*float64(p.Bytes)/float64(p.Total))
		default:
			fmt.Fprintf(&line, " | %s %s", shorten(inert(name), 24), byteSize(p.Bytes))
		}
	}
	fmt.Fprintf(&line, " | %s/s", byteSize(int64(rate)))
	fmt.Fprint(b.w, "\r\033[K"+shorten(line.String(), 120))
	b.shown = true
}

// shorten cuts s to at most n runes, marking the cut with "…".
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
