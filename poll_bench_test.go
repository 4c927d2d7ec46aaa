package level3

import (
	"context"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

// instantClock never sleeps: BenchmarkPoll measures the polls alone.
type instantClock struct{}

func (instantClock) Now() time.Time                                   { return time.Now() }
func (instantClock) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// BenchmarkPoll compares one "not yet" poll of a POST's location (a GET
// answered 404 with problem details, turned into a typed error and back
// into a response by the Poller) with the same GET sent by a plain
// *http.Client, against the same fake server on loopback:
//
//	go test -run '^$' -bench BenchmarkPoll -benchmem -count 10 . | benchstat -col /name -
func BenchmarkPoll(b *testing.B) {
	srv, err := mocks.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	up := mocks.Upload().With(profiles.Async)
	up.AsyncPolls = 1 << 30 // never finishes
	srv.Handle("/up", up)
	ctx := context.Background()
	c, err := New(WithRetry(RetryPolicy{Schedule: Schedule{Attempts: -1}}))
	if err != nil {
		b.Fatal(err)
	}
	defer c.HTTPClient().CloseIdleConnections()
	p, err := c.SendAsync(ctx, http.MethodPost, srv.URL+"/up", "text/plain", strings.NewReader("x"), &AsyncOptions{clock: instantClock{}})
	if err != nil {
		b.Fatal(err)
	}
	loc := p.Location().String()

	b.Run("raw-net-http", func(b *testing.B) {
		hc := newHTTPClient()
		defer hc.CloseIdleConnections()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if i%1024 == 0 {
				srv.ResetLog() // the same small log for both, so GC work is alike
			}
			if resp := rawGet(ctx, b, hc, loc); resp.StatusCode != http.StatusNotFound {
				b.Fatal(resp.Status)
			}
		}
	})
	b.Run("level3-poll", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if i%1024 == 0 {
				srv.ResetLog()
			}
			if resp := pollOnce(ctx, b, p); resp.StatusCode != http.StatusNotFound {
				b.Fatal(resp.Status)
			}
		}
	})
	srv.ResetLog()
}

// rawGet sends GET url through hc with the Client's user agent, as a
// hand-written poll would, reads the body and closes it; it returns the
// response for its status.
func rawGet(ctx context.Context, b *testing.B, hc *http.Client, url string) *http.Response {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("User-Agent", DefaultUserAgent)
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// pollOnce polls p once and closes the body; it returns the response for
// its status.
func pollOnce(ctx context.Context, b *testing.B, p *Poller) *http.Response {
	resp, err := p.Poll(ctx)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// BenchmarkWaitCPU measures the CPU time (user + system, whole process:
// client and fake server) spent following an operation that takes 300ms,
// polled after 50ms and then every 100ms: by Wait, by a hand-written loop of
// plain net/http requests and time.Sleep with the same waits (the
// baseline), and by time.Sleep alone for the same wall time. It reports
// cpu-ms/op: waiting between polls must cost nothing, so Wait should cost
// what the same requests cost by hand.
//
//	go test -run '^$' -bench BenchmarkWaitCPU -count 5 .
func BenchmarkWaitCPU(b *testing.B) {
	srv, err := mocks.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	up := mocks.Upload().With(profiles.Async)
	up.AsyncAfter = 300 * time.Millisecond
	srv.Handle("/up", up)
	c, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer c.HTTPClient().CloseIdleConnections()
	sched := &AsyncOptions{Poll: Schedule{Initial: 50 * time.Millisecond, Max: 100 * time.Millisecond, Multiplier: 2, Jitter: -1, Attempts: 1}} // no jitter: 50ms, then 100ms
	ctx := context.Background()

	b.Run("sleep-only", func(b *testing.B) {
		measureCPU(b, func() { time.Sleep(up.AsyncAfter) })
	})
	b.Run("raw-net-http-loop", func(b *testing.B) {
		hc := newHTTPClient()
		defer hc.CloseIdleConnections()
		measureCPU(b, func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/up", strings.NewReader("x"))
			req.Header.Set("Content-Type", "text/plain")
			req.Header.Set("Prefer", "respond-async")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			loc := resp.Header.Get("Location")
			for wait := 50 * time.Millisecond; ; wait = 100 * time.Millisecond {
				time.Sleep(wait)
				resp, err := hc.Get(loc)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			srv.ResetLog()
		})
	})
	b.Run("level3-wait", func(b *testing.B) {
		measureCPU(b, func() {
			p, err := c.SendAsync(ctx, http.MethodPost, srv.URL+"/up", "text/plain", strings.NewReader("x"), sched)
			if err != nil {
				b.Fatal(err)
			}
			resp, err := p.Wait(ctx)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			srv.ResetLog()
		})
	})
}

// measureCPU runs f b.N times and reports the process's CPU time per run.
func measureCPU(b *testing.B, f func()) {
	var before, after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	for i := 0; i < b.N; i++ {
		f()
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano()-before.Utime.Nano()) + time.Duration(after.Stime.Nano()-before.Stime.Nano())
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// notYetTransport answers every request from memory with 404 and a small
// problem document, as a POST's location does before it exists.
type notYetTransport struct{}

const notYetBody = `{"type":"about:blank","title":"Not Found","status":404,"detail":"no resource at /up/1"}`

func (notYetTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: http.StatusNotFound, Status: "404 Not Found", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/problem+json"}},
		Body:          io.NopCloser(strings.NewReader(notYetBody)),
		ContentLength: int64(len(notYetBody)), Request: req,
	}, nil
}

// BenchmarkPollOverhead measures what one "not yet" poll costs in the client
// with the network taken out: a GET answered 404 with problem details read
// by a plain *http.Client, against the same answer through Poller.Poll
// (Client.Do, the typed error with its decoded problem, the verdict, the
// schedule):
//
//	go test -run '^$' -bench BenchmarkPollOverhead -benchmem -count 10 . | benchstat -col /name -
func BenchmarkPollOverhead(b *testing.B) {
	ctx := context.Background()
	hc := &http.Client{Transport: notYetTransport{}}
	const loc = "http://api.example/up/1"
	b.Run("raw-net-http", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			rawGet(ctx, b, hc, loc)
		}
	})
	b.Run("level3-poll", func(b *testing.B) {
		c, err := New(WithHTTPClient(hc))
		if err != nil {
			b.Fatal(err)
		}
		cfg, err := newAsyncConfig(&AsyncOptions{clock: instantClock{}})
		if err != nil {
			b.Fatal(err)
		}
		p, err := newPoller(c, &locationStrategy{}, pollState{URL: loc, Method: http.MethodPost, PollMethod: http.MethodGet}, cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			pollOnce(ctx, b, p)
		}
	})
}
