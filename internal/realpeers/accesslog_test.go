package realpeers

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseLogLine(t *testing.T) {
	cases := map[string]LogEntry{
		`127.0.0.1 - - [25/Nov/2026:10:00:00 +0000] "GET /files/a.txt?x=1 HTTP/1.1" 200 13 "-" "Go-http-client/1.1"`:                                                                            {"GET", "/files/a.txt?x=1", 200},
		`127.0.0.1 - - [25/Nov/2026:10:00:00 +0000] "PUT /dav307/b.txt HTTP/1.1" 307 -`:                                                                                                         {"PUT", "/dav307/b.txt", 307},
		`127.0.0.1 - - [25/Nov/2026:10:00:00 +0000] "GET /l3/a.txt HTTP/2.0" 304 0 "-" "Go-http-client/2.0"`:                                                                                    {"GET", "/l3/a.txt", 304},
		`{"level":"info","logger":"http.log.access.access","msg":"handled request","request":{"proto":"HTTP/2.0","method":"PUT","host":"127.0.0.1:1","uri":"/dav/a%20b.txt?x=1"},"status":201}`: {"PUT", "/dav/a%20b.txt?x=1", 201},
	}
	for line, want := range cases {
		got, ok := parseLogLine(line)
		if !ok || got != want {
			t.Errorf("parseLogLine(%q) = %+v, %v; want %+v", line, got, ok, want)
		}
	}
	for _, bad := range []string{"", "no quotes", `x "GET" 200`, `x "GET /a HTTP/1.1" abc`, `x "GET /a HTTP/1.1`, `{"request":{"method":"GET"}}`, `{"msg":`} {
		if got, ok := parseLogLine(bad); ok {
			t.Errorf("parseLogLine(%q) = %+v, want no entry", bad, got)
		}
	}
}

func TestAccessLogAndDAVRedirects(t *testing.T) {
	t.Parallel()
	Run(t, func(t *testing.T, p Peer) {
		s := p.Server
		WriteFile(t, s.DocRoot, "a.txt", []byte("hello\n"))
		for range 2 {
			resp, body := p.do(t, "GET", "/files/a.txt", nil)
			wantStatus(t, resp, body, 200)
		}
		for _, code := range []string{"307", "308"} {
			for _, method := range []string{"PUT", "POST", "GET"} {
				resp, body := p.do(t, method, "/dav"+code+"/new.txt?v=1", []byte("payload"))
				wantStatus(t, resp, body, map[string]int{"307": 307, "308": 308}[code])
				loc, err := resp.Location()
				if err != nil || loc.String() != p.URL+"/dav/new.txt?v=1" {
					t.Errorf("%s /dav%s/: Location %q", method, code, resp.Header.Get("Location"))
				}
			}
		}
		resp, body := p.do(t, "PUT", "/dav/new.txt", []byte("payload"))
		wantSuccess(t, resp, body)
		got, err := os.ReadFile(filepath.Join(s.DAVRoot, "new.txt"))
		if err != nil || string(got) != "payload" {
			t.Errorf("DAVRoot/new.txt = %q, %v", got, err)
		}

		log := s.AccessLogWhen(t, clients[p.Transport], func(log []LogEntry) bool { return len(log) >= 9 })
		if len(log) != 9 {
			t.Errorf("AccessLog has %d entries, want 9: %+v", len(log), log)
		}
		if n := s.Count(t, "GET", "/files/a.txt"); n != 2 {
			t.Errorf("Count(GET /files/a.txt) = %d, want 2", n)
		}
		if n := s.Count(t, "", "/dav308/new.txt?v=1"); n != 3 {
			t.Errorf("Count(/dav308/new.txt?v=1) = %d, want 3", n)
		}
		if n := s.Count(t, "POST", "/dav307/new.txt?v=1"); n != 1 {
			t.Errorf("Count(POST /dav307/new.txt?v=1) = %d, want 1", n)
		}
	})
}

// FuzzParseLogLine checks that no line makes parseLogLine panic, and that
// what it accepts has a method and a status.
func FuzzParseLogLine(f *testing.F) {
	f.Add(`127.0.0.1 - - [25/Nov/2026:10:00:00 +0000] "GET /files/a.txt?x=1 HTTP/1.1" 200 13 "-" "Go-http-client/1.1"`)
	f.Add(`{"request":{"method":"PUT","uri":"/dav/a"},"status":201}`)
	f.Add(`x "GET /a HTTP/1.1`)
	f.Fuzz(func(t *testing.T, line string) {
		e, ok := parseLogLine(line)
		if ok && e.Method == "" {
			t.Fatalf("parseLogLine(%q) = %+v", line, e)
		}
	})
}
