// This file checks Wire: the body bytes it finds in synthetic HTTP/1.1 and
// HTTP/2 streams, and in what a client really wrote to the servers on
// every transport (TLS decrypted with the logged keys).

package realpeers

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestWireBodyBytes(t *testing.T) {
	frame := func(typ, flags byte, payload string) string {
		n := len(payload)
		return string([]byte{byte(n >> 16), byte(n >> 8), byte(n), typ, flags, 0, 0, 0, 1}) + payload
	}
	cases := []struct {
		name          string
		stream        string
		mark          int // -1: at the end
		before, after int64
	}{
		{"content-length", "PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", -1, 5, 0},
		{"two requests", "PUT /a HTTP/1.1\r\ncontent-length: 2\r\n\r\nhiGET /b HTTP/1.1\r\n\r\nPUT /c HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", -1, 5, 0},
		{"chunked", "PUT /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n", -1, 5, 0},
		{"cut short", "PUT /a HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", -1, 3, 0},
		{"headers only", "PUT /a HTTP/1.1\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n", -1, 0, 0},
		{"marked in the body", "PUT /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", len("PUT /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel"), 3, 2},
		{"h2", h2Preface + frame(4, 0, "") + frame(1, 4, "hdrs") + frame(0, 0, "abc") + frame(0, 0x8|0x1, "\x02de\x00\x00"), -1, 5, 0},
		{"h2 marked", h2Preface + frame(0, 0, "abc") + frame(3, 0, "\x00\x00\x00\x08") + frame(0, 1, "de"), len(h2Preface) + 9 + 3, 3, 2},
	}
	for _, c := range cases {
		mark := c.mark
		if mark < 0 {
			mark = len(c.stream)
		}
		before, after, err := bodyBytes([]byte(c.stream), mark)
		if err != nil || before != c.before || after != c.after {
			t.Errorf("%s: %d before, %d after, %v; want %d, %d", c.name, before, after, err, c.before, c.after)
		}
	}
	if _, _, err := bodyBytes([]byte("PUT /a HTTP/1.1\r\nContent-Length: x\r\n\r\n"), 0); err == nil {
		t.Error("a bad Content-Length went unnoticed")
	}
}

// TestWire sends uploads of known sizes over every transport and checks
// that Wire finds exactly their bodies, before and after a mark. The
// transports share a server: each puts files of its own.
func TestWire(t *testing.T) {
	t.Parallel()
	RunShared(t, func(t *testing.T, p Peer) {
		w := NewWire()
		tr := p.Transport.HTTPTransport()
		w.Instrument(tr)
		defer tr.CloseIdleConnections()
		c := &http.Client{Transport: tr}
		put := func(ctx context.Context, name string, body []byte, chunked bool) {
			t.Helper()
			var r io.Reader = bytes.NewReader(body)
			if chunked {
				r = io.MultiReader(r) // unknown length
			}
			req, err := http.NewRequestWithContext(ctx, "PUT", p.URL+"/dav/"+p.Transport.testName()+"-"+name, r)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 201 && resp.StatusCode != 204 {
				t.Fatalf("PUT %s: %s", name, resp.Status)
			}
		}
		put(context.Background(), "one.bin", pattern(100<<10), false)
		put(context.Background(), "two.bin", pattern(70<<10), true)
		w.Mark()
		put(context.Background(), "three.bin", pattern(33<<10), false)
		n, err := w.Count()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s", p, n)
		if n.Body != (100+70+33)<<10 || n.BodyAfter != 33<<10 {
			t.Errorf("%s: body %d, after the mark %d; want %d and %d", p, n.Body, n.BodyAfter, (100+70+33)<<10, 33<<10)
		}
		if n.Written < n.Body || n.WrittenAfter < n.BodyAfter {
			t.Errorf("%s: fewer bytes written than body bytes: %s", p, n)
		}
		if p.Transport.TLS && n.Written < n.Body+512 {
			t.Errorf("%s: the TLS handshake and records are not counted: %s", p, n)
		}
	})
}

// FuzzWireStreams feeds arbitrary client and server streams to what Wire
// parses: no panic, and never more body bytes than the stream holds.
func FuzzWireStreams(f *testing.F) {
	f.Add([]byte("PUT /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), []byte{}, 10)
	f.Add([]byte(h2Preface+"\x00\x00\x03\x00\x08\x00\x00\x00\x01\x01ab"), []byte{}, 0)
	f.Add([]byte("\x16\x03\x01\x00\x30\x01\x00\x00\x2c\x03\x03"+strings.Repeat("r", 32)), []byte("\x16\x03\x03\x00\x2a\x02\x00\x00\x26\x03\x03"+strings.Repeat("s", 32)+"\x00\x13\x01"), 5)
	f.Fuzz(func(t *testing.T, out, in []byte, mark int) {
		mark = max(0, min(mark, len(out)))
		before, after, err := bodyBytes(out, mark)
		if err == nil && (before < 0 || after < 0 || before+after > int64(len(out))) {
			t.Fatalf("bodyBytes: %d before, %d after, for %d bytes", before, after, len(out))
		}
		secrets := map[string]map[string][]byte{}
		if rs := records(out); len(rs) > 0 && len(rs[0].payload) >= 38 {
			random := hex.EncodeToString(rs[0].payload[6:38])
			secrets[random] = map[string][]byte{
				"CLIENT_HANDSHAKE_TRAFFIC_SECRET": bytes.Repeat([]byte{1}, 32),
				"CLIENT_TRAFFIC_SECRET_0":         bytes.Repeat([]byte{2}, 32),
			}
		}
		plain, plainMark, err := decryptClientStream(out, in, mark, secrets)
		if err == nil && (plainMark < 0 || plainMark > len(plain) || len(plain) > len(out)) {
			t.Fatalf("decryptClientStream: %d bytes, mark %d, from %d", len(plain), plainMark, len(out))
		}
		_, _ = serverSuite(in)
	})
}
