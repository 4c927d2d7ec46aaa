// This file holds upload progress: the body wrapper that counts what the transport
// reads. upload.go builds upload requests around it.

package level3

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// progressInterval is the least time between two calls of a progress
// callback for the same body, except for the last one.
const progressInterval = 100 * time.Millisecond

// sendCounter counts the body bytes of one upload's latest attempt and
// reports progress. Without a callback it costs one atomic add per Read.
type sendCounter struct {
	total     int64
	fn        func(Progress)
	uncounted bool         // the body goes to the transport as it is (uploadhdr.go)
	sent      atomic.Int64 // latest attempt
	cur       atomic.Pointer[countedBody]
}

// wrap returns body counted as the latest attempt.
func (c *sendCounter) wrap(body io.ReadCloser) io.ReadCloser {
	b := &countedBody{ReadCloser: body, c: c}
	c.sent.Store(0)
	c.cur.Store(b)
	return b
}

// wrapGetBody makes every body get returns counted.
func (c *sendCounter) wrapGetBody(get func() (io.ReadCloser, error)) func() (io.ReadCloser, error) {
	if get == nil {
		return nil
	}
	return func() (io.ReadCloser, error) {
		body, err := get()
		if err != nil {
			return nil, err
		}
		return c.wrap(body), nil
	}
}

// countedBody is one attempt's body.
type countedBody struct {
	io.ReadCloser
	c *sendCounter

	mu    sync.Mutex // serializes callbacks; only taken when there is one
	n     int64
	start time.Time
	last  time.Time
	done  bool
}

// Read counts what the transport takes and reports progress.
func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	current := b.c.cur.Load() == b
	if n > 0 && current {
		b.c.sent.Add(int64(n))
	}
	if b.c.fn == nil {
		return n, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if b.start.IsZero() && n > 0 {
		b.start = now
	}
	b.n += int64(n)
	end := err == io.EOF || (b.c.total >= 0 && b.n >= b.c.total)
	if !current || b.done || (!end && now.Sub(b.last) < progressInterval) {
		return n, err
	}
	b.last, b.done = now, end
	pr := Progress{Bytes: b.n, Total: b.c.total, Done: end}
	if !b.start.IsZero() {
		pr.Elapsed = now.Sub(b.start)
		if pr.Elapsed > 0 {
			pr.Rate = float64(b.n) / pr.Elapsed.Seconds()
		}
	}
	b.c.fn(pr)
	return n, err
}
