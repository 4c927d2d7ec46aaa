// This file builds requests whose bodies can be sent more than once without
// reading them into memory, which retries (retry.go) and redirects rely on.

package level3

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
)

// NewRequest is [http.NewRequestWithContext] with bodies made replayable
// without buffering, so the Client can retry or redirect the request:
//
//   - an *os.File that is a regular file, or an *io.SectionReader, is read from its current offset by
//     independent section readers, one per attempt; ContentLength is set;
//   - any other [io.ReadSeeker] is rewound to its current offset before each
//     attempt, once the previous attempt can no longer read it; ContentLength
//     is set;
//   - *bytes.Buffer, *bytes.Reader and *strings.Reader are handled as
//     net/http does;
//   - any other reader is sent once: the request is never retried, and a
//     redirect that needs the body again fails with [ErrBodyNotReplayable].
//
// The caller keeps ownership of body: the request never closes a file, so
// close it after the response arrives.
func NewRequest(ctx context.Context, method, url string, body io.Reader) (*http.Request, error) {
	if ctx == nil {
		return nil, misuse("NewRequest", "nil Context")
	}
	switch b := body.(type) {
	case *os.File:
		if st, err := b.Stat(); err == nil && st.Mode().IsRegular() {
			off, err := b.Seek(0, io.SeekCurrent)
			if err != nil {
				return nil, fmt.Errorf("level3: request body: %w", err)
			}
			return sectionRequest(ctx, method, url, b, off, st.Size()-off)
		}
		// A pipe, socket or terminal cannot be rewound: send it once.
		return http.NewRequestWithContext(ctx, method, url, body)
	case *io.SectionReader:
		off, _ := b.Seek(0, io.SeekCurrent) // never fails on a SectionReader
		return sectionRequest(ctx, method, url, b, off, b.Size()-off)
	case interface{ Len() int }:
		// *bytes.Buffer, *bytes.Reader, *strings.Reader: net/http gives
		// these a GetBody already.
		return http.NewRequestWithContext(ctx, method, url, body)
	}
	if rs, ok := body.(io.ReadSeeker); ok {
		return seekerRequest(ctx, method, url, rs)
	}
	return http.NewRequestWithContext(ctx, method, url, body)
}

// sectionRequest sends size bytes of r from off, each attempt through its own
// SectionReader, so a late read by an abandoned attempt cannot disturb the
// next one.
func sectionRequest(ctx context.Context, method, url string, r io.ReaderAt, off, size int64) (*http.Request, error) {
	if size < 0 {
		size = 0
	}
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	req.GetBody = func() (io.ReadCloser, error) {
		return io.NopCloser(io.NewSectionReader(r, off, size)), nil
	}
	req.Body, _ = req.GetBody()
	req.ContentLength = size
	if size == 0 {
		req.Body = http.NoBody
	}
	return req, nil
}

// seekerRequest rewinds rs to its current offset before every attempt; the
// attempts take turns on it through a sharedSeeker (body_seeker.go).
func seekerRequest(ctx context.Context, method, url string, rs io.ReadSeeker) (*http.Request, error) {
	start, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("level3: request body: %w", err)
	}
	end, err := rs.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("level3: request body: %w", err)
	}
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return nil, fmt.Errorf("level3: request body: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	req.ContentLength = end - start
	if req.ContentLength <= 0 {
		req.ContentLength = 0
		req.Body = http.NoBody
		req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return req, nil
	}
	shared := &sharedSeeker{rs: rs, start: start}
	req.Body = shared.first()
	req.GetBody = shared.next
	return req, nil
}
