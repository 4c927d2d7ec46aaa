// This file checks that every server offers every item of the layout in the
// package documentation on every transport, with plain net/http, and what
// WriteFile promises. realpeers_test.go holds the helpers and the lifecycle
// tests; differences_test.go pins down where the servers behave
// differently.

package realpeers

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLayout(t *testing.T) {
	t.Parallel()
	Run(t, func(t *testing.T, p Peer) {
		s := p.Server
		if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || strings.HasSuffix(s.URL, "/") {
			t.Fatalf("URL = %q", s.URL)
		}
		if !strings.HasPrefix(s.TLSURL, "https://127.0.0.1:") || s.TLSURL == strings.Replace(s.URL, "http", "https", 1) {
			t.Fatalf("TLSURL = %q (URL %q)", s.TLSURL, s.URL)
		}
		// Files written before and after start, as tests may do either.
		text := []byte("hello, level 3\n")
		WriteFile(t, s.DocRoot, "a.txt", text)
		big := pattern(3 << 20)
		WriteFile(t, s.DocRoot, "big.bin", big)
		WriteFile(t, s.DocRoot, "sub/dir/c.json", []byte(`{"c":1}`))

		t.Run("files", func(t *testing.T) {
			t.Parallel()
			for _, method := range []string{"GET", "HEAD"} {
				resp, body := p.do(t, method, "/files/a.txt", nil)
				wantStatus(t, resp, body, 200)
				if method == "GET" && !bytes.Equal(body, text) {
					t.Errorf("GET body = %q, want %q", body, text)
				}
				wantHeader(t, resp, "Content-Type", "text/plain")
				wantHeader(t, resp, "Content-Length", strconv.Itoa(len(text)))
				wantHeader(t, resp, "Accept-Ranges", "bytes")
				if etag := resp.Header.Get("ETag"); !strings.HasPrefix(etag, `"`) {
					t.Errorf("%s ETag = %q, want a strong ETag", method, etag)
				}
				if _, err := http.ParseTime(resp.Header.Get("Last-Modified")); err != nil {
					t.Errorf("%s Last-Modified: %v", method, err)
				}
			}
			resp, body := p.do(t, "GET", "/files/sub/dir/c.json", nil)
			wantStatus(t, resp, body, 200)
			wantHeader(t, resp, "Content-Type", "application/json")
			resp, body = p.do(t, "GET", "/files/missing.txt", nil)
			wantStatus(t, resp, body, 404)
		})

		t.Run("range", func(t *testing.T) {
			t.Parallel()
			resp, body := p.do(t, "GET", "/files/big.bin", nil, "Range", "bytes=1000-1999")
			wantStatus(t, resp, body, 206)
			wantHeader(t, resp, "Content-Range", "bytes 1000-1999/"+strconv.Itoa(len(big)))
			if !bytes.Equal(body, big[1000:2000]) {
				t.Errorf("206 body differs from bytes 1000-1999")
			}
			resp, body = p.do(t, "GET", "/files/big.bin", nil, "Range", "bytes=3145000-")
			wantStatus(t, resp, body, 206)
			wantHeader(t, resp, "Content-Range", "bytes 3145000-3145727/3145728")

			etag := resp.Header.Get("ETag")
			resp, body = p.do(t, "GET", "/files/big.bin", nil, "Range", "bytes=10-19", "If-Range", etag)
			wantStatus(t, resp, body, 206)
			resp, body = p.do(t, "GET", "/files/big.bin", nil, "Range", "bytes=10-19", "If-Range", `"changed"`)
			wantStatus(t, resp, body, 200)
			if len(body) != len(big) {
				t.Errorf("If-Range mismatch: got %d bytes, want the whole %d", len(body), len(big))
			}
			lastMod := resp.Header.Get("Last-Modified")
			resp, body = p.do(t, "GET", "/files/big.bin", nil, "Range", "bytes=10-19", "If-Range", lastMod)
			wantStatus(t, resp, body, 206) // WriteFile's backdating makes the date strong for Apache too

			// Fail-fast style: generic servers answer 412 where Level 3 says 409.
			resp, body = p.do(t, "GET", "/files/big.bin", nil, "Range", "bytes=10-19", "If-Match", etag)
			wantStatus(t, resp, body, 206)
			resp, body = p.do(t, "GET", "/files/big.bin", nil, "Range", "bytes=10-19", "If-Match", `"changed"`)
			wantStatus(t, resp, body, 412)

			resp, body = p.do(t, "GET", "/files/big.bin", nil, "Range", "bytes=9999999-")
			wantStatus(t, resp, body, 416) // Content-Range: see TestDifferences
		})

		t.Run("conditional", func(t *testing.T) {
			t.Parallel()
			resp, body := p.do(t, "GET", "/files/a.txt", nil)
			wantStatus(t, resp, body, 200)
			etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
			resp, body = p.do(t, "GET", "/files/a.txt", nil, "If-None-Match", etag)
			wantStatus(t, resp, body, 304)
			wantHeader(t, resp, "ETag", etag)
			resp, body = p.do(t, "GET", "/files/a.txt", nil, "If-Modified-Since", lastMod)
			wantStatus(t, resp, body, 304)
			resp, body = p.do(t, "GET", "/files/a.txt", nil, "If-None-Match", `"other"`)
			wantStatus(t, resp, body, 200)
		})

		t.Run("l3", func(t *testing.T) {
			t.Parallel()
			for _, method := range []string{"GET", "HEAD"} {
				resp, body := p.do(t, method, "/l3/a.txt", nil)
				wantStatus(t, resp, body, 200)
				if method == "GET" && !bytes.Equal(body, text) {
					t.Errorf("GET body = %q", body)
				}
				wantHeader(t, resp, "Profile", ContentProfile)
				wantHeader(t, resp, "Allow", L3Allow)
				wantHeader(t, resp, "Link", FilesListLink)
				wantHeader(t, resp, "Accept-Ranges", "bytes")
			}
			// "always": the headers also come with 304, 206 and 404.
			resp, _ := p.do(t, "HEAD", "/l3/a.txt", nil)
			resp, body := p.do(t, "GET", "/l3/a.txt", nil, "If-None-Match", resp.Header.Get("ETag"))
			wantStatus(t, resp, body, 304)
			wantHeader(t, resp, "Profile", ContentProfile)
			wantHeader(t, resp, "Link", FilesListLink)
			resp, body = p.do(t, "GET", "/l3/big.bin", nil, "Range", "bytes=0-9")
			wantStatus(t, resp, body, 206)
			wantHeader(t, resp, "Profile", ContentProfile)
			resp, body = p.do(t, "GET", "/l3/missing.txt", nil)
			wantStatus(t, resp, body, 404)
			wantHeader(t, resp, "Profile", ContentProfile)
		})

		t.Run("home", func(t *testing.T) {
			t.Parallel()
			for _, method := range []string{"GET", "HEAD"} {
				resp, body := p.do(t, method, "/l3/home", nil)
				wantStatus(t, resp, body, 200)
				if method == "GET" && string(body) != HomeBody {
					t.Errorf("body = %q, want %q", body, HomeBody)
				}
				wantHeader(t, resp, "Content-Type", "application/json")
				wantHeader(t, resp, "Profile", HomeProfile)
				wantHeader(t, resp, "Allow", L3Allow)
				// Two header lines, in order (one comma-joined line would be one value).
				wantHeader(t, resp, "Link", HomeEntryLink, HomeNextLink)
				if etag := resp.Header.Get("ETag"); !strings.HasPrefix(etag, `"`) {
					t.Errorf("ETag = %q, want a strong ETag", etag)
				}
			}
		})

		t.Run("redirects", func(t *testing.T) {
			t.Parallel()
			for _, code := range []int{307, 308} {
				for _, method := range []string{"GET", "HEAD", "PUT", "POST", "DELETE"} {
					path := "/redirect" + strconv.Itoa(code) + "/a.txt"
					var body []byte
					if method == "PUT" || method == "POST" {
						body = []byte("payload")
					}
					resp, rbody := p.do(t, method, path, body, "Content-Type", "text/plain")
					wantStatus(t, resp, rbody, code)
					// nginx and Caddy send /files/a.txt, Apache
					// http(s)://127.0.0.1:PORT/files/a.txt: all resolve to
					// the same URL.
					loc, err := resp.Location()
					if err != nil {
						t.Fatalf("%s %s: Location: %v", method, path, err)
					}
					if loc.String() != p.URL+"/files/a.txt" {
						t.Errorf("%s %s: Location %q resolves to %s", method, path, resp.Header.Get("Location"), loc)
					}
				}
			}
			// The query string is kept; the following GET serves the file.
			resp, body := p.do(t, "GET", "/redirect307/sub/dir/c.json?x=1", nil)
			wantStatus(t, resp, body, 307)
			if loc, _ := resp.Location(); loc == nil || loc.Path != "/files/sub/dir/c.json" || loc.RawQuery != "x=1" {
				t.Errorf("Location = %q", resp.Header.Get("Location"))
			}
			followed, err := (&http.Client{Transport: clients[p.Transport].Transport}).Get(p.URL + "/redirect308/a.txt")
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(followed.Body)
			followed.Body.Close()
			if followed.StatusCode != 200 || !bytes.Equal(data, text) {
				t.Errorf("following /redirect308/a.txt: %s %q", followed.Status, data)
			}
		})

		t.Run("dav", func(t *testing.T) {
			t.Parallel()
			u := "/dav/"
			data := pattern(3 << 20) // bigger than /small/ takes, and than nginx's default limit
			resp, body := p.do(t, "PUT", u+"up.bin", data, "Content-Type", "application/octet-stream")
			wantStatus(t, resp, body, 201)
			resp, body = p.do(t, "GET", u+"up.bin", nil)
			wantStatus(t, resp, body, 200)
			if !bytes.Equal(body, data) {
				t.Errorf("GET after PUT: %d bytes differ from the %d put", len(body), len(data))
			}
			if onDisk, err := os.ReadFile(filepath.Join(s.DAVRoot, "up.bin")); err != nil || !bytes.Equal(onDisk, data) {
				t.Errorf("DAVRoot/up.bin: %v (%d bytes)", err, len(onDisk))
			}
			resp, body = p.do(t, "PUT", u+"up.bin", []byte("replaced"))
			wantSuccess(t, resp, body) // 204; 201 from Caddy's backend (see TestDifferences)
			resp, body = p.do(t, "GET", u+"up.bin", nil, "Range", "bytes=0-3")
			wantStatus(t, resp, body, 206)
			if string(body) != "repl" {
				t.Errorf("range after replace = %q", body)
			}

			// A file the test put there is served and replaceable, also when
			// the tests run as root (WriteFile gives it to the worker user).
			WriteFile(t, s.DAVRoot, "seeded.txt", []byte("seeded"))
			resp, body = p.do(t, "GET", u+"seeded.txt", nil)
			wantStatus(t, resp, body, 200)
			resp, body = p.do(t, "PUT", u+"seeded.txt", []byte("overwritten"))
			wantSuccess(t, resp, body)

			resp, body = p.do(t, "MKCOL", u+"coll/", nil)
			wantStatus(t, resp, body, 201)
			resp, body = p.do(t, "PUT", u+"coll/in.txt", []byte("in"))
			wantStatus(t, resp, body, 201)
			// COPY and MOVE to a new name: 201 from Apache and Caddy, 204
			// from nginx (see TestDifferences).
			resp, body = p.do(t, "COPY", u+"coll/in.txt", nil, "Destination", p.URL+u+"copy.txt")
			wantSuccess(t, resp, body)
			resp, body = p.do(t, "MOVE", u+"copy.txt", nil, "Destination", p.URL+u+"moved.txt")
			wantSuccess(t, resp, body)
			resp, body = p.do(t, "GET", u+"moved.txt", nil)
			wantStatus(t, resp, body, 200)
			if string(body) != "in" {
				t.Errorf("moved.txt = %q", body)
			}
			resp, body = p.do(t, "GET", u+"copy.txt", nil)
			wantStatus(t, resp, body, 404)

			resp, body = p.do(t, "DELETE", u+"moved.txt", nil)
			wantStatus(t, resp, body, 204)
			resp, body = p.do(t, "GET", u+"moved.txt", nil)
			wantStatus(t, resp, body, 404)
			resp, body = p.do(t, "DELETE", u+"moved.txt", nil)
			wantStatus(t, resp, body, 404)

			// /files/ is read-only: nginx and Apache refuse PUT, Caddy's
			// file_server serves the file for any method (TestDifferences).
			resp, body = p.do(t, "PUT", "/files/a.txt", []byte("no"))
			if s.Name == "caddy" {
				wantStatus(t, resp, body, 200)
			} else {
				wantStatus(t, resp, body, 405)
			}
			if onDisk, _ := os.ReadFile(filepath.Join(s.DocRoot, "a.txt")); !bytes.Equal(onDisk, text) {
				t.Errorf("DocRoot/a.txt = %q after PUT, want it unchanged", onDisk)
			}
		})

		t.Run("small", func(t *testing.T) {
			t.Parallel()
			u := "/small/"
			resp, body := p.do(t, "PUT", u+"limit.bin", pattern(SmallLimit))
			wantStatus(t, resp, body, 201)
			resp, body = p.do(t, "PUT", u+"big.bin", pattern(2<<20))
			wantStatus(t, resp, body, 413)
			resp, body = p.do(t, "GET", u+"limit.bin", nil) // the same tree as /dav/
			wantStatus(t, resp, body, 200)
			resp, body = p.do(t, "GET", "/dav/limit.bin", nil)
			wantStatus(t, resp, body, 200)

			// Without Content-Length (chunked), the limit still holds.
			req, _ := http.NewRequest("PUT", p.URL+u+"chunked.bin", io.MultiReader(bytes.NewReader(pattern(2<<20))))
			req.ContentLength = -1
			r, err := clients[p.Transport].Do(req)
			if err != nil {
				t.Fatalf("chunked PUT: %v", err)
			}
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
			if r.StatusCode != 413 {
				t.Errorf("chunked 2 MiB PUT to /small/: %s, want 413", r.Status)
			}
		})

		t.Run("slow", func(t *testing.T) {
			t.Parallel()
			if s.Name == "caddy" {
				t.Skip("Caddy 2.6 has no rate limit without plugins: /slow/ is 404 there (see Caddy)")
			}
			// nginx sends the first second's worth at once (its limit is
			// rate*(seconds+1)), Apache paces from the start: 3 MiB take
			// about 2 s and 3 s, so 2 MiB would be too close to the bound.
			began := time.Now()
			resp, body := p.do(t, "GET", "/slow/big.bin", nil)
			took := time.Since(began)
			wantStatus(t, resp, body, 200)
			if !bytes.Equal(body, big) {
				t.Errorf("slow body differs")
			}
			t.Logf("3 MiB over /slow/ took %v", took)
			if took < time.Second {
				t.Errorf("3 MiB over /slow/ took %v, want more than 1s at about 1 MiB/s", took)
			}
		})

		t.Run("problems", func(t *testing.T) {
			t.Parallel()
			for _, method := range []string{"GET", "POST", "PUT", "DELETE"} {
				for _, pr := range []struct {
					code       int
					body       string
					retryAfter []string
				}{
					{409, Problem409Body, nil},
					{503, Problem503Body, []string{"1"}},
				} {
					var reqBody []byte
					if method == "POST" || method == "PUT" {
						reqBody = []byte(`{"order":12}`)
					}
					resp, body := p.do(t, method, "/problem/"+strconv.Itoa(pr.code), reqBody, "Content-Type", "application/json")
					wantStatus(t, resp, body, pr.code)
					wantHeader(t, resp, "Content-Type", ProblemType)
					wantHeader(t, resp, "Retry-After", pr.retryAfter...)
					if string(body) != pr.body {
						t.Errorf("%s /problem/%d: body %q, want %q", method, pr.code, body, pr.body)
					}
				}
			}
		})
	})
}

// TestWriteFileValidators checks what WriteFile promises: a rewrite with
// data of the same length changes ETag and Last-Modified at once.
func TestWriteFileValidators(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *Server) {
		p := s.On(HTTP1)
		WriteFile(t, s.DocRoot, "v.txt", []byte("version 1"))
		resp1, _ := p.do(t, "HEAD", "/files/v.txt", nil)
		WriteFile(t, s.DocRoot, "v.txt", []byte("version 2"))
		resp2, body := p.do(t, "GET", "/files/v.txt", nil)
		if string(body) != "version 2" {
			t.Errorf("body = %q", body)
		}
		for _, h := range []string{"ETag", "Last-Modified"} {
			if resp1.Header.Get(h) == resp2.Header.Get(h) {
				t.Errorf("%s unchanged after rewrite: %q", h, resp1.Header.Get(h))
			}
		}
		if etag := resp2.Header.Get("ETag"); !strings.HasPrefix(etag, `"`) {
			t.Errorf("ETag = %q, want strong", etag)
		}
		resp, body := p.do(t, "GET", "/files/v.txt", nil, "Range", "bytes=0-2", "If-Range", resp1.Header.Get("ETag"))
		wantStatus(t, resp, body, 200)
	})
}
