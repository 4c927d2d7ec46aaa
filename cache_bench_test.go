package level3

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// countingWriter counts the body bytes a handler writes.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return w.ResponseWriter.Write(p)
}

// BenchmarkCachedGet compares GETs of an unchanged 1 MiB resource with a
// strong ETag: through a plain *http.Client (the baseline), through the
// Client without its cache, and through the Client with its cache, where
// every GET after the first is revalidated (If-None-Match, 304) and the body
// comes from memory. body-B/op is the response body bytes the server sent per
// GET:
//
//	go test -run '^$' -bench BenchmarkCachedGet -benchmem -count 10 . | benchstat -col /name -
func BenchmarkCachedGet(b *testing.B) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	modified := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"one-mebibyte"`)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Profile", "<https://level3.rest/profiles/content>, <https://level3.rest/profiles/mixins/entity>")
		http.ServeContent(countingWriter{w, &sent}, r, "", modified, bytes.NewReader(body))
	}))
	defer srv.Close()
	ctx := context.Background()

	run := func(b *testing.B, get func() (*http.Response, error)) {
		// One untimed GET warms the connection (and the cache).
		resp, err := get()
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		sent.Store(0)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			resp, err := get()
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || n != int64(len(body)) {
				b.Fatalf("read %d bytes: %v", n, err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(sent.Load())/float64(b.N), "body-B/op")
	}

	b.Run("name=raw-net-http", func(b *testing.B) {
		hc := newHTTPClient()
		defer hc.CloseIdleConnections()
		run(b, func() (*http.Response, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			return hc.Do(req)
		})
	})
	for _, v := range []struct {
		name string
		opts []Option
	}{
		{"name=level3-uncached", []Option{WithCache(nil)}},
		{"name=level3-cached-304", nil},
	} {
		b.Run(v.name, func(b *testing.B) {
			c, err := New(v.opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer c.HTTPClient().CloseIdleConnections()
			run(b, func() (*http.Response, error) { return c.Get(ctx, srv.URL, nil) })
		})
	}
}
