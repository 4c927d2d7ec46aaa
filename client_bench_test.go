package level3

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkGet compares a GET through the Client's pipeline with the same GET
// through a plain *http.Client with the same transport settings, on loopback,
// so the ratio of the two is the Client's overhead. "level3-noretry" is the
// Client with retries disabled, to show what the retry layer costs:
//
//	go test -run '^$' -bench BenchmarkGet -benchmem -count 10 . | benchstat -col /name -
func BenchmarkGet(b *testing.B) {
	body := []byte(`{"orders":3,"revenue":"126.00 EUR"}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Profile", "<https://level3.rest/profiles/info>")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	ctx := context.Background()

	b.Run("raw-net-http", func(b *testing.B) {
		hc := newHTTPClient()
		defer hc.CloseIdleConnections()
		benchGets(b, func() (*http.Response, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			req.Header.Set("User-Agent", DefaultUserAgent)
			return hc.Do(req)
		})
	})
	for _, v := range []struct {
		name string
		opts []Option
	}{{"level3-client", nil}, {"level3-noretry", []Option{WithRetry(RetryPolicy{Schedule: Schedule{Attempts: -1}})}}} {
		b.Run(v.name, func(b *testing.B) {
			c, err := New(v.opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer c.HTTPClient().CloseIdleConnections()
			benchGets(b, func() (*http.Response, error) { return c.Get(ctx, srv.URL, nil) })
		})
	}
}

// benchGets runs get b.N times, reading and closing each body.
func benchGets(b *testing.B, get func() (*http.Response, error)) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		resp, err := get()
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// cannedTransport answers every request with the same small response without
// touching the network, so a benchmark through it measures only the client
// code above the transport.
type cannedTransport struct{}

func (cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: http.NoBody, Request: req,
	}, nil
}

// BenchmarkPipelineOverhead measures the Client's own cost per request, with
// the network taken out: the same GET through a plain *http.Client and through
// the Client, both on a transport that answers from memory.
func BenchmarkPipelineOverhead(b *testing.B) {
	ctx := context.Background()
	hc := &http.Client{Transport: cannedTransport{}}
	b.Run("raw-net-http", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://api.example/", nil)
			req.Header.Set("User-Agent", DefaultUserAgent)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	})
	b.Run("level3-client", func(b *testing.B) {
		c, err := New(WithHTTPClient(hc))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			resp, err := c.Get(ctx, "http://api.example/", nil)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	})
}
