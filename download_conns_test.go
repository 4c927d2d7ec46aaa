package level3

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/bench"
	"github.com/l3go/level3/mocks"
)

// transports are the three ways a mocks server can serve: plain HTTP/1.1,
// HTTP/1.1 over TLS, and HTTP/2 over TLS.
var transports = []struct {
	name string
	opts []mocks.Option
}{
	{"http/1.1", nil},
	{"https/1.1", []mocks.Option{mocks.WithTLS()}},
	{"https/h2", []mocks.Option{mocks.WithHTTP2()}},
}

// serverClient returns a Client for srv that trusts its certificate.
func serverClient(t *testing.T, srv *mocks.Server, opts ...Option) *Client {
	hc := srv.Client()
	t.Cleanup(hc.CloseIdleConnections)
	return downloadClient(t, append([]Option{WithHTTPClient(hc)}, opts...)...)
}

// slowReading makes every response body read at most rate bytes per
// second, so that the server sends faster than the client takes: the
// socket buffers and HTTP/2 windows fill up, as on a real network.
func slowReading(rate float64) Middleware {
	return func(next Doer) Doer {
		return DoerFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := next.Do(req)
			if err == nil {
				resp.Body = &slowBody{ReadCloser: resp.Body, rate: rate}
			}
			return resp, err
		})
	}
}

type slowBody struct {
	io.ReadCloser
	rate float64
}

func (b *slowBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	time.Sleep(time.Duration(float64(n) / b.rate * float64(time.Second)))
	return n, err
}

func TestDownloadConnectionsAreConnections(t *testing.T) {
	body := content(4<<20, 60)
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			srv := mocks.NewServer(t, tr.opts...)
			res := mocks.Content(body, "application/octet-stream")
			res.Rate = 8 << 20 // each response: the four overlap
			url := srv.Handle("/f.bin", res)
			c := serverClient(t, srv)
			dst := filepath.Join(t.TempDir(), "f.bin")
			got, err := c.Download(context.Background(), url, dst, small(quick(&DownloadOptions{Connections: 4, SHA256: sha256Hex(body)})))
			require.NoError(t, err)
			requireFile(t, dst, body)
			assert.Equal(t, 4, got.Connections, "four at once")
			served := srv.Connections()
			t.Logf("%s: %d connections served, result %+v", tr.name, served, got)
			if tr.name == "https/h2" {
				assert.Equal(t, 4, served, "one TCP connection per range worker")
			} else {
				assert.GreaterOrEqual(t, served, 4)
			}

			// Ordinary calls keep the Client's own connections: over h2,
			// the one they multiplex on.
			before := srv.Connections()
			var wg sync.WaitGroup
			for range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp, err := c.Get(context.Background(), url, &RequestOptions{Header: map[string][]string{"Range": {"bytes=0-9"}}})
					if assert.NoError(t, err) {
						resp.Body.Close()
					}
				}()
			}
			wg.Wait()
			if tr.name == "https/h2" {
				assert.Equal(t, before, srv.Connections(), "ordinary calls share the h2 connection")
			}
		})
	}
}

// TestDownloadFetchesNoByteTwice cuts three of four connections and checks
// that the server sent each byte once: a connection that takes part of a
// span still streaming starts where the other stops, which stops there.
func TestDownloadFetchesNoByteTwice(t *testing.T) {
	const size = 16 << 20
	body := content(size, 61)
	for _, tr := range transports {
		for _, fault := range []string{"drop", "stall", "drop/small requests"} {
			t.Run(tr.name+"/"+fault, func(t *testing.T) {
				srv := mocks.NewServer(t, tr.opts...)
				url := srv.Handle("/f.bin", mocks.Content(body, "application/octet-stream"))
				for _, at := range []int64{size * 3 / 10, size * 55 / 100, size * 8 / 10} {
					if fault == "stall" {
						srv.Fail("/f.bin", mocks.StallAt(at))
					} else {
						srv.Fail("/f.bin", mocks.DropAt(at))
					}
				}
				c := serverClient(t, srv, WithMiddleware(slowReading(64<<20)))
				dst := filepath.Join(t.TempDir(), "f.bin")
				opts := &DownloadOptions{Connections: 4, SHA256: sha256Hex(body),
					Restarts: Schedule{Initial: 50 * time.Millisecond, Max: 100 * time.Millisecond}}
				if fault == "stall" {
					// Short, but not so short that a busy machine (-race,
					// other work) stalls a transfer that is running: what a
					// request had in flight when it is given up is fetched
					// again (1 s was seen to fail at a load of 16).
					opts.StallTimeout = 3 * time.Second
				}
				if fault == "drop/small requests" {
					opts = small(opts) // many requests, many steals
				}
				got, err := c.Download(context.Background(), url, dst, opts)
				require.NoError(t, err)
				requireFile(t, dst, body)
				sent := srv.BytesSent("/f.bin")
				t.Logf("%s %s: served %d bytes over %d (%+d), %d restarts, %d requests", tr.name, fault, sent, size, sent-size, got.Restarts, len(rangeRequests(srv)))
				assert.Equal(t, 3, got.Restarts)
				if !assert.LessOrEqual(t, sent, int64(size+64<<10), "bytes served more than once") {
					for _, r := range srv.Requests() {
						t.Logf("%s %s %s: %d bytes", r.Time.Format("05.000"), r.Method, r.Header.Get("Range"), r.BytesSent)
					}
				}
			})
		}
	}
}

// BenchmarkDownloadOverFetch downloads a file over four connections from a
// mocks server that cuts three of them, with bodies read at 64 MiB/s each
// (so that the server runs ahead of the client, as on a real network), over
// each transport, and reports the bytes served beyond the file's size
// (extra-KiB, the most of the runs, and their median) and the connections
// the server saw (median), counts rather than times.
//
//	L3_BENCH_MIB=64 go test -run '^$' -bench DownloadOverFetch -benchtime 5x .
func BenchmarkDownloadOverFetch(b *testing.B) {
	size := bench.Size(b, 64)
	body := content(int(size), 62)
	sum := sha256Hex(body)
	for _, tr := range transports {
		b.Run(tr.name, func(b *testing.B) {
			var extra, conns []int64
			dir := b.TempDir()
			for i := 0; i < b.N; i++ {
				srv, err := mocks.Start(tr.opts...)
				if err != nil {
					b.Fatal(err)
				}
				url := srv.Handle("/f.bin", mocks.Content(body, "application/octet-stream"))
				for _, at := range []int64{size * 3 / 10, size * 55 / 100, size * 8 / 10} {
					srv.Fail("/f.bin", mocks.DropAt(at))
				}
				hc := srv.Client()
				c, err := New(WithHTTPClient(hc), WithMiddleware(slowReading(64<<20)))
				if err != nil {
					b.Fatal(err)
				}
				dst := filepath.Join(dir, "f.bin")
				_, err = c.Download(context.Background(), url, dst, &DownloadOptions{Connections: 4, SHA256: sum,
					Restarts: Schedule{Initial: 50 * time.Millisecond, Max: 100 * time.Millisecond}})
				if err != nil {
					b.Fatal(err)
				}
				extra = append(extra, srv.BytesSent("/f.bin")-size)
				conns = append(conns, int64(srv.Connections()))
				hc.CloseIdleConnections()
				srv.Close()
				os.Remove(dst)
			}
			slices.Sort(extra)
			slices.Sort(conns)
			b.ReportMetric(float64(extra[len(extra)-1])/1024, "max-extra-KiB")
			b.ReportMetric(float64(extra[len(extra)/2])/1024, "extra-KiB")
			b.ReportMetric(float64(conns[len(conns)/2]), "server-conns")
			b.Logf("extra bytes per run: %v; server connections: %v", extra, conns)
		})
	}
}

func TestLaneCount(t *testing.T) {
	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	for _, tc := range []struct {
		name    string
		tr      *http.Transport
		workers int
		proto   int
		scheme  string
		want    int
	}{
		{"HTTP/2 answered: a lane for each worker after the first", &http.Transport{}, 4, 2, "https", 3},
		{"HTTP/1.1 answered: a connection per request anyway", &http.Transport{}, 4, 1, "https", 0},
		{"no answer yet, https: it may be HTTP/2", &http.Transport{}, 4, 0, "https", 3},
		{"no answer yet, http", &http.Transport{}, 4, 0, "http", 0},
		{"no answer yet, http, HTTP/2 without TLS", h2c, 4, 0, "http", 3},
		{"one worker", &http.Transport{}, 1, 2, "https", 0},
		{"not an *http.Transport", nil, 4, 2, "https", 0},
		{"MaxConnsPerHost bounds them all", &http.Transport{MaxConnsPerHost: 2}, 4, 2, "https", 1},
		{"MaxConnsPerHost 1: none", &http.Transport{MaxConnsPerHost: 1}, 4, 2, "https", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, laneCount(tc.tr, tc.workers, tc.proto, tc.scheme))
		})
	}
}

// TestDownloadLanesKeepThePipeline checks that the requests of a range
// worker's own connection still go through the Client's pipeline: its
// default headers, the caller's middleware, and credentials only to the
// origin.
func TestDownloadLanesKeepThePipeline(t *testing.T) {
	body := content(1<<20, 64)
	srv := mocks.NewServer(t, mocks.WithHTTP2())
	res := mocks.Content(body, "application/octet-stream")
	res.Rate = 4 << 20 // each response: the four overlap, even on a busy machine
	url := srv.Handle("/f.bin", res)
	var mu sync.Mutex
	seen := 0
	count := func(next Doer) Doer {
		return DoerFunc(func(req *http.Request) (*http.Response, error) {
			mu.Lock()
			seen++
			mu.Unlock()
			return next.Do(req)
		})
	}
	c := serverClient(t, srv, WithMiddleware(count), WithHeader("Authorization", "Bearer s3cret"))
	got, err := c.Download(context.Background(), url, filepath.Join(t.TempDir(), "f.bin"), small(quick(&DownloadOptions{Connections: 4, SHA256: sha256Hex(body)})))
	require.NoError(t, err)
	assert.Equal(t, 4, srv.Connections(), "a connection per range worker")
	assert.Equal(t, 4, got.ConnectionsOpened)
	reqs := srv.Requests()
	assert.Equal(t, len(reqs), seen, "every request went through the middleware")
	for _, r := range reqs {
		assert.Equal(t, "Bearer s3cret", r.Header.Get("Authorization"))
		assert.Equal(t, DefaultUserAgent, r.Header.Get("User-Agent"))
		assert.Equal(t, "HTTP/2.0", r.Proto)
	}
}

// TestDownloadLanesKeepCredentialsHome redirects every request of a
// parallel download over HTTP/2 to a second origin: the range workers' own
// connections follow, and carry no credentials there.
func TestDownloadLanesKeepCredentialsHome(t *testing.T) {
	body := content(1<<20, 65)
	home := mocks.NewServer(t, mocks.WithHTTP2())
	other := mocks.NewServer(t, mocks.WithHTTP2()) // httptest's certificate: trusted by home's client too
	res := mocks.Content(body, "application/octet-stream")
	res.Rate = 4 << 20 // each response: the four overlap, even on a busy machine
	target := other.Handle("/f.bin", res)
	url := home.AliasTo("/f.bin", http.StatusTemporaryRedirect, target)
	c := serverClient(t, home, WithHeader("Authorization", "Bearer s3cret"))
	_, err := c.Download(context.Background(), url, filepath.Join(t.TempDir(), "f.bin"), small(quick(&DownloadOptions{Connections: 4, SHA256: sha256Hex(body)})))
	require.NoError(t, err)
	assert.Equal(t, 4, other.Connections(), "the range workers' own connections follow the redirect")
	assert.GreaterOrEqual(t, len(rangeRequests(other)), 4)
	for _, r := range other.Requests() {
		assert.Empty(t, r.Header.Get("Authorization"), "credentials only to the origin of the call")
	}
	for _, r := range home.Requests() {
		assert.Equal(t, "Bearer s3cret", r.Header.Get("Authorization"))
	}
}
