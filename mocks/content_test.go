package mocks

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// get sends a GET with header pairs and returns the response and whatever
// body arrived, with the read error.
func get(t *testing.T, url string, header ...string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func TestDropAtCountsContentOffsets(t *testing.T) {
	s := NewServer(t)
	body := seq(100_000)
	url := s.Handle("/f", Content(body, "application/octet-stream"))
	s.Fail("/f", DropAt(30_000), DropAt(70_000))

	_, got, err := get(t, url)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, body[:30_000], got)

	// A range that does not reach 70000 leaves the fault queued.
	resp, got, err := get(t, url, "Range", "bytes=0-999")
	require.NoError(t, err)
	assert.Equal(t, 206, resp.StatusCode)
	assert.Equal(t, body[:1000], got)

	resp, got, err = get(t, url, "Range", "bytes=30000-")
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, 206, resp.StatusCode)
	assert.Equal(t, body[30_000:70_000], got, "cut at content offset 70000, 40000 bytes into the 206")

	_, got, err = get(t, url, "Range", "bytes=70000-")
	require.NoError(t, err)
	assert.Equal(t, body[70_000:], got)
}

func TestStallAtHoldsTheConnection(t *testing.T) {
	s := NewServer(t)
	body := seq(50_000)
	url := s.Handle("/f", Content(body, "application/octet-stream"))
	s.Fail("/f", StallAt(10_000))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, body[:10_000], got)
}

func TestChangeBodyAndFailFast(t *testing.T) {
	s := NewServer(t)
	url := s.Handle("/f", Content([]byte("old content"), "text/plain"))
	before, _ := s.Resource("/f")
	s.Fail("/f", ChangeBody([]byte("new content!")))

	resp, got, err := get(t, url, "Range", "bytes=4-", "If-Range", before.ETag)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode, "changed before the answer: If-Range fails")
	assert.Equal(t, "new content!", string(got))
	assert.NotEqual(t, before.ETag, resp.Header.Get("ETag"))

	resp, got, _ = get(t, url, "Range", "bytes=4-", "If-Match", before.ETag)
	assert.Equal(t, 409, resp.StatusCode, "Level 3 fail-fast: 409 Conflict")
	assert.Contains(t, string(got), "Content Changed")
	resp, _, _ = get(t, url, "If-Match", before.ETag)
	assert.Equal(t, 412, resp.StatusCode, "without a range it is a plain precondition")
	cur, _ := s.Resource("/f")
	resp, got, _ = get(t, url, "Range", "bytes=4-", "If-Match", cur.ETag)
	assert.Equal(t, 206, resp.StatusCode)
	assert.Equal(t, "content!", string(got))
}

func TestLieLengthAndIgnoreRange(t *testing.T) {
	s := NewServer(t)
	body := seq(50_000)
	url := s.Handle("/f", Content(body, "application/octet-stream"))

	s.Fail("/f", LieLength(20_000))
	resp, got, err := get(t, url)
	require.NoError(t, err, "a shorter length silently shortens the body")
	assert.EqualValues(t, 20_000, resp.ContentLength)
	assert.Equal(t, body[:20_000], got)

	s.Fail("/f", LieLength(60_000))
	_, got, err = get(t, url)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Len(t, got, 50_000)

	s.Fail("/f", IgnoreRange())
	resp, got, err = get(t, url, "Range", "bytes=10-")
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "bytes", resp.Header.Get("Accept-Ranges"), "it still advertises ranges")
	assert.Equal(t, body, got)
}

func TestNoRangesAndRate(t *testing.T) {
	s := NewServer(t)
	body := seq(40_000)
	r := Content(body, "application/octet-stream")
	r.NoRanges = true
	r.Rate = 200_000
	url := s.Handle("/f", r)
	start := time.Now()
	resp, got, err := get(t, url, "Range", "bytes=10-")
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "none", resp.Header.Get("Accept-Ranges"))
	assert.True(t, bytes.Equal(body, got))
	// 40 kB at 200 kB/s: the pace is kept (a functional check, loose).
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
}

func TestAttachment(t *testing.T) {
	assert.Equal(t, `attachment; filename=report.csv`, Attachment("report.csv"))
	assert.Equal(t, `attachment; filename*=utf-8''caf%C3%A9.txt`, Attachment("café.txt"))
}

func TestRangeCovers(t *testing.T) {
	for _, tc := range []struct {
		h    string
		off  int64
		want bool
	}{
		{"", 5, true}, {"bytes=0-", 5, true}, {"bytes=6-", 5, false}, {"bytes=0-4", 5, false},
		{"bytes=0-5", 5, true}, {"bytes=-10", 5, true}, {"bytes=0-1,8-9", 5, true}, {"items=0-1", 5, true},
		{"bytes=x-", 5, true},
	} {
		assert.Equal(t, tc.want, rangeCovers(tc.h, tc.off), "%q %d", tc.h, tc.off)
	}
}
