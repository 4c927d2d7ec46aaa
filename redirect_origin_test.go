package level3

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/redirects"
)

// credentials are sent with every request of credentialed clients; none may
// ever reach an origin other than the one asked.
var credentials = map[string]string{
	"Authorization":       "Bearer s3cret",
	"Cookie":              "sid=42",
	"Proxy-Authorization": "Basic cHJveHk6cHc=",
	"X-Api-Key":           "k-123", // marked sensitive by the policy
}

// credentialed returns a Client sending credentials (and a harmless X-Trace)
// with every request through hc, with policy p plus X-Api-Key marked
// sensitive.
func credentialed(t *testing.T, hc *http.Client, p RedirectPolicy, opts ...Option) *Client {
	t.Helper()
	p.SensitiveHeaders = append(p.SensitiveHeaders, "X-Api-Key")
	all := []Option{WithHTTPClient(hc), WithRetry(fastRetry), WithRedirectPolicy(p), WithHeader("X-Trace", "t1")}
	for name, value := range credentials {
		all = append(all, WithHeader(name, value))
	}
	c, err := New(append(all, opts...)...)
	require.NoError(t, err)
	return c
}

// assertNoCredentials checks that none of the requests srv saw for the given
// paths (all paths when none are given) carried a credential, while the
// harmless header arrived.
func assertNoCredentials(t *testing.T, srv *mocks.Server, paths ...string) int {
	t.Helper()
	n := 0
	for _, r := range srv.Requests() {
		if len(paths) > 0 && !containsString(paths, r.Path) {
			continue
		}
		n++
		for name := range credentials {
			assert.Empty(t, r.Header.Values(name), "%s %s carried %s", r.Method, r.Path, name)
		}
		assert.Equal(t, "t1", r.Header.Get("X-Trace"), "%s %s: other headers go along", r.Method, r.Path)
	}
	return n
}

// assertCredentials checks that every request srv saw for path carried all
// the credentials.
func assertCredentials(t *testing.T, srv *mocks.Server, path string) {
	t.Helper()
	for _, r := range srv.Requests() {
		if r.Path != path {
			continue
		}
		for name, value := range credentials {
			assert.Equal(t, value, r.Header.Get(name), "%s %s lacks %s", r.Method, r.Path, name)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestCrossOriginPortChange(t *testing.T) {
	a, b := mocks.NewServer(t), mocks.NewServer(t)
	b.AddCatalog()
	a.AliasTo("/go307", http.StatusTemporaryRedirect, b.URL+mocks.PathOrders)
	a.AliasTo("/go308", http.StatusPermanentRedirect, b.URL+mocks.PathOrders)
	a.AliasTo("/put", http.StatusTemporaryRedirect, b.URL+mocks.PathOrder1)
	c := credentialed(t, a.Client(), RedirectPolicy{})
	ctx := context.Background()
	for range 2 {
		fetchBody(t, c, a.URL+"/go307")
		fetchBody(t, c, a.URL+"/go308")
	}
	resp, err := c.Send(ctx, http.MethodPut, a.URL+"/put", "application/json", strings.NewReader(`{"id":1}`), nil)
	require.NoError(t, err)
	resp.Body.Close()

	assert.Equal(t, 5, assertNoCredentials(t, b), "no credential reached the other port")
	assertCredentials(t, a, "/go307")
	assertCredentials(t, a, "/go308")
	assert.Equal(t, 2, a.Count("/go308"), "a 308 to another origin is not remembered by default")
	got, _ := b.Resource(mocks.PathOrder1)
	assert.JSONEq(t, `{"id":1}`, string(got.Body), "the body went along")
}

func TestCrossOriginRemembered308SendsNoCredentials(t *testing.T) {
	a, b := mocks.NewServer(t), mocks.NewServer(t)
	b.AddCatalog()
	a.AliasTo("/orders", http.StatusPermanentRedirect, b.URL+mocks.PathOrders)
	a.AliasTo("/uploads", http.StatusPermanentRedirect, b.URL+mocks.PathUploads)
	p := RedirectPolicy{}
	p.CrossOrigin = TrustCrossOrigin
	c := credentialed(t, a.Client(), p)
	for range 3 {
		fetchBody(t, c, a.URL+"/orders")
	}
	assert.Equal(t, 1, a.Count("/orders"), "trusted: remembered after the first call")
	assert.Equal(t, 3, b.Count(mocks.PathOrders))

	// A remembered upload goes to the other origin directly, body and all,
	// still without credentials.
	for range 2 {
		resp, err := c.Send(context.Background(), http.MethodPost, a.URL+"/uploads", "text/plain", strings.NewReader("hello"), nil)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
	}
	assert.Equal(t, 1, a.Count("/uploads"))
	assert.Equal(t, 5, assertNoCredentials(t, b))
	up, ok := b.Resource(mocks.PathUploads + "/2")
	require.True(t, ok)
	assert.Equal(t, "hello", string(up.Body))
}

// dialLoopback returns an *http.Client that connects every host name to
// 127.0.0.1 on the URL's port, so tests can use several host names without
// DNS.
func dialLoopback() *http.Client {
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
		},
	}}
}

func TestCrossOriginHostChange(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	_, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	require.NoError(t, err)
	hostA, hostB := "http://a.test:"+port, "http://b.test:"+port
	srv.AliasTo("/go", http.StatusTemporaryRedirect, hostB+mocks.PathOrders)
	srv.AliasTo("/away", http.StatusTemporaryRedirect, hostB+"/back")
	srv.AliasTo("/back", http.StatusTemporaryRedirect, hostA+mocks.PathStats)
	c := credentialed(t, dialLoopback(), RedirectPolicy{})
	defer c.HTTPClient().CloseIdleConnections()

	fetchBody(t, c, hostA+"/go")
	assertCredentials(t, srv, "/go")
	assert.Equal(t, 1, assertNoCredentials(t, srv, mocks.PathOrders), "same port, other host: stripped")

	fetchBody(t, c, hostA+"/away")
	assert.Equal(t, 2, assertNoCredentials(t, srv, "/back", mocks.PathStats),
		"once a chain has left the origin, coming back does not bring the credentials back")
}

func TestCrossOriginSchemeDowngrade(t *testing.T) {
	secure := mocks.NewServer(t, mocks.WithTLS())
	plain := mocks.NewServer(t)
	plain.AddCatalog()
	secure.AliasTo("/orders", http.StatusTemporaryRedirect, plain.URL+mocks.PathOrders)

	c := credentialed(t, secure.Client(), RedirectPolicy{})
	_, err := c.Get(context.Background(), secure.URL+"/orders", nil)
	require.ErrorIs(t, err, ErrInsecureRedirect)
	var re *RedirectError
	require.ErrorAs(t, err, &re)
	require.Len(t, re.Hops, 1)
	assert.Equal(t, plain.URL+mocks.PathOrders, re.Hops[0].Location.String())
	assert.Zero(t, plain.Count(mocks.PathOrders), "nothing sent in the clear")

	p := RedirectPolicy{}
	p.AllowDowngrade = true
	c = credentialed(t, secure.Client(), p)
	fetchBody(t, c, secure.URL+"/orders")
	assert.Equal(t, 1, assertNoCredentials(t, plain), "allowed, but without credentials")

	// http → https is another origin too.
	secure.AddCatalog()
	plain.AliasTo("/secure", http.StatusPermanentRedirect, secure.URL+mocks.PathStats)
	c = credentialed(t, secure.Client(), RedirectPolicy{})
	fetchBody(t, c, plain.URL+"/secure")
	assert.Equal(t, 1, assertNoCredentials(t, secure, mocks.PathStats))
}

func TestCrossOriginRefused(t *testing.T) {
	a, b := mocks.NewServer(t), mocks.NewServer(t)
	b.AddCatalog()
	a.AddCatalog()
	a.AliasTo("/elsewhere", http.StatusTemporaryRedirect, b.URL+mocks.PathOrders)
	a.AliasTo("/local", http.StatusTemporaryRedirect, mocks.PathOrders)
	p := RedirectPolicy{}
	p.CrossOrigin = RefuseCrossOrigin
	c := credentialed(t, a.Client(), p)
	_, err := c.Get(context.Background(), a.URL+"/elsewhere", nil)
	require.ErrorIs(t, err, ErrCrossOriginRedirect)
	assert.Zero(t, len(b.Requests()))

	fetchBody(t, c, a.URL+"/local")
	assertCredentials(t, a, mocks.PathOrders) // same origin: followed, credentials kept
}

func TestCrossOriginMemoryNeedsTrust(t *testing.T) {
	a, b := mocks.NewServer(t), mocks.NewServer(t)
	a.AddCatalog()
	b.AddCatalog()
	// A store shared with a Client that trusted b holds a → b; this Client
	// does not trust other origins, so it asks a itself.
	store := redirects.NewMemory(0)
	require.NoError(t, store.Put(redirects.Entry{
		From: redirects.Key(mustURL(t, a.URL+mocks.PathStats)), To: b.URL + mocks.PathStats}))
	c := credentialed(t, a.Client(), RedirectPolicy{}, WithRedirectStore(store))
	fetchBody(t, c, a.URL+mocks.PathStats)
	assert.Equal(t, 1, a.Count(mocks.PathStats))
	assert.Zero(t, b.Count(mocks.PathStats))
	assert.Equal(t, 1, store.Len(), "kept for the Client that trusts it")
}
