package l3redis

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l3go/level3"
)

// FuzzDecodeCached feeds decodeCached what a shared Redis may hold: it
// never panics, and what it accepts encodes back to a value it reads the
// same way.
func FuzzDecodeCached(f *testing.F) {
	r := &level3.CachedResponse{Header: http.Header{"Etag": {`"v1"`}, "Content-Type": {"text/plain"}},
		Body: []byte("hello\nworld"), Vary: map[string]string{"(credentials)": "", "Accept": "*/*"},
		Stored: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	good, err := encodeMeta(r, newBodyID())
	require.NoError(f, err)
	f.Add(good, r.Body)
	f.Add([]byte(`0123456789abcdef {"kind":"level3.cache","version":1,"length":0}`), []byte{})
	f.Add([]byte(`0123456789abcdef {"kind":"level3.cache","version":2,"length":0}`), []byte{})
	f.Add([]byte(`0123456789abcdef {"kind":"level3.cache","version":1,"header":null,"length":3}`), []byte("abc"))
	f.Add([]byte(`0123456789abcdef{"kind":"level3.cache","version":1,"length":0}`), []byte{})
	f.Add([]byte("short"), []byte{})
	f.Fuzz(func(t *testing.T, meta, body []byte) {
		got, id, err := decodeCached(meta, body)
		if err != nil {
			return
		}
		require.Len(t, id, cacheIDLen)
		require.NotNil(t, got.Header, "a decoded header is never nil: the cache layer sets fields on it")
		again, err := encodeMeta(got, id)
		require.NoError(t, err)
		back, id2, err := decodeCached(again, got.Body)
		require.NoError(t, err)
		require.Equal(t, id, id2)
		require.True(t, bytes.Equal(got.Body, back.Body))
		require.Equal(t, got.Vary, back.Vary)
		require.True(t, got.Stored.Equal(back.Stored))
	})
}

// FuzzDecodeRedirect: decodeRedirect never panics and accepts no entry
// without From and To or with credentials.
func FuzzDecodeRedirect(f *testing.F) {
	f.Add(`{"kind":"level3.redirect","version":1,"from":"http://a:80/x","to":"http://a/y"}`)
	f.Add(`{"kind":"level3.redirect","version":1,"from":"http://a:80/x","to":"http://u:p@a/y"}`)
	f.Add(`{"kind":"level3.redirect","version":1,"from":"http://a:80/x?sig=1","to":"http://a/y","expires":"2026-01-01T00:00:00Z"}`)
	f.Add(`{"from":"http://a:80/x","to":"http://a/y"}`)
	f.Fuzz(func(t *testing.T, v string) {
		e, ok := decodeRedirect(v)
		if ok {
			require.NotEmpty(t, e.From)
			require.NotEmpty(t, e.To)
			require.False(t, e.HasCredentials())
		}
	})
}
