package level3

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

// big is the size of the uploads that must not reach a server that refuses
// them: any body byte sent would show.
const big = 50 << 20

// headersOnly bounds what a client may write for a request whose body must
// not be sent: its headers (and, over TLS, the handshake).
const headersOnly = 16 << 10

// zeros is an io.ReaderAt of endless zero bytes.
type zeros struct{}

func (zeros) ReadAt(p []byte, _ int64) (int, error) { clear(p); return len(p), nil }

// zeroBody returns n zero bytes as a replayable, unbuffered body.
func zeroBody(n int64) *io.SectionReader { return io.NewSectionReader(zeros{}, 0, n) }

// countingConn counts the bytes a client writes to a connection.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// wireClient returns an *http.Client for srv whose connections count every
// byte the client writes (over TLS, the encrypted bytes), with the given
// ExpectContinueTimeout (0: the gate alone does the waiting).
func wireClient(t *testing.T, srv *mocks.Server, ect time.Duration) (*http.Client, *atomic.Int64) {
	t.Helper()
	written := new(atomic.Int64)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.ExpectContinueTimeout = ect
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: c, n: written}, nil
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}, written
}

// eachProto runs test over HTTP/1.1 and HTTP/2, each with the transport
// waiting for 100 itself (ExpectContinueTimeout set) and not (0), against a
// fresh empty server.
func eachProto(t *testing.T, test func(t *testing.T, srv *mocks.Server, ect time.Duration)) {
	for _, proto := range []struct {
		name string
		opts []mocks.Option
	}{{"HTTP1", nil}, {"HTTP2", []mocks.Option{mocks.WithHTTP2()}}} {
		for _, ect := range []time.Duration{0, time.Second} {
			t.Run(proto.name+"/ect="+ect.String(), func(t *testing.T) {
				test(t, mocks.NewServer(t, proto.opts...), ect)
			})
		}
	}
}

// limitedUpload is an Upload resource taking at most max bytes.
func limitedUpload(max int64) *mocks.Resource {
	up := mocks.Upload()
	up.MaxBody = max
	return up
}

func TestPreflightDecision(t *testing.T) {
	p := PreflightPolicy{} // the default: PreflightAuto from 1 MiB
	const mib = 1 << 20
	for _, c := range []struct {
		name   string
		policy PreflightPolicy
		f      preflightFacts
		want   plan
	}{
		{"no body", p, preflightFacts{length: 5 * mib}, planDirect},
		{"small", p, preflightFacts{hasBody: true, length: mib - 1}, planDirect},
		{"at threshold", p, preflightFacts{hasBody: true, length: mib}, planExpect},
		{"unknown length", p, preflightFacts{hasBody: true, length: -1}, planExpect},
		{"negative threshold: every body", PreflightPolicy{Threshold: -1}, preflightFacts{hasBody: true, length: 1}, planExpect},
		{"negative threshold: an empty-looking body too", PreflightPolicy{Threshold: -1}, preflightFacts{hasBody: true, length: 0}, planExpect},
		{"zero threshold is 1 MiB", PreflightPolicy{Threshold: 0, Wait: time.Second}, preflightFacts{hasBody: true, length: mib - 1}, planDirect},
		{"explicit threshold", PreflightPolicy{Threshold: 10}, preflightFacts{hasBody: true, length: 10}, planExpect},
		{"policy never", PreflightPolicy{Mode: PreflightNever, Wait: time.Second}, preflightFacts{hasBody: true, length: 9 * mib}, planDirect},
		{"policy always", PreflightPolicy{Mode: PreflightAlways, Threshold: mib, Wait: time.Second}, preflightFacts{hasBody: true, length: 1}, planExpect},
		{"call always beats size", p, preflightFacts{hasBody: true, length: 1, callMode: PreflightAlways}, planExpect},
		{"call never beats size", p, preflightFacts{hasBody: true, length: 9 * mib, callMode: PreflightNever}, planDirect},
		{"call never beats policy always", PreflightPolicy{Mode: PreflightAlways, Wait: time.Second}, preflightFacts{hasBody: true, length: 1, callMode: PreflightNever}, planDirect},
		{"origin skips", p, preflightFacts{hasBody: true, length: 9 * mib, skipOrigin: true}, planDirect},
		{"origin skips unknown length", p, preflightFacts{hasBody: true, length: -1, skipOrigin: true}, planDirect},
		{"call always beats the origin memory", p, preflightFacts{hasBody: true, length: 1, callMode: PreflightAlways, skipOrigin: true}, planExpect},
		{"call always beats the origin memory, async", p, preflightFacts{hasBody: true, length: 9 * mib, callMode: PreflightAlways, async: true, skipOrigin: true}, planProbe},
		{"policy always beats the origin memory", PreflightPolicy{Mode: PreflightAlways, Wait: time.Second}, preflightFacts{hasBody: true, length: 9 * mib, skipOrigin: true}, planExpect},
		{"call never with the origin memory", p, preflightFacts{hasBody: true, length: 9 * mib, callMode: PreflightNever, skipOrigin: true}, planDirect},
		{"caller's expect always honoured", PreflightPolicy{Mode: PreflightNever, Wait: time.Second}, preflightFacts{hasBody: true, length: 1, callerExpect: true, skipOrigin: true}, planExpect},
		{"async probes", p, preflightFacts{hasBody: true, length: 9 * mib, async: true}, planProbe},
		{"small async sent directly", p, preflightFacts{hasBody: true, length: 10, async: true}, planDirect},
		{"caller's expect with async", p, preflightFacts{hasBody: true, length: 9 * mib, async: true, callerExpect: true}, planExpect},
	} {
		assert.Equal(t, c.want, preflightDecision(c.policy, c.f), c.name)
	}
}

func TestPreflightPolicyValidate(t *testing.T) {
	for _, p := range []PreflightPolicy{
		{Wait: -time.Second},
		{Mode: PreflightMode(7), Wait: time.Second},
	} {
		_, err := New(WithPreflight(p))
		assert.ErrorContains(t, err, "PreflightPolicy.", "%+v", p)
	}
	c, err := New()
	require.NoError(t, err)
	assert.Equal(t, PreflightPolicy{Mode: PreflightAuto, Threshold: 1 << 20, Wait: time.Second}, c.preflight, "the zero policy's defaults")
	c, err = New(WithPreflight(PreflightPolicy{Threshold: -1}))
	require.NoError(t, err)
	assert.Equal(t, PreflightPolicy{Threshold: -1, Wait: time.Second}, c.preflight, "a negative threshold (every body) is kept")
	assert.Equal(t, time.Second, c.HTTPClient().Transport.(*http.Transport).ExpectContinueTimeout, "the own transport waits as long")
	_, err = New(WithPreflight(PreflightPolicy{Mode: PreflightNever, Wait: time.Millisecond}))
	assert.NoError(t, err)
	assert.Equal(t, "always", PreflightAlways.String())
	assert.Equal(t, "PreflightMode(9)", PreflightMode(9).String())
}

func TestOriginMemoryIsBounded(t *testing.T) {
	m := newOriginMemory()
	for i := range maxOrigins + 10 {
		m.add("http://h" + strconv.Itoa(i) + ":80")
	}
	m.add("http://h20:80") // already there: no change
	assert.False(t, m.has("http://h0:80"), "oldest evicted")
	assert.True(t, m.has("http://h10:80"))
	assert.True(t, m.has("http://h"+strconv.Itoa(maxOrigins+9)+":80"))
	assert.Len(t, m.set, maxOrigins)
	assert.Len(t, m.order, maxOrigins)
}

// TestRawTransportSendsBodyAfterKeepAliveRejection pins down the problem the
// preflight layer solves: net/http's own transport, given expect:
// 100-continue, uploads the whole body after a rejection that keeps the
// connection open. The same server then gets nothing from the Client.
func TestRawTransportSendsBodyAfterKeepAliveRejection(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.Handle("/up", limitedUpload(1<<20))
	srv.Fail("/up", mocks.KeepOpen())
	hc, written := wireClient(t, srv, time.Second)
	req, err := NewRequest(context.Background(), http.MethodPost, srv.URL+"/up", zeroBody(big))
	require.NoError(t, err)
	req.Header.Set("Expect", "100-continue")
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := hc.Do(req)
	require.NoError(t, err)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	// (Reading the answer to its end before the upload is over would make
	// net/http drop the connection 50ms later, cutting the upload short.)
	require.Eventually(t, func() bool { return srv.BodyBytes("/up") == big }, 20*time.Second, 10*time.Millisecond,
		"net/http sends the body after a keep-alive rejection")
	drainAndClose(resp.Body)
	assert.Greater(t, written.Load(), int64(big))

	srv.ResetLog()
	srv.Fail("/up", mocks.KeepOpen())
	hc, written = wireClient(t, srv, time.Second)
	c, err := New(WithHTTPClient(hc))
	require.NoError(t, err)
	_, err = c.Upload(context.Background(), srv.URL+"/up", zeroBody(big), nil)
	var tooLarge *PayloadTooLargeError
	require.ErrorAs(t, err, &tooLarge)
	assert.Zero(t, srv.BodyBytes("/up"))
	assert.Less(t, written.Load(), int64(headersOnly))
}

func TestPreflightRejectionSendsNoBody(t *testing.T) {
	for _, c := range []struct {
		name    string
		fault   func() []mocks.Fault
		length  int64 // 0: big
		chunked bool
		check   func(t *testing.T, err error)
	}{
		{"413 closing", nil, 0, false, func(t *testing.T, err error) {
			var e *PayloadTooLargeError
			assert.ErrorAs(t, err, &e)
		}},
		{"413 keeping the connection", func() []mocks.Fault { return []mocks.Fault{mocks.KeepOpen()} }, 0, false, func(t *testing.T, err error) {
			var e *PayloadTooLargeError
			assert.ErrorAs(t, err, &e)
		}},
		{"403 keeping the connection", func() []mocks.Fault {
			return []mocks.Fault{mocks.Problem(http.StatusForbidden, "Quota", "over quota").KeepOpen()}
		}, 1 << 20, false, func(t *testing.T, err error) {
			var e *ForbiddenError
			require.ErrorAs(t, err, &e)
			require.NotNil(t, e.Problem, "the answer is read whole before the connection goes")
			assert.Equal(t, "Quota", e.Problem.Title)
		}},
		{"401 closing", func() []mocks.Fault { return []mocks.Fault{mocks.Status(http.StatusUnauthorized)} }, 1 << 20, false, func(t *testing.T, err error) {
			var e *UnauthorizedError
			assert.ErrorAs(t, err, &e)
		}},
		{"411 for a body of unknown length", nil, 0, true, func(t *testing.T, err error) {
			var e *LengthRequiredError
			require.ErrorAs(t, err, &e)
			assert.Contains(t, err.Error(), "UploadOptions.Length")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			eachProto(t, func(t *testing.T, srv *mocks.Server, ect time.Duration) {
				srv.Handle("/up", limitedUpload(1<<20))
				if c.fault != nil {
					srv.Fail("/up", c.fault()...)
				}
				hc, written := wireClient(t, srv, ect)
				cl, err := New(WithHTTPClient(hc), WithRetry(fastRetry))
				require.NoError(t, err)
				length := c.length
				if length == 0 {
					length = big
				}
				var body io.Reader = zeroBody(length)
				if c.chunked {
					body = io.LimitReader(zeroBody(length), length) // a plain reader: length unknown
				}
				_, err = cl.Upload(context.Background(), srv.URL+"/up", body, &UploadOptions{ContentType: "application/octet-stream"})
				c.check(t, err)
				assert.Zero(t, srv.BodyBytes("/up"), "body bytes the server read")
				assert.Less(t, written.Load(), int64(headersOnly), "bytes the client wrote")
				assert.Equal(t, 1, srv.Count("/up"))
			})
		})
	}
}

func TestPreflightAcceptedSendsBodyOnce(t *testing.T) {
	eachProto(t, func(t *testing.T, srv *mocks.Server, ect time.Duration) {
		srv.Handle("/up", limitedUpload(4<<20))
		hc, _ := wireClient(t, srv, ect)
		c, err := New(WithHTTPClient(hc), WithPreflight(PreflightPolicy{Threshold: 1 << 20, Wait: time.Minute}))
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // far below the wait: 100 must open the gate
		defer cancel()
		res, err := c.Upload(ctx, srv.URL+"/up", zeroBody(2<<20), nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusCreated, res.Status)
		assert.EqualValues(t, 2<<20, res.Sent)
		assert.EqualValues(t, 2<<20, srv.BodyBytes("/up"))
		require.Len(t, srv.Requests(), 1)
		if srv.Requests()[0].Proto == "HTTP/1.1" {
			// net/http's HTTP/2 server removes expect before handlers see it.
			assert.Equal(t, "100-continue", srv.Requests()[0].Header.Get("Expect"))
		}
		assert.False(t, c.origins.has(origin(res.Location)), "an origin that answers 100 is not remembered")
	})
}

func TestPreflight417ResendsAtOnceAndRemembers(t *testing.T) {
	for _, fault := range []struct {
		name string
		f    mocks.Fault
	}{{"closing", mocks.Expect417()}, {"keeping the connection", mocks.Expect417().KeepOpen()}} {
		t.Run(fault.name, func(t *testing.T) {
			srv := mocks.NewServer(t) // HTTP/1: net/http's HTTP/2 server hides expect from handlers
			srv.Handle("/up", limitedUpload(4<<20))
			srv.Fail("/up", fault.f)
			// The wait is far longer than the test may run: the resend must
			// not wait for it.
			c, err := New(WithHTTPClient(srv.Client()), WithPreflight(PreflightPolicy{Threshold: 1, Wait: time.Hour}))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			file := writeTemp(t, "a.bin", strings.Repeat("x", 3<<20))
			res, err := c.UploadFile(ctx, srv.URL+"/up", file, nil)
			require.NoError(t, err)
			assert.Equal(t, http.StatusCreated, res.Status)
			log := srv.Requests()
			require.Len(t, log, 2)
			assert.Equal(t, "100-continue", log[0].Header.Get("Expect"))
			assert.Zero(t, log[0].BodyBytes)
			assert.Empty(t, log[1].Header.Get("Expect"))
			assert.EqualValues(t, 3<<20, log[1].BodyBytes)
			stored, ok := srv.Resource(strings.TrimPrefix(res.Location.String(), srv.URL))
			require.True(t, ok)
			assert.Equal(t, strings.Repeat("x", 3<<20), string(stored.Body))

			srv.ResetLog()
			_, err = c.Upload(ctx, srv.URL+"/up", zeroBody(2<<20), nil)
			require.NoError(t, err)
			require.Len(t, srv.Requests(), 1)
			assert.Empty(t, srv.Requests()[0].Header.Get("Expect"), "the origin is remembered")
		})
	}
}

func TestPreflightSilentServerGetsBodyAfterWaitThenNoWait(t *testing.T) {
	for _, proto := range []struct {
		name  string
		opts  []mocks.Option
		fault mocks.Fault
	}{
		{"HTTP1 never answers 100", nil, mocks.NoContinue()},
		// net/http's HTTP/2 server answers 100 when the handler first
		// reads: a handler that starts late is a server that is silent
		// for the wait.
		{"HTTP2 answers 100 late", []mocks.Option{mocks.WithHTTP2()}, mocks.Delay(400 * time.Millisecond)},
	} {
		t.Run(proto.name, func(t *testing.T) {
			srv := mocks.NewServer(t, proto.opts...)
			srv.Handle("/up", limitedUpload(4<<20))
			srv.Fail("/up", proto.fault)
			const wait = 100 * time.Millisecond
			hc, _ := wireClient(t, srv, 0)
			c, err := New(WithHTTPClient(hc), WithPreflight(PreflightPolicy{Threshold: 1, Wait: wait}))
			require.NoError(t, err)
			ctx := context.Background()
			res, err := c.Upload(ctx, srv.URL+"/up", zeroBody(2<<20), nil)
			require.NoError(t, err)
			assert.Equal(t, http.StatusCreated, res.Status)
			assert.EqualValues(t, 2<<20, srv.BodyBytes("/up"))
			assert.True(t, c.origins.has(origin(res.Location)))

			srv.ResetLog()
			srv.Fail("/up", mocks.NoContinue()) // would make the client wait again, if it preflighted
			_, err = c.Upload(ctx, srv.URL+"/up", zeroBody(2<<20), nil)
			require.NoError(t, err)
			require.Len(t, srv.Requests(), 1)
			assert.Empty(t, srv.Requests()[0].Header.Get("Expect"), "no expect, so no wait, for an origin that ignores it")
		})
	}
}

func TestPreflightFollowsRedirectHops(t *testing.T) {
	eachProto(t, func(t *testing.T, srv *mocks.Server, ect time.Duration) {
		srv.Handle("/up", limitedUpload(4<<20))
		srv.Handle("/alias", mocks.Alias(http.StatusTemporaryRedirect, "/up").With(profiles.Upload))
		hc, _ := wireClient(t, srv, ect) // follows redirects itself
		c, err := New(WithHTTPClient(hc))
		require.NoError(t, err)
		res, err := c.Upload(context.Background(), srv.URL+"/alias", zeroBody(2<<20), nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusCreated, res.Status)
		assert.Zero(t, srv.BodyBytes("/alias"), "the alias answered before 100: no body")
		assert.EqualValues(t, 2<<20, srv.BodyBytes("/up"))
	})
}

func TestPreflightContextEndsTheWait(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.Handle("/up", limitedUpload(4<<20))
	srv.Fail("/up", mocks.NoContinue())
	c, err := New(WithHTTPClient(srv.Client()), WithPreflight(PreflightPolicy{Threshold: 1, Wait: time.Hour}))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = c.Upload(ctx, srv.URL+"/up", zeroBody(2<<20), nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, srv.BodyBytes("/up"))
}
