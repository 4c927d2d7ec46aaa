// Command rawput is the plain net/http baseline of
// BenchmarkUploadVsCurlParallel: it PUTs every file of a directory to
// BASE/NAME, N at a time, each body the *os.File itself, through one
// http.Transport keeping N connections, with no retries, journal, content
// type or progress: what a careful net/http user writes. TLS trusts the
// system's roots (SSL_CERT_FILE), HTTP/2 is negotiated unless
// GODEBUG=http2client=0.
//
//	rawput -c 8 https://host/dav/run/ DIR
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
)

func main() {
	conc := flag.Int("c", 8, "uploads at once")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: rawput [-c N] BASE DIR")
		os.Exit(2)
	}
	base, dir := flag.Arg(0), flag.Arg(1)
	entries, err := os.ReadDir(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = *conc
	hc := &http.Client{Transport: tr}
	jobs := make(chan string)
	var failed sync.Once
	code := 0
	var wg sync.WaitGroup
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range jobs {
				if err := put(hc, base+name, filepath.Join(dir, name)); err != nil {
					failed.Do(func() { fmt.Fprintln(os.Stderr, err); code = 1 })
				}
			}
		}()
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			jobs <- e.Name()
		}
	}
	close(jobs)
	wg.Wait()
	os.Exit(code)
}

// put sends one file.
func put(hc *http.Client, url, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPut, url, f)
	if err != nil {
		return err
	}
	req.ContentLength = st.Size()
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}
