package mocks

import (
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestServedCounts(t *testing.T) {
	body := make([]byte, 100_000)
	for _, tc := range []struct {
		name string
		opts []Option
	}{{"http/1.1", nil}, {"https/1.1", []Option{WithTLS()}}, {"https/h2", []Option{WithHTTP2()}}} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewServer(t, tc.opts...)
			url := s.Handle("/f", Content(body, "application/octet-stream"))
			c := s.Client()
			defer c.CloseIdleConnections()
			do(t, c, "GET", url, nil)
			do(t, c, "GET", url, nil, "Range", "bytes=10-19")
			do(t, c, "HEAD", url, nil)
			assert.EqualValues(t, len(body)+10, s.BytesSent("/f"))
			assert.EqualValues(t, 10, s.Requests()[1].BytesSent)
			assert.Equal(t, 1, s.Connections(), "keep-alive: one connection")

			// A cut body counts what the handler wrote before the cut. The
			// client reads up to the cut: closing the body unread would
			// reset an HTTP/2 stream while the handler still writes, and
			// the handler would count only what it wrote before the reset.
			s.Fail("/f", DropAt(5000))
			resp, err := c.Get(url)
			if err == nil {
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				assert.Error(t, err, "the body is cut")
				assert.EqualValues(t, 5000, n)
			}
			// The client sees the cut before the handler has returned and
			// recorded what it wrote: wait for the record, boundedly.
			want := int64(len(body) + 10 + 5000)
			var got atomic.Int64
			if !assert.Eventually(t, func() bool { got.Store(s.BytesSent("/f")); return got.Load() == want },
				5*time.Second, 5*time.Millisecond) {
				t.Errorf("bytes sent: %d, want %d", got.Load(), want)
			}
		})
	}
}
