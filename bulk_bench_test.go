package level3

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/l3go/level3/internal/bench"
	"github.com/l3go/level3/internal/realpeers"
)

// Bulk upload benchmark sizes: 1,000 files of 64 KiB, 8 at a time.
const (
	benchFiles       = 1000
	benchFileSize    = 64 << 10
	benchConcurrency = 8
)

// BenchmarkBulkUpload uploads 1,000 files of 64 KiB, 8 at a time, by PUT to
// nginx's WebDAV location, three ways in one run, so the ratios compare like
// with like:
//
//   - level3: Client.UploadAll with BulkOptions{Put: true, Concurrency: 8};
//   - net-http: 8 goroutines, each PUTting files with one *http.Client whose
//     transport keeps 8 idle connections (what a careful net/http user
//     writes, with no retries, journal or content-type detection);
//   - curl-xargs: `ls | xargs -P8 -I{} curl -sSf -T {} URL/{}`, one curl
//     process per file, as shell scripts do it.
//
// Each op is the whole set of 1,000 files (64 MiB). Skipped without nginx or
// curl. Run it with bench/uploads.sh, which prints the ratios:
//
//	go test -run '^$' -bench BenchmarkBulkUpload -benchtime 3x -count 5 .
func BenchmarkBulkUpload(b *testing.B) {
	srv := realpeers.Nginx(b)
	dir, names := bench.Tree(b, benchFiles, benchFileSize)
	ctx := context.Background()
	base := srv.URL + "/dav/"

	b.Run("level3", func(b *testing.B) {
		c, err := New()
		if err != nil {
			b.Fatal(err)
		}
		defer c.HTTPClient().CloseIdleConnections()
		b.SetBytes(benchFiles * benchFileSize)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			sum, err := c.UploadAll(ctx, base+"level3/", []string{dir}, &BulkOptions{Put: true, Concurrency: benchConcurrency})
			if err != nil || sum.Uploaded != benchFiles {
				b.Fatalf("%+v: %v", sum, err)
			}
		}
	})

	b.Run("net-http", func(b *testing.B) {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = benchConcurrency
		hc := &http.Client{Transport: tr}
		defer tr.CloseIdleConnections()
		put := func(name string) error {
			f, err := os.Open(filepath.Join(dir, name))
			if err != nil {
				return err
			}
			defer f.Close()
			req, err := http.NewRequestWithContext(ctx, http.MethodPut, base+"nethttp/"+name, f)
			if err != nil {
				return err
			}
			req.ContentLength = benchFileSize
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode >= 300 {
				return fmt.Errorf("%s: %s", name, resp.Status)
			}
			return nil
		}
		b.SetBytes(benchFiles * benchFileSize)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			jobs := make(chan string)
			errs := make(chan error, benchConcurrency)
			var wg sync.WaitGroup
			for range benchConcurrency {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for name := range jobs {
						if err := put(name); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			for _, n := range names {
				jobs <- n
			}
			close(jobs)
			wg.Wait()
			select {
			case err := <-errs:
				b.Fatal(err)
			default:
			}
		}
	})

	b.Run("curl-xargs", func(b *testing.B) {
		if _, err := exec.LookPath("curl"); err != nil {
			b.Skip("curl not installed")
		}
		script := fmt.Sprintf("ls | xargs -P%d -I{} curl -sSf -o /dev/null -T {} %scurl/{}", benchConcurrency, base)
		b.SetBytes(benchFiles * benchFileSize)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			cmd := exec.Command("sh", "-c", script)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
	})
}

// createdTransport answers every request from memory with 201 Created and a
// Location, as nginx's WebDAV does to a PUT, closing the request body unread.
type createdTransport struct{}

func (createdTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusCreated, Status: "201 Created", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Location": {req.URL.String()}, "Content-Length": {"0"}}, Body: http.NoBody, Request: req,
	}, nil
}

// BenchmarkBulkUploadOverhead measures UploadAll's own cost per file, with
// the network taken out: 100 files PUT one at a time through a transport that
// answers from memory, by a plain loop (open, stat, PUT, close) and by
// UploadAll (walk, stat, open, content type, pipeline, result). The
// difference per op, divided by 100, is what level3 adds to each file.
//
//	go test -run '^$' -bench BulkUploadOverhead -benchmem -count 5 .
func BenchmarkBulkUploadOverhead(b *testing.B) {
	const files = 100
	dir, names := bench.Tree(b, files, 4<<10)
	hc := &http.Client{Transport: createdTransport{}}
	const base = "http://dav.example/up/"
	b.Run("raw-net-http", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			for _, n := range names {
				f, err := os.Open(filepath.Join(dir, n))
				if err != nil {
					b.Fatal(err)
				}
				st, _ := f.Stat()
				req, _ := http.NewRequest(http.MethodPut, base+n, f)
				req.ContentLength = st.Size()
				resp, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				f.Close()
			}
		}
	})
	b.Run("level3-UploadAll", func(b *testing.B) {
		c, err := New(WithHTTPClient(hc))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sum, err := c.UploadAll(ctx, base, []string{dir + "/"}, &BulkOptions{Put: true, Concurrency: 1})
			if err != nil || sum.Uploaded != files {
				b.Fatalf("%+v %v", sum, err)
			}
		}
	})
}
