// This file holds sharedSeeker, which lets the attempts of one request
// (retries, redirect hops) take turns on a single io.ReadSeeker body.
// body.go builds requests with it.

package level3

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// errBodySuperseded is what a request body reads once a newer attempt of the
// same request has taken the underlying reader over.
var errBodySuperseded = errors.New("level3: request body superseded by a newer attempt")

// sharedSeeker hands out the bodies of the attempts of one request, one at a
// time, over a single io.ReadSeeker that cannot be copied. A transport may
// still be writing an attempt's body after its response arrived (a server
// that answers 307 or 503 before reading the body, as nginx and Go's own
// server do); if the next attempt simply rewound the reader, the two would
// read it in turns and each send a corrupted body. So taking a new body first
// retires the previous one, whose later reads fail (its transport then gives
// up on a request whose answer is already known), and every read holds a
// lock, so a read in progress ends before the reader is rewound.
type sharedSeeker struct {
	mu      sync.Mutex
	rs      io.ReadSeeker
	start   int64
	current *seekerBody // the body handed out last
}

// first returns the body of the first attempt, reading from the reader's
// current position, which must be start.
func (s *sharedSeeker) first() io.ReadCloser {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current = &seekerBody{s: s}
	return s.current
}

// next retires the current body, rewinds the reader to start and returns
// the body of the next attempt. It is the request's GetBody.
func (s *sharedSeeker) next() (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil {
		s.current.retired = true
	}
	if _, err := s.rs.Seek(s.start, io.SeekStart); err != nil {
		return nil, fmt.Errorf("level3: rewinding request body: %w", err)
	}
	s.current = &seekerBody{s: s}
	return s.current, nil
}

// seekerBody is one attempt's view of a sharedSeeker. The request's owner
// keeps ownership of the reader: Close does not close it.
type seekerBody struct {
	s       *sharedSeeker
	retired bool // guarded by s.mu: a newer attempt owns the reader, or Close was called
}

// Read reads from the shared reader while this body is current.
func (b *seekerBody) Read(p []byte) (int, error) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	if b.retired {
		return 0, errBodySuperseded
	}
	return b.s.rs.Read(p)
}

// Close retires the body; the reader itself stays open.
func (b *seekerBody) Close() error {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	b.retired = true
	return nil
}
