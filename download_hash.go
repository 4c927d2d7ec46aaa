// This file holds the digest of a download's content
// (DownloadOptions.SHA256, ComputeSHA256), computed in content order while the bytes stream in,
// and saved in the sidecar (download_local.go), against which a resumed
// download checks the partial file it reads again.

package level3

import (
	"bytes"
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

// checkContentHash hashes the first at bytes of r through buf and reports
// whether they are the bytes whose digest state was saved: a sidecar's
// claim about the partial file is checked against the file itself, never
// taken on trust. It returns the digest, which covers at bytes when ok.
func checkContentHash(r io.ReaderAt, state []byte, at int64, buf []byte) (c *contentHash, ok bool, err error) {
	c = newContentHash()
	if len(state) == 0 {
		return c, at == 0, nil
	}
	if err := c.catchUp(r, at, buf); err != nil {
		return nil, false, err
	}
	got, _ := c.state()
	return c, bytes.Equal(got, state), nil
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
