package mocks

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawExpect sends a POST of n bytes with expect: 100-continue on a raw
// connection and returns the first response, whether it came within wait,
// and the connection (to send the body on).
func rawExpect(t *testing.T, s *Server, path string, n int, wait time.Duration) (*http.Response, net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", path, n)
	br := bufio.NewReader(conn)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(wait)))
	resp, err := http.ReadResponse(br, &http.Request{Method: "POST"})
	if os.IsTimeout(err) {
		return nil, conn, br
	}
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Time{}))
	return resp, conn, br
}

func TestRejectionClosesTheConnectionLikeNetHTTP(t *testing.T) {
	s := NewServer(t)
	up := Upload()
	up.MaxBody = 10
	s.Handle("/up", up)
	resp, _, _ := rawExpect(t, s, "/up", 1000, 5*time.Second)
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "refused from the headers, without 100")
	assert.True(t, resp.Close)
	assert.Zero(t, s.BodyBytes("/up"))
}

func TestKeepOpenReadsTheBodyAfterAnswering(t *testing.T) {
	for name, fault := range map[string]Fault{
		"normal 413": KeepOpen(),
		"status":     Problem(http.StatusForbidden, "No", "quota").KeepOpen(),
		"417":        Expect417().KeepOpen(),
	} {
		t.Run(name, func(t *testing.T) {
			s := NewServer(t)
			up := Upload()
			up.MaxBody = 10
			s.Handle("/up", up)
			s.Fail("/up", fault)
			resp, conn, br := rawExpect(t, s, "/up", 1000, 5*time.Second)
			require.NotNil(t, resp)
			assert.GreaterOrEqual(t, resp.StatusCode, 400)
			assert.False(t, resp.Close, "the connection stays open")
			_, err := io.Copy(io.Discard, resp.Body)
			require.NoError(t, err, "the answer is complete before the body is read")
			_, err = conn.Write([]byte(strings.Repeat("b", 1000)))
			require.NoError(t, err)
			assert.Eventually(t, func() bool { return s.BodyBytes("/up") == 1000 }, 5*time.Second, 5*time.Millisecond)

			// The connection serves the next request.
			fmt.Fprintf(conn, "HEAD /up HTTP/1.1\r\nHost: x\r\n\r\n")
			next, err := http.ReadResponse(br, &http.Request{Method: "HEAD"})
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, next.StatusCode)
		})
	}
}

func TestNoContinueNeverAnswers100(t *testing.T) {
	s := NewServer(t)
	s.Handle("/up", Upload())
	s.Fail("/up", NoContinue())
	resp, conn, br := rawExpect(t, s, "/up", 5, 300*time.Millisecond)
	assert.Nil(t, resp, "silence instead of 100")
	_, err := conn.Write([]byte("hello"))
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	resp, err = http.ReadResponse(br, &http.Request{Method: "POST"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.True(t, resp.Close)
	assert.EqualValues(t, 5, s.BodyBytes("/up"))
	stored, ok := s.Resource(strings.TrimPrefix(resp.Header.Get("Location"), s.URL))
	require.True(t, ok)
	assert.Equal(t, "hello", string(stored.Body))

	// Without expect the fault does not apply, and is not used up.
	s.Fail("/up", NoContinue())
	resp, _ = do(t, http.DefaultClient, "POST", s.URL+"/up", strings.NewReader("x"), "Content-Type", "text/plain")
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	resp, _, _ = rawExpect(t, s, "/up", 1, 300*time.Millisecond)
	assert.Nil(t, resp, "still queued")
}

func TestExpectFaultsOverHTTP2ServeNormally(t *testing.T) {
	s := NewServer(t, WithHTTP2())
	s.Handle("/up", Upload())
	s.Fail("/up", KeepOpen(), NoContinue())
	for range 2 {
		resp, _ := do(t, s.Client(), "POST", s.URL+"/up", strings.NewReader("x"), "Content-Type", "text/plain", "Expect", "100-continue")
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
		assert.Equal(t, "HTTP/2.0", resp.Proto)
	}
}
