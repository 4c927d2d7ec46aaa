package level3

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/l3go/level3/internal/bench"
	"github.com/l3go/level3/mocks"
)

// slowLink is a TCP proxy on loopback that sends each connection's bytes
// towards the client at rate bytes per second, as a path whose every TCP
// connection is limited (a window, a shaper) would: unlike a server's
// per-response limit (nginx limit_rate, mocks' Resource.Rate), it does not
// give HTTP/2 streams sharing one connection a rate each.
type slowLink struct {
	ln     net.Listener
	target string
	rate   float64
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

// newSlowLink starts a slowLink to target (host:port).
func newSlowLink(tb testing.TB, target string, rate float64) *slowLink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	l := &slowLink{ln: ln, target: target, rate: rate, conns: map[net.Conn]bool{}}
	l.wg.Add(1)
	go l.serve()
	tb.Cleanup(l.close)
	return l
}

// url returns u with its host replaced by the link's.
func (l *slowLink) url(u string) string {
	p, _ := url.Parse(u)
	p.Host = l.ln.Addr().String()
	return p.String()
}

func (l *slowLink) serve() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", l.target)
		if err != nil {
			c.Close()
			continue
		}
		l.mu.Lock()
		l.conns[c], l.conns[up] = true, true
		l.mu.Unlock()
		l.wg.Add(2)
		go func() {
			defer l.wg.Done()
			_, _ = io.Copy(up, c)
			up.Close()
		}()
		go func() {
			defer l.wg.Done()
			l.throttle(c, up)
			c.Close()
		}()
	}
}

// throttle copies from up to c at the link's rate.
func (l *slowLink) throttle(c, up net.Conn) {
	buf := make([]byte, 16<<10)
	start, sent := time.Now(), 0
	for {
		n, err := up.Read(buf)
		if n > 0 {
			due := start.Add(time.Duration(float64(sent) / l.rate * float64(time.Second)))
			time.Sleep(time.Until(due))
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
			sent += n
		}
		if err != nil {
			return
		}
	}
}

func (l *slowLink) close() {
	l.ln.Close()
	l.mu.Lock()
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// BenchmarkDownloadSlowLink downloads a file through a link that limits
// each TCP connection to 4 MiB/s, with one connection and with four, over
// each transport, and reports both times and their ratio (x4-vs-1: above
// 1 is faster). Over HTTP/2, four ranges on one connection would share its
// rate: the ratio shows that each range worker has a connection of its own.
//
//	L3_BENCH_MIB=16 go test -run '^$' -bench DownloadSlowLink -benchtime 5x .
func BenchmarkDownloadSlowLink(b *testing.B) {
	size := bench.Size(b, 16)
	body := content(int(size), 63)
	for _, tr := range transports {
		b.Run(tr.name, func(b *testing.B) {
			srv := mocks.NewServer(b, tr.opts...)
			u, _ := url.Parse(srv.URL)
			link := newSlowLink(b, u.Host, 4<<20)
			target := link.url(srv.Handle("/f.bin", mocks.Content(body, "application/octet-stream")))
			path := filepath.Join(b.TempDir(), "f.bin")
			var hc *http.Client
			oneVersusFour(b, func(conns int) (*DownloadResult, error) {
				hc = srv.Client() // new connections for each download
				c, err := New(WithHTTPClient(hc))
				if err != nil {
					return nil, err
				}
				return c.Download(context.Background(), target, path, &DownloadOptions{Connections: conns})
			}, func() {
				hc.CloseIdleConnections()
				os.Remove(path)
			})
		})
	}
}
