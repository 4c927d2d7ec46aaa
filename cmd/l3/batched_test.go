package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingWrites records each Write it gets, safe for concurrent use.
type countingWrites struct {
	mu     sync.Mutex
	writes int
	cut    int // writes that did not end with a whole line
	buf    bytes.Buffer
}

func (c *countingWrites) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	if !bytes.HasSuffix(p, []byte("\n")) {
		c.cut++
	}
	return c.buf.Write(p)
}

func (c *countingWrites) state() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes, c.buf.String()
}

func TestBatchedGathersLinesIntoFewWrites(t *testing.T) {
	var under countingWrites
	w, flush := batched(&under, false)
	var want strings.Builder
	for i := range 1000 {
		line := fmt.Sprintf("201  f%04d.dat -> http://127.0.0.1/dav/f%04d.dat (64.0 KiB)\n", i, i)
		want.WriteString(line)
		_, err := w.Write([]byte(line))
		require.NoError(t, err)
	}
	require.NoError(t, flush())
	writes, got := under.state()
	assert.Equal(t, want.String(), got, "every line, in order")
	assert.LessOrEqual(t, writes, 4, "58 KB of lines in few writes, not one per line")
	assert.Zero(t, under.cut, "each write ends with a whole line: none is cut between two writes")
}

func TestBatchedLineLongerThanTheBuffer(t *testing.T) {
	var under countingWrites
	w, flush := batched(&under, false)
	long := strings.Repeat("x", 40<<10) + "\n"
	fmt.Fprint(w, "short\n")
	fmt.Fprint(w, long)
	fmt.Fprint(w, "after\n")
	require.NoError(t, flush())
	writes, got := under.state()
	assert.Equal(t, "short\n"+long+"after\n", got)
	assert.Equal(t, 3, writes, "what was held, then the long line whole, then the rest")
	assert.Zero(t, under.cut)
}

func TestBatchedNotForVerbose(t *testing.T) {
	var under countingWrites
	w, flush := batched(&under, true)
	assert.Same(t, &under, w, "with -v, lines go out as they come, in step with the log on stderr")
	require.NoError(t, flush())
}

func TestBatchedHoldsUntilTheDelay(t *testing.T) {
	var under countingWrites
	w := &batchedWriter{buf: newBatchBuffer(&under), delay: time.Hour}
	_, err := w.Write([]byte("one\n"))
	require.NoError(t, err)
	writes, _ := under.state()
	assert.Zero(t, writes, "held")
	require.NoError(t, w.Flush())
	_, got := under.state()
	assert.Equal(t, "one\n", got)
}

func TestBatchedWritesHeldLinesSoon(t *testing.T) {
	var under countingWrites
	w := &batchedWriter{buf: newBatchBuffer(&under), delay: 20 * time.Millisecond}
	_, err := w.Write([]byte("one\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, got := under.state()
		return got == "one\n"
	}, 5*time.Second, 5*time.Millisecond, "written by itself once the delay has passed, without a Flush")
	// A later line starts a new delay.
	_, err = w.Write([]byte("two\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, got := under.state()
		return got == "one\ntwo\n"
	}, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, w.Flush())
	writes, _ := under.state()
	assert.Equal(t, 2, writes)
}

func TestBatchedConcurrentWriters(t *testing.T) {
	var under countingWrites
	w, flush := batched(&under, false)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				fmt.Fprintf(w, "worker %d line %d\n", g, i)
			}
		}()
	}
	wg.Wait()
	require.NoError(t, flush())
	_, got := under.state()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	assert.Len(t, lines, 1600, "no line lost or cut")
	for _, l := range lines {
		assert.Regexp(t, `^worker \d line \d+$`, l)
	}
}

func TestBatchedFlushWithNothingHeld(t *testing.T) {
	var under countingWrites
	_, flush := batched(&under, false)
	require.NoError(t, flush())
	require.NoError(t, flush())
	writes, _ := under.state()
	assert.Zero(t, writes)
}

func TestFlushOutBeforeTheSummary(t *testing.T) {
	var under countingWrites
	w, _ := batched(&under, false)
	fmt.Fprintln(w, "201  a")
	flushOut(w)
	_, got := under.state()
	assert.Equal(t, "201  a\n", got)
	flushOut(&under) // any other writer: nothing to do
}
