// This file holds the format of a cached response in Redis (one string per
// response: a JSON line, then the body's bytes), read back by decodeCached,
// which FuzzDecodeCached checks. stores_cache.go holds the Cache that uses
// it.

package l3redis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/l3go/level3"
)

// cacheFormat is the first line of a cached response in Redis; the body
// follows the newline, raw (JSON would make it a third longer):
//
//	{"kind":"level3.cache","version":1,"header":{"Etag":["\"v1\""]},
//	 "vary":{"(credentials)":""},"stored":"2026-12-02T10:00:00Z","length":1234}
//	<1234 bytes of body>
//
// encoding/json never writes a raw newline, so the first one ends the line.
type cacheFormat struct {
	Kind    string            `json:"kind"`
	Version int               `json:"version"`
	Header  http.Header       `json:"header"`
	Vary    map[string]string `json:"vary"`
	Stored  time.Time         `json:"stored"`
	Length  int               `json:"length"`
}

// Format identifiers of cacheFormat.
const (
	cacheKind    = "level3.cache"
	cacheVersion = 1
)

// cacheUnshared lists the response fields a Cache never writes to Redis: a
// cookie set for one process (even for a request without credentials) is
// not another's to replay.
var cacheUnshared = []string{"Set-Cookie", "Set-Cookie2"}

// encodeCached renders r in the Redis format, without the fields of
// cacheUnshared.
func encodeCached(r *level3.CachedResponse) ([]byte, error) {
	h := r.Header
	for _, name := range cacheUnshared {
		if _, ok := h[name]; ok {
			h = h.Clone()
			for _, name := range cacheUnshared {
				h.Del(name)
			}
			break
		}
	}
	meta, err := json.Marshal(cacheFormat{Kind: cacheKind, Version: cacheVersion, Header: h, Vary: r.Vary,
		Stored: r.Stored, Length: len(r.Body)})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(meta)+1+len(r.Body))
	out = append(append(append(out, meta...), '\n'), r.Body...)
	return out, nil
}

// errCachedFormat is the error of a value that is not a cached response
// this version reads.
var errCachedFormat = errors.New("not a cached response of this version")

// decodeCached parses a value written by encodeCached. The body shares
// data's memory.
func decodeCached(data []byte) (*level3.CachedResponse, error) {
	line, body, ok := bytes.Cut(data, []byte{'\n'})
	if !ok {
		return nil, errCachedFormat
	}
	var f cacheFormat
	if err := json.Unmarshal(line, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", errCachedFormat, err)
	}
	switch {
	case f.Kind != cacheKind || f.Version != cacheVersion:
		return nil, fmt.Errorf("%w: kind %q version %d", errCachedFormat, f.Kind, f.Version)
	case f.Length != len(body):
		return nil, fmt.Errorf("%w: %d body bytes, want %d", errCachedFormat, len(body), f.Length)
	}
	if f.Header == nil {
		f.Header = make(http.Header)
	}
	return &level3.CachedResponse{Header: f.Header, Body: body, Vary: f.Vary, Stored: f.Stored}, nil
}
