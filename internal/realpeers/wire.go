// This file holds Wire, which counts what an HTTP client writes to its
// sockets, and of that how many bytes are request body, before and after a
// point in time (the moment a rejection arrived): for TLS it reads the body
// out of the encrypted records with the keys the client logs (TLS 1.3,
// AES-GCM), and for HTTP/2 out of the DATA frames. transport.go holds the
// transports it instruments.

package realpeers

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
)

// Wire records every byte an *http.Transport writes to its connections, so
// a test can tell how much of it was request body, and how much went out
// after a mark: "a refused upload sends no body byte after the rejection,
// counted at the socket". It keeps what was written in memory: it is meant
// for exchanges of a few megabytes at most.
//
// Over TLS the bytes counted are the encrypted records; to find the body in
// them Wire restricts the transport to TLS 1.3 and reads the client's
// traffic keys from tls.Config.KeyLogWriter, and decrypts what the client
// wrote (AES-GCM suites, which Go's client prefers on CPUs with AES
// instructions; Count fails on ChaCha20-Poly1305). The body is the payload of
// HTTP/2 DATA frames, or what follows an HTTP/1.1 request's header block
// (Content-Length or chunked data, without the chunk framing).
//
// A Wire is safe for concurrent use.
type Wire struct {
	mu      sync.Mutex
	conns   []*wireConn
	secrets map[string]map[string][]byte // client random (hex) -> label -> secret
	marked  bool
	partial []byte // an unfinished key log line
}

// WireCount is what a [Wire] counted, over all its connections.
type WireCount struct {
	Conns        int   // connections dialed
	Written      int64 // bytes written to the sockets (for TLS: records, handshake included)
	WrittenAfter int64 // of Written, bytes written after the mark
	Body         int64 // request body bytes among Written (decrypted, without framing)
	BodyAfter    int64 // of Body, bytes written after the mark
}

// String formats c for a test log.
func (c WireCount) String() string {
	return fmt.Sprintf("%d bytes written on %d connection(s), %d after the mark; body bytes: %d, %d after the mark",
		c.Written, c.Conns, c.WrittenAfter, c.Body, c.BodyAfter)
}

// NewWire returns a Wire with nothing recorded.
func NewWire() *Wire {
	return &Wire{secrets: map[string]map[string][]byte{}}
}

// Instrument makes tr dial through w: its connections are wrapped to record
// what is written, and its TLS configuration (a copy, or TLSConfig() when
// it has none) is limited to TLS 1.3 with its keys logged to w. Call it
// before tr is used; tr must not have DialTLSContext or DialTLS set.
func (w *Wire) Instrument(tr *http.Transport) {
	dial := tr.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		wc := &wireConn{Conn: c, mark: -1}
		w.mu.Lock()
		if w.marked {
			wc.mark = 0
		}
		w.conns = append(w.conns, wc)
		w.mu.Unlock()
		return wc, nil
	}
	cfg := tr.TLSClientConfig
	if cfg == nil {
		cfg = TLSConfig()
	} else {
		cfg = cfg.Clone()
	}
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS13, tls.VersionTLS13
	cfg.KeyLogWriter = w
	tr.TLSClientConfig = cfg
}

// Mark notes the present length of every connection's stream: what is
// written from now on counts as after the mark, and so does everything on
// connections dialed later. Marking again does nothing.
func (w *Wire) Mark() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.marked {
		return
	}
	w.marked = true
	for _, c := range w.conns {
		c.mu.Lock()
		c.mark = len(c.out)
		c.mu.Unlock()
	}
}

// MarkOnAnswer returns ctx with a trace that marks w when the first byte
// of a response (1xx included) arrives: give it to the request whose
// rejection is awaited.
func (w *Wire) MarkOnAnswer(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotFirstResponseByte: w.Mark,
		Got1xxResponse: func(int, textproto.MIMEHeader) error {
			w.Mark()
			return nil
		},
	})
}

// Write takes the TLS key log (it is the KeyLogWriter of the instrumented
// transport): lines "LABEL CLIENT_RANDOM SECRET" in hex.
func (w *Wire) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		f := strings.Fields(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
		if len(f) != 3 {
			continue
		}
		secret, err := hex.DecodeString(f[2])
		if err != nil {
			continue
		}
		random := strings.ToLower(f[1])
		if w.secrets[random] == nil {
			w.secrets[random] = map[string][]byte{}
		}
		w.secrets[random][f[0]] = secret
	}
	return len(p), nil
}

// Count counts what was written so far.
func (w *Wire) Count() (WireCount, error) {
	w.mu.Lock()
	conns := append([]*wireConn(nil), w.conns...)
	secrets := w.secrets
	w.mu.Unlock()
	var n WireCount
	n.Conns = len(conns)
	for _, c := range conns {
		c.mu.Lock()
		out, in, mark := append([]byte(nil), c.out...), append([]byte(nil), c.in...), c.mark
		c.mu.Unlock()
		if mark < 0 {
			mark = len(out)
		}
		n.Written += int64(len(out))
		n.WrittenAfter += int64(len(out) - mark)
		plain, plainMark := out, mark
		if len(out) > 0 && out[0] == recordHandshake {
			var err error
			w.mu.Lock()
			plain, plainMark, err = decryptClientStream(out, in, mark, secrets)
			w.mu.Unlock()
			if err != nil {
				return n, err
			}
		}
		before, after, err := bodyBytes(plain, plainMark)
		if err != nil {
			return n, err
		}
		n.Body += before + after
		n.BodyAfter += after
	}
	return n, nil
}

// Open returns how many of the connections dialed are not closed yet: a
// test waits for none before it counts what a closing client wrote last.
func (w *Wire) Open() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, c := range w.conns {
		c.mu.Lock()
		if !c.closed {
			n++
		}
		c.mu.Unlock()
	}
	return n
}

// wireConn records what is written to it, and the first bytes read (for
// the TLS ServerHello, which names the cipher suite).
type wireConn struct {
	net.Conn
	mu     sync.Mutex
	out    []byte
	in     []byte
	mark   int // len(out) at the mark; -1 before it
	closed bool
}

func (c *wireConn) Close() error {
	err := c.Conn.Close()
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return err
}

// maxRecordedIn is how much of what the server sends is kept: enough for
// its ServerHello.
const maxRecordedIn = 16 << 10

// Write records p before it writes it: an answer may come, and Mark run,
// before Conn.Write returns, and these bytes were sent before the client
// could know of it. What was not written is dropped from the record.
func (c *wireConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.out = append(c.out, p...)
	c.mu.Unlock()
	n, err := c.Conn.Write(p)
	if n < len(p) {
		c.mu.Lock()
		c.out = c.out[:len(c.out)-(len(p)-n)]
		c.mark = min(c.mark, len(c.out))
		c.mu.Unlock()
	}
	return n, err
}

func (c *wireConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	if keep := min(n, maxRecordedIn-len(c.in)); keep > 0 {
		c.in = append(c.in, p[:keep]...)
	}
	c.mu.Unlock()
	return n, err
}

// TLS record content types (RFC 8446 5.1).
const (
	recordHandshake   = 22
	recordApplication = 23
)

// record is one TLS record of a stream.
type record struct {
	typ     byte
	start   int    // offset of its header in the stream
	payload []byte // what follows the 5-byte header (may be cut short at the end)
}

// records splits a stream into TLS records.
func records(stream []byte) []record {
	var rs []record
	for pos := 0; pos+5 <= len(stream); {
		n := int(binary.BigEndian.Uint16(stream[pos+3:]))
		end := min(pos+5+n, len(stream))
		rs = append(rs, record{typ: stream[pos], start: pos, payload: stream[pos+5 : end]})
		pos += 5 + n
	}
	return rs
}

// decryptClientStream returns the application data a TLS 1.3 client wrote
// in out, and the offset in it that corresponds to mark in out. in is the
// start of what the server sent (for the cipher suite); secrets are from the
// key log, by client random.
func decryptClientStream(out, in []byte, mark int, secrets map[string]map[string][]byte) ([]byte, int, error) {
	rs := records(out)
	if len(rs) == 0 || rs[0].typ != recordHandshake || len(rs[0].payload) < 4+2+32 || rs[0].payload[0] != 1 {
		return nil, 0, errors.New("realpeers: Wire: the stream does not start with a ClientHello")
	}
	random := hex.EncodeToString(rs[0].payload[4+2 : 4+2+32])
	suite, err := serverSuite(in)
	if err != nil {
		return nil, 0, err
	}
	var keyLen int
	var h func() hash.Hash
	switch suite {
	case tls.TLS_AES_128_GCM_SHA256:
		keyLen, h = 16, sha256.New
	case tls.TLS_AES_256_GCM_SHA384:
		keyLen, h = 32, sha512.New384
	default:
		return nil, 0, fmt.Errorf("realpeers: Wire: cipher suite %s is not AES-GCM: cannot read the body bytes", tls.CipherSuiteName(suite))
	}
	var aeads [2]cipher.AEAD // handshake, application
	var ivs [2][]byte
	for i, label := range []string{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"} {
		secret := secrets[random][label]
		if secret == nil {
			return nil, 0, fmt.Errorf("realpeers: Wire: no %s in the key log for this connection", label)
		}
		aeads[i], ivs[i], err = trafficAEAD(h, secret, keyLen)
		if err != nil {
			return nil, 0, err
		}
	}
	var plain []byte
	plainMark := -1
	var seq [2]uint64
	for _, r := range rs {
		if r.start >= mark && plainMark < 0 {
			plainMark = len(plain)
		}
		if r.typ != recordApplication {
			continue // ClientHello, ChangeCipherSpec
		}
		header := out[r.start : r.start+5]
		if len(r.payload) < int(binary.BigEndian.Uint16(header[3:])) {
			break // cut short: a write that failed part-way
		}
		var inner []byte
		opened := false
		for _, k := range []int{1, 0} { // application data first, else the Finished
			nonce := make([]byte, 12)
			copy(nonce, ivs[k])
			for i := range 8 {
				nonce[4+i] ^= byte(seq[k] >> (56 - 8*i))
			}
			if p, err := aeads[k].Open(nil, nonce, r.payload, header); err == nil {
				inner, opened = p, true
				seq[k]++
				break
			}
		}
		if !opened {
			return nil, 0, errors.New("realpeers: Wire: a record did not decrypt (a key update?)")
		}
		inner = bytes.TrimRight(inner, "\x00")
		if len(inner) > 0 && inner[len(inner)-1] == recordApplication {
			plain = append(plain, inner[:len(inner)-1]...)
		}
	}
	if plainMark < 0 {
		plainMark = len(plain)
	}
	return plain, plainMark, nil
}

// serverSuite reads the cipher suite from the ServerHello at the start of
// in.
func serverSuite(in []byte) (uint16, error) {
	rs := records(in)
	if len(rs) == 0 || rs[0].typ != recordHandshake {
		return 0, errors.New("realpeers: Wire: no ServerHello read")
	}
	p := rs[0].payload
	if len(p) < 4+2+32+1 || p[0] != 2 {
		return 0, errors.New("realpeers: Wire: the server's first record is not a ServerHello")
	}
	i := 4 + 2 + 32
	i += 1 + int(p[i]) // legacy_session_id_echo
	if len(p) < i+2 {
		return 0, errors.New("realpeers: Wire: ServerHello cut short")
	}
	return binary.BigEndian.Uint16(p[i:]), nil
}

// trafficAEAD derives the AES-GCM key and IV of a TLS 1.3 traffic secret
// (RFC 8446 7.3).
func trafficAEAD(h func() hash.Hash, secret []byte, keyLen int) (cipher.AEAD, []byte, error) {
	key, err := expandLabel(h, secret, "key", keyLen)
	if err != nil {
		return nil, nil, err
	}
	iv, err := expandLabel(h, secret, "iv", 12)
	if err != nil {
		return nil, nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, err
	}
	aead, err := cipher.NewGCM(block)
	return aead, iv, err
}

// expandLabel is HKDF-Expand-Label with an empty context (RFC 8446 7.1).
func expandLabel(h func() hash.Hash, secret []byte, label string, n int) ([]byte, error) {
	full := "tls13 " + label
	info := make([]byte, 0, 4+len(full))
	info = binary.BigEndian.AppendUint16(info, uint16(n))
	info = append(info, byte(len(full)))
	info = append(info, full...)
	info = append(info, 0)
	return hkdf.Expand(h, secret, string(info), n)
}

// h2Preface starts every HTTP/2 client stream (RFC 9113 3.4).
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// bodyBytes counts the request body bytes in a client's plaintext stream,
// before and after offset mark.
func bodyBytes(stream []byte, mark int) (before, after int64, err error) {
	add := func(a, b int) { // the body span [a, b)
		before += int64(max(0, min(b, mark)-a))
		after += int64(max(0, b-max(a, mark)))
	}
	if bytes.HasPrefix(stream, []byte(h2Preface)) {
		for pos := len(h2Preface); pos+9 <= len(stream); {
			n := int(stream[pos])<<16 | int(stream[pos+1])<<8 | int(stream[pos+2])
			typ, flags := stream[pos+3], stream[pos+4]
			start, end := pos+9, min(pos+9+n, len(stream))
			if typ == 0 { // DATA
				if flags&0x8 != 0 && start < end { // PADDED
					pad := int(stream[start])
					start++
					end = max(start, min(end, pos+9+n-pad))
				}
				add(start, end)
			}
			pos += 9 + n
		}
		return before, after, nil
	}
	for pos := 0; pos < len(stream); {
		i := bytes.Index(stream[pos:], []byte("\r\n\r\n"))
		if i < 0 {
			break // headers cut short
		}
		head := string(stream[pos : pos+i])
		pos += i + 4
		length, chunked := int64(0), false
		for _, line := range strings.Split(head, "\r\n")[1:] {
			name, value, _ := strings.Cut(line, ":")
			value = strings.TrimSpace(value)
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "content-length":
				if length, err = strconv.ParseInt(value, 10, 64); err != nil {
					return 0, 0, fmt.Errorf("realpeers: Wire: Content-Length %q", value)
				}
			case "transfer-encoding":
				chunked = strings.EqualFold(value, "chunked")
			}
		}
		if !chunked {
			end := min(len(stream), pos+int(length))
			add(pos, end)
			pos = end
			continue
		}
		for pos < len(stream) {
			j := bytes.Index(stream[pos:], []byte("\r\n"))
			if j < 0 {
				return before, after, nil
			}
			sizeText, _, _ := strings.Cut(string(stream[pos:pos+j]), ";")
			size, err := strconv.ParseInt(strings.TrimSpace(sizeText), 16, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("realpeers: Wire: chunk size %q", sizeText)
			}
			pos += j + 2
			if size == 0 {
				// Trailers (none, as Go sends it) up to an empty line.
				k := bytes.Index(stream[pos:], []byte("\r\n"))
				if k < 0 {
					return before, after, nil
				}
				pos += k + 2
				break
			}
			end := min(len(stream), pos+int(size))
			add(pos, end)
			pos = min(len(stream), end+2)
		}
	}
	return before, after, nil
}
