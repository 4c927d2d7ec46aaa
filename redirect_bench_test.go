package level3

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/l3go/level3/redirects"
)

// BenchmarkRedirect308 GETs a URL that answers 308 Permanent Redirect,
// through a plain *http.Client (which asks the alias on every call) and
// through the Client (which remembers the 308), on loopback. Besides time it
// reports requests/op, counted by the server: 2 for net/http, 1 for the
// Client once it has learned the redirect.
//
//	go test -run '^$' -bench BenchmarkRedirect308 -benchmem -count 10 . | benchstat -col /name -
func BenchmarkRedirect308(b *testing.B) {
	var requests atomic.Int64
	body := []byte(`{"orders":3}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path == "/old-orders" {
			w.Header().Set("Location", "/orders")
			w.WriteHeader(http.StatusPermanentRedirect)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	ctx := context.Background()
	alias := srv.URL + "/old-orders"

	run := func(b *testing.B, get func() (*http.Response, error)) {
		requests.Store(0)
		benchGets(b, get)
		b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/op")
	}
	b.Run("raw-net-http", func(b *testing.B) {
		hc := newHTTPClient()
		defer hc.CloseIdleConnections()
		run(b, func() (*http.Response, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, alias, nil)
			return hc.Do(req)
		})
	})
	b.Run("level3-client", func(b *testing.B) {
		c, err := New()
		if err != nil {
			b.Fatal(err)
		}
		defer c.HTTPClient().CloseIdleConnections()
		resp, err := c.Get(ctx, alias, nil) // learn the 308 before timing
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		run(b, func() (*http.Response, error) { return c.Get(ctx, alias, nil) })
	})
}

// BenchmarkRedirectMemoryMiss measures what the redirect layer costs a
// request that is not redirected, without the network (the in-memory
// transport of BenchmarkPipelineOverhead): with an empty memory, and with a
// full one (1000 entries for other URLs) that must be looked up.
//
//	go test -run '^$' -bench BenchmarkRedirectMemoryMiss -benchmem -count 10 . | benchstat -col /name -
func BenchmarkRedirectMemoryMiss(b *testing.B) {
	ctx := context.Background()
	hc := &http.Client{Transport: cannedTransport{}}
	full := redirects.NewMemory(redirects.DefaultSize)
	for i := range redirects.DefaultSize {
		_ = full.Put(redirects.Entry{From: fmt.Sprintf("http://api.example:80/old/%d", i), To: "http://api.example/new"})
	}
	for _, v := range []struct {
		name  string
		store redirects.Store
	}{{"empty-memory", redirects.NewMemory(0)}, {"full-memory", full}, {"no-memory", nil}} {
		b.Run(v.name, func(b *testing.B) {
			c, err := New(WithHTTPClient(hc), WithRedirectStore(v.store))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				resp, err := c.Get(ctx, "http://api.example/orders", nil)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
			}
		})
	}
}
