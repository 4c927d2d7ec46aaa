// This file holds storingBody, the response body through which the cache
// layer (cache.go) keeps a copy of what the caller reads, and stores it once
// it is complete.

package level3

import (
	"bytes"
	"io"
	"sync"
)

// storingBody passes a response body through to the caller and keeps a copy
// of it, up to limit bytes. When the body turns out complete (its
// Content-Length reached, or EOF) it hands the copy to store, once; a body
// that grows past limit, fails or is closed early is not stored, and the copy
// is dropped at once, so memory stays bounded by limit.
type storingBody struct {
	rc    io.ReadCloser
	limit int64
	want  int64 // Content-Length, or -1
	store func([]byte)

	mu      sync.Mutex // held by Read; Close only probes when it is free
	buf     []byte
	done    bool // stored or abandoned
	started bool
}

// closeProbe is the largest remainder of a body of announced length that
// Close reads to complete the copy: a JSON decoder often stops just before
// the last bytes (a trailing newline). Larger remainders, and bodies of
// unknown length, are not read at Close, which must not block.
const closeProbe = 4 << 10

// Read reads from the body and keeps what it read.
func (b *storingBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.rc.Read(p)
	b.keep(p[:n], err)
	return n, err
}

// keep records n bytes read with err; b.mu is held.
func (b *storingBody) keep(p []byte, err error) {
	if b.done {
		return
	}
	if !b.started {
		b.started = true
		if b.want >= 0 && b.want <= b.limit {
			b.buf = make([]byte, 0, b.want)
		}
	}
	if int64(len(b.buf)+len(p)) > b.limit || b.want >= 0 && int64(len(b.buf)+len(p)) > b.want {
		b.abandon()
		return
	}
	b.buf = append(b.buf, p...)
	complete := b.want >= 0 && int64(len(b.buf)) == b.want
	switch {
	case complete || err == io.EOF && b.want < 0:
		b.done = true
		body := b.buf
		if cap(body) > len(body)+len(body)/4 {
			body = bytes.Clone(body)
		}
		b.buf = nil
		b.store(body)
	case err != nil:
		b.abandon()
	}
}

// abandon drops the copy; b.mu is held.
func (b *storingBody) abandon() {
	b.done, b.buf = true, nil
}

// Close closes the body. When no Read is in progress and the copy lacks at
// most closeProbe bytes of the announced length, it first reads them, so that
// a body read all but its last bytes is still stored.
func (b *storingBody) Close() error {
	if b.mu.TryLock() {
		if !b.done && b.want >= 0 && b.want-int64(len(b.buf)) <= closeProbe {
			var chunk [512]byte
			for i := 0; !b.done && i < 2*closeProbe/len(chunk); i++ {
				n, err := b.rc.Read(chunk[:])
				b.keep(chunk[:n], err)
				if err != nil {
					break
				}
			}
		}
		b.abandon()
		b.mu.Unlock()
	}
	return b.rc.Close()
}
