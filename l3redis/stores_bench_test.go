package l3redis

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/l3go/level3"
	"github.com/l3go/level3/redirects"
)

// benchServer serves /old (308 to /new) and /new (1 MiB with a strong
// ETag), counting requests and body bytes.
func benchServer(b *testing.B) (srv *httptest.Server, requests, sent *atomic.Int64) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	modified := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	requests, sent = new(atomic.Int64), new(atomic.Int64)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path == "/old" {
			w.Header().Set("Location", "/new")
			w.WriteHeader(http.StatusPermanentRedirect)
			return
		}
		w.Header().Set("ETag", `"one-mebibyte"`)
		http.ServeContent(countingWriter{w, sent}, r, "", modified, bytes.NewReader(body))
	}))
	b.Cleanup(srv.Close)
	return srv, requests, sent
}

// countingWriter counts the body bytes a handler writes.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return w.ResponseWriter.Write(p)
}

// BenchmarkFleetGet measures what a new process of a fleet pays for its
// first GET of a 308 alias to a 1 MiB resource that another process has
// already fetched: each iteration makes a new Client (as a new process
// would) and GETs the alias once. With stores of its own (the baseline) it
// asks the alias and downloads the body; with the stores in Redis it goes
// straight to the target and gets a 304. requests/op and body-B/op are
// counted by the server:
//
//	go test -run '^$' -bench BenchmarkFleetGet -benchmem -count 5 ./l3redis | benchstat -col /name -
func BenchmarkFleetGet(b *testing.B) {
	srv, requests, sent := benchServer(b)
	_, rdb := redisFor(b)
	memory, err := NewRedirectStore(rdb, &RedirectStoreOptions{StoreOptions: StoreOptions{Prefix: newPrefix()}})
	if err != nil {
		b.Fatal(err)
	}
	cache, err := NewCache(rdb, &CacheOptions{StoreOptions: StoreOptions{Prefix: newPrefix()}})
	if err != nil {
		b.Fatal(err)
	}
	hc := srv.Client()
	for _, v := range []struct {
		name string
		opts func() []level3.Option
	}{
		{"name=own-stores", func() []level3.Option {
			return []level3.Option{level3.WithRedirectStore(redirects.NewMemory(0)), level3.WithCache(level3.NewMemoryCache(16<<20, 2<<20))}
		}},
		{"name=redis-stores", func() []level3.Option {
			return []level3.Option{level3.WithRedirectStore(memory), level3.WithCache(cache)}
		}},
	} {
		b.Run(v.name, func(b *testing.B) {
			get := func() {
				c, err := level3.New(append(v.opts(), level3.WithHTTPClient(hc))...)
				if err != nil {
					b.Fatal(err)
				}
				resp, err := c.Get(context.Background(), srv.URL+"/old", nil)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || n != 1<<20 {
					b.Fatalf("read %d bytes: %v", n, err)
				}
			}
			get() // another process learned it first
			requests.Store(0)
			sent.Store(0)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				get()
			}
			b.StopTimer()
			b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/op")
			b.ReportMetric(float64(sent.Load())/float64(b.N), "body-B/op")
		})
	}
}
