// This file holds the digest of a download's content (WithSHA256,
// WithComputeSHA256), computed in content order while the bytes stream in,
// and saved in the sidecar (download_local.go) so that a resumed download
// need not read its partial file again.

package level3

import (
	"crypto/sha256"
	"encoding"
	"hash"
	"io"
	"sync"
)

// contentHash is a SHA-256 digest of the first at bytes of the content. It
// is safe for concurrent use: a parallel download hashes from one goroutine
// while another saves its state.
type contentHash struct {
	mu sync.Mutex
	h  hash.Hash
	at int64
}

// newContentHash returns the digest of nothing.
func newContentHash() *contentHash { return &contentHash{h: sha256.New()} }

// restoreContentHash returns the digest saved by state, covering the first
// at bytes; ok is false if state cannot be restored.
func restoreContentHash(state []byte, at int64) (*contentHash, bool) {
	c := newContentHash()
	if len(state) == 0 || at < 0 {
		return c, at == 0 && len(state) == 0
	}
	if err := c.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		return newContentHash(), false
	}
	c.at = at
	return c, true
}

// offset returns how many bytes the digest covers.
func (c *contentHash) offset() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

// write adds p, the content at off, when it continues the digest; bytes at
// other offsets are left for catchUp.
func (c *contentHash) write(off int64, p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if off == c.at {
		c.h.Write(p)
		c.at += int64(len(p))
	}
}

// catchUp reads the content from r up to offset to (exclusive) through buf
// and adds it to the digest. A single-stream download needs it only after
// resuming a file whose digest was not saved up to its end; a parallel one
// follows its ranges with it, reading from the page cache.
func (c *contentHash) catchUp(r io.ReaderAt, to int64, buf []byte) error {
	for {
		c.mu.Lock()
		at := c.at
		if at >= to {
			c.mu.Unlock()
			return nil
		}
		n, err := r.ReadAt(buf[:min(int64(len(buf)), to-at)], at)
		c.h.Write(buf[:n])
		c.at += int64(n)
		c.mu.Unlock()
		if err != nil && (err != io.EOF || c.offset() < to) {
			return err
		}
	}
}

// state returns the marshalled digest and the offset it covers.
func (c *contentHash) state() ([]byte, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, 0
	}
	return b, c.at
}

// sum returns the digest of the bytes so far.
func (c *contentHash) sum() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.h.Sum(nil)
}
