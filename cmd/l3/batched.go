// This file holds batchedWriter, which gathers the lines a command prints
// per file (`l3 upload` prints one for each of thousands of files) into few
// writes when they go to a pipe or a file, without holding any of them back
// for long.

package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// batchDelay is the longest a line waits in a batchedWriter: short enough
// for whoever reads the pipe to see each file's line as it happens, long
// enough to gather the lines of hundreds of small files into one write.
const batchDelay = 100 * time.Millisecond

// batchedWriter holds what is written to it and writes it to the underlying
// writer batchDelay after the first byte it holds, when its buffer is full,
// or on Flush. One write(2) per line cost a bulk upload of small files a
// system call per file: 5 % of its CPU time. It is safe for concurrent use.
type batchedWriter struct {
	mu    sync.Mutex
	buf   *bufio.Writer
	delay time.Duration
	timer *time.Timer // set while bytes wait
}

// batched returns w itself when it is a terminal (a person reads it line by
// line, between redraws of a progress bar on stderr) or when verbose (the -v
// log on stderr tells of each request as it happens, and the lines must not
// come later than it), else a batchedWriter over w; and the function that
// writes out what it holds, to call before the command returns.
func batched(w io.Writer, verbose bool) (io.Writer, func() error) {
	if verbose || isTerminal(w) {
		return w, func() error { return nil }
	}
	b := &batchedWriter{buf: newBatchBuffer(w), delay: batchDelay}
	return b, b.Flush
}

// newBatchBuffer returns the buffer of a batchedWriter over w: a few hundred
// lines.
func newBatchBuffer(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 32<<10) }

// Write holds p, writing out what was held before when p does not fit, so
// that each write(2) holds whole lines (as long as each Write is one): a line
// under PIPE_BUF then reaches a pipe, or a file several processes append
// to, in one piece.
func (b *batchedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(p) > b.buf.Available() && b.buf.Buffered() > 0 {
		if err := b.buf.Flush(); err != nil {
			return 0, err
		}
	}
	n, err := b.buf.Write(p)
	if b.buf.Buffered() > 0 && b.timer == nil {
		b.timer = time.AfterFunc(b.delay, func() { _ = b.Flush() })
	}
	return n, err
}

// Flush writes out what b holds.
func (b *batchedWriter) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	return b.buf.Flush()
}

// flushOut writes out what w holds when it is a batchedWriter. A command
// calls it before it prints its summary on stderr, so that the summary comes
// after the lines it sums up, also where both streams go to one file.
func flushOut(w io.Writer) {
	if b, ok := w.(*batchedWriter); ok {
		_ = b.Flush()
	}
}
