package level3

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chunkedReader returns its data in reads of at most n bytes, then err.
type chunkedReader struct {
	data   []byte
	n      int
	err    error
	closed bool
}

func (r *chunkedReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	k := min(len(p), r.n, len(r.data))
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

func (r *chunkedReader) Close() error { r.closed = true; return nil }

func TestStoringBody(t *testing.T) {
	data := []byte(strings.Repeat("0123456789", 100))
	cases := []struct {
		name     string
		want     int64 // content-length, -1 unknown
		limit    int64
		err      error // after the data
		readN    int   // bytes the caller reads before Close; -1 all
		stored   bool
		storedAs []byte
	}{
		{"known length, read whole", 1000, 2000, io.EOF, -1, true, data},
		{"unknown length, read to EOF", -1, 2000, io.EOF, -1, true, data},
		{"unknown length, over the limit", -1, 999, io.EOF, -1, false, nil},
		{"known length, over the limit", 1000, 999, io.EOF, -1, false, nil},
		{"truncated: EOF before the length", 1500, 2000, io.EOF, -1, false, nil},
		{"truncated: a read error", -1, 2000, io.ErrUnexpectedEOF, -1, false, nil},
		{"closed with a small remainder: probed and stored", 1000, 2000, io.EOF, 900, true, data},
		{"closed early with a large remainder: not read", 1000, 2000, io.EOF, 10, false, nil},
		{"unknown length closed early: not read", -1, 2000, io.EOF, 990, false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := &chunkedReader{data: append([]byte(nil), data...), n: 7, err: tc.err}
			var got []byte
			stores := 0
			b := &storingBody{rc: src, limit: tc.limit, want: tc.want, store: func(p []byte) { got = p; stores++ }}
			var read []byte
			var err error
			if tc.readN < 0 {
				read, err = io.ReadAll(b)
				if tc.err == io.EOF {
					require.NoError(t, err)
					assert.Equal(t, data, read, "the caller gets every byte whatever the cache does")
				}
			} else {
				read = make([]byte, tc.readN)
				_, err = io.ReadFull(b, read)
				require.NoError(t, err)
			}
			require.NoError(t, b.Close())
			assert.True(t, src.closed)
			assert.Equal(t, tc.stored, stores == 1)
			assert.LessOrEqual(t, stores, 1)
			if tc.stored {
				assert.Equal(t, tc.storedAs, got)
			}
		})
	}
}
