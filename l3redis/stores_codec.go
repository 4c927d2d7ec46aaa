// This file holds the format of a cached response in Redis: a meta value
// (the body's id, then a JSON line with header, vary and dates) and the
// body's bytes under a key of their own, read back by decodeCached, which
// FuzzDecodeCached checks. stores_cache.go holds the Cache that uses it.

package l3redis

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/l3go/level3"
)

// cacheFormat is the JSON of a cached response's meta value, after the id
// of its body and a space:
//
//	5f2a0c9e1b7d4a36 {"kind":"level3.cache","version":1,"header":{"Etag":["\"v1\""]},
//	 "vary":{"(credentials)":""},"stored":"2026-12-02T10:00:00Z","length":1234}
//
// The body (length bytes, raw: JSON would make it a third longer) is a key
// of its own, so that a revalidation (a 304) rewrites the meta value only.
// The id names the version of the body: it changes with every body
// written, so a refresh of the meta value can check that the body it
// describes is still the one in Redis.
type cacheFormat struct {
	Kind    string            `json:"kind"`
	Version int               `json:"version"`
	Header  http.Header       `json:"header"`
	Vary    map[string]string `json:"vary"`
	Stored  time.Time         `json:"stored"`
	Length  int               `json:"length"`
}

// Format identifiers of cacheFormat, and the length of a body id.
const (
	cacheKind    = "level3.cache"
	cacheVersion = 1
	cacheIDLen   = 16
)

// cacheUnshared lists the response fields a Cache never writes to Redis: a
// cookie set for one process (even for a request without credentials) is
// not another's to replay.
var cacheUnshared = []string{"Set-Cookie", "Set-Cookie2"}

// newBodyID returns a fresh body id.
func newBodyID() string {
	var b [cacheIDLen / 2]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// encodeMeta renders the meta value of r, whose body has id, without the
// fields of cacheUnshared.
func encodeMeta(r *level3.CachedResponse, id string) ([]byte, error) {
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
	return append([]byte(id+" "), meta...), nil
}

// errCachedFormat is the error of a value that is not a cached response
// this version reads.
var errCachedFormat = errors.New("not a cached response of this version")

// decodeCached parses a meta value written by encodeMeta and the body it
// describes, and returns the response with the body's id. The response
// shares body's memory.
func decodeCached(meta, body []byte) (*level3.CachedResponse, string, error) {
	if len(meta) < cacheIDLen+1 || meta[cacheIDLen] != ' ' {
		return nil, "", errCachedFormat
	}
	var f cacheFormat
	if err := json.Unmarshal(meta[cacheIDLen+1:], &f); err != nil {
		return nil, "", fmt.Errorf("%w: %v", errCachedFormat, err)
	}
	switch {
	case f.Kind != cacheKind || f.Version != cacheVersion:
		return nil, "", fmt.Errorf("%w: kind %q version %d", errCachedFormat, f.Kind, f.Version)
	case f.Length != len(body):
		return nil, "", fmt.Errorf("%w: %d body bytes, want %d", errCachedFormat, len(body), f.Length)
	}
	if f.Header == nil {
		f.Header = make(http.Header)
	}
	return &level3.CachedResponse{Header: f.Header, Body: body, Vary: f.Vary, Stored: f.Stored}, string(meta[:cacheIDLen]), nil
}
