package level3

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkGet compares a GET through the Client's pipeline with the same GET
// through a plain *http.Client sharing the same transport settings, on
// loopback, so the ratio of the two is the Client's overhead:
//
//	go test -run '^$' -bench BenchmarkGet -benchmem -count 10 . | benchstat -
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
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			req.Header.Set("User-Agent", DefaultUserAgent)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("level3-client", func(b *testing.B) {
		c, err := New()
		if err != nil {
			b.Fatal(err)
		}
		defer c.HTTPClient().CloseIdleConnections()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			resp, err := c.Get(ctx, srv.URL)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
