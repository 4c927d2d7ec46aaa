// Package politetest holds what the tests of polite.Store implementations
// share: QuotaServer, a loopback server that enforces a quota and announces
// it, StoreRules (store.go), the rules every Store must keep, and the fleet
// that works against them (fleet.go: Client, Upload, Fleet, Figures).
package politetest

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// QuotaServer is an HTTP server on loopback that lets Quota requests through
// per fixed Window (windows count from its first request) and says so in
// every answer: `RateLimit-Policy: "default";q=Quota;w=Window` and
// `RateLimit: "default";r=LEFT;t=SECONDS`, t rounded up to whole seconds so
// that it never ends before the window does. Beyond the quota it answers 429
// with the same fields and a Retry-After to the window's end. Accepted
// requests get 201 (an empty body) after Delay.
type QuotaServer struct {
	URL    string
	Quota  int
	Window time.Duration
	Delay  time.Duration // set before the first request

	srv      *httptest.Server
	mu       sync.Mutex
	start    time.Time
	accepted []int // per window
	rejected []int
	inFlight int
	peak     int
}

// NewQuotaServer starts a QuotaServer for quota requests per window (a whole
// number of seconds) and stops it when the test ends.
func NewQuotaServer(t testing.TB, quota int, window time.Duration) *QuotaServer {
	t.Helper()
	if window < time.Second || window%time.Second != 0 {
		t.Fatalf("politetest: window %v is not a whole number of seconds", window)
	}
	s := &QuotaServer{Quota: quota, Window: window}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

func (s *QuotaServer) serve(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.Lock()
	if s.start.IsZero() {
		s.start = now
	}
	k := int(now.Sub(s.start) / s.Window)
	for len(s.accepted) <= k {
		s.accepted = append(s.accepted, 0)
		s.rejected = append(s.rejected, 0)
	}
	left := s.start.Add(time.Duration(k+1) * s.Window).Sub(now)
	ok := s.accepted[k] < s.Quota
	if ok {
		s.accepted[k]++
		s.inFlight++
		s.peak = max(s.peak, s.inFlight)
	} else {
		s.rejected[k]++
	}
	remaining := s.Quota - s.accepted[k]
	s.mu.Unlock()

	secs := int(math.Ceil(left.Seconds()))
	h := w.Header()
	h.Set("RateLimit-Policy", fmt.Sprintf(`"default";q=%d;w=%d`, s.Quota, int(s.Window/time.Second)))
	h.Set("RateLimit", fmt.Sprintf(`"default";r=%d;t=%d`, remaining, secs))
	_, _ = io.Copy(io.Discard, r.Body)
	if !ok {
		h.Set("Retry-After", fmt.Sprint(secs))
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	if s.Delay > 0 {
		time.Sleep(s.Delay)
	}
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

// Counts returns the requests accepted, the 429s in the first window and
// the 429s in the windows after it.
func (s *QuotaServer) Counts() (accepted, rejectedFirst, rejectedAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.accepted {
		accepted += s.accepted[k]
		if k == 0 {
			rejectedFirst = s.rejected[k]
		} else {
			rejectedAfter += s.rejected[k]
		}
	}
	return accepted, rejectedFirst, rejectedAfter
}

// PerWindow returns the requests accepted in each window so far.
func (s *QuotaServer) PerWindow() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.accepted...)
}

// Started returns when the first request came (zero before).
func (s *QuotaServer) Started() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.start
}

// Peak returns the most requests the server was answering at once.
func (s *QuotaServer) Peak() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}
