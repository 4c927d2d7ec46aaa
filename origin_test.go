package level3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/liar"
	"github.com/l3go/level3/profiles"
)

// wireSecrets are the credentials a scoped Client sends; the byte counts below
// are occurrences of these values on the wire.
var wireSecrets = map[string]string{
	"Authorization":       "Bearer tok-7f3a91c4",
	"Proxy-Authorization": "Basic cHJveHk6N2YzYTkx",
	"Cookie":              "sid=c00k1e-7f3a91",
	"Cookie2":             "legacy=7f3a91-c2",
	"X-Api-Key":           "key-7f3a91b2", // sensitive by the Client's policy
}

// credentialBytes counts the bytes of wireSecrets in what s received.
func (s *recordingServer) credentialBytes() int {
	n := 0
	for _, v := range wireSecrets {
		n += s.wire.Count(v) * len(v)
	}
	return n
}

// requests counts the requests s received.
func (s *recordingServer) requests() int { return s.wire.Count(" HTTP/1.1\r\n") }

// recordingServer is an HTTP server on 127.0.0.1 (its own port: its own
// origin) that records every byte it receives.
type recordingServer struct {
	*httptest.Server
	wire *liar.Wire
	mux  *http.ServeMux
}

func newRecordingServer(t *testing.T) *recordingServer {
	t.Helper()
	s := &recordingServer{mux: http.NewServeMux()}
	s.Server = httptest.NewUnstartedServer(s.mux)
	s.wire = liar.Record(s.Listener)
	s.Listener = s.wire
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// level3 answers with status, the headers in kv (name, value pairs, "Link"
// repeatable) and no body.
func level3(status int, kv ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		for i := 0; i+1 < len(kv); i += 2 {
			w.Header().Add(kv[i], kv[i+1])
		}
		w.WriteHeader(status)
	}
}

// link formats one link-value.
func link(href, rel string) string { return fmt.Sprintf(`<%s>; rel="%s"`, href, rel) }

// scopedClient returns a Client that sends every secret (with WithHeader,
// X-Api-Key marked sensitive) and a harmless X-Trace, with opts.
func scopedClient(t *testing.T, opts ...Option) *Client {
	t.Helper()
	all := []Option{
		WithHTTPClient(&http.Client{Transport: &http.Transport{}}), WithRetry(fastRetry), WithCache(nil),
		WithRedirectPolicy(RedirectPolicy{MaxRedirects: 10, SensitiveHeaders: []string{"x-api-key"}}),
		WithHeader("X-Trace", "t1"),
	}
	for name, value := range wireSecrets {
		all = append(all, WithHeader(name, value))
	}
	c, err := New(append(all, opts...)...)
	require.NoError(t, err)
	t.Cleanup(c.HTTPClient().CloseIdleConnections)
	return c
}

// hostilePaths are the ways a server on the caller's origin (a) can make the
// Client send requests to another origin (b) it names.
var hostilePaths = []struct {
	name string
	opts []Option // for the Client, besides scopedClient's
	run  func(t *testing.T, c *Client, a, b string)
}{
	{"Follow", nil, func(t *testing.T, c *Client, a, _ string) {
		home, err := c.Discover(context.Background(), a+"/home")
		require.NoError(t, err)
		_, err = home.Follow(context.Background(), "about")
		require.NoError(t, err)
	}},
	{"FollowPath", nil, func(t *testing.T, c *Client, a, _ string) {
		home, err := c.Discover(context.Background(), a+"/home")
		require.NoError(t, err)
		_, err = home.FollowPath(context.Background(), "a", "b")
		require.NoError(t, err)
	}},
	{"Children", nil, func(t *testing.T, c *Client, a, _ string) {
		home, err := c.Discover(context.Background(), a+"/home")
		require.NoError(t, err)
		n := 0
		for _, err := range home.Children(context.Background()) {
			require.NoError(t, err)
			n++
		}
		assert.Equal(t, 2, n)
	}},
	{"Pages", nil, func(t *testing.T, c *Client, a, _ string) {
		n := 0
		for _, err := range c.Pages(context.Background(), a+"/p1") {
			require.NoError(t, err)
			n++
		}
		assert.Equal(t, 3, n, "a, b, then a again")
	}},
	{"Entries", nil, func(t *testing.T, c *Client, a, _ string) {
		n := 0
		for _, err := range c.Entries(context.Background(), a+"/p1") {
			require.NoError(t, err)
			n++
		}
		assert.Equal(t, 3, n)
	}},
	{"poll location", nil, func(t *testing.T, c *Client, a, _ string) {
		ctx := context.Background()
		p, err := c.SendAsync(ctx, http.MethodPost, a+"/jobs", "text/plain", strings.NewReader("x"), fastPolls)
		require.NoError(t, err)
		_, err = p.Wait(ctx)
		require.NoError(t, err)
	}},
	{"resumed poller", nil, func(t *testing.T, c *Client, a, _ string) {
		ctx := context.Background()
		p, err := c.SendAsync(ctx, http.MethodPost, a+"/jobs", "text/plain", strings.NewReader("x"), fastPolls)
		require.NoError(t, err)
		token, err := p.ResumeToken()
		require.NoError(t, err)
		resumed, err := c.ResumePoller(token, fastPolls)
		require.NoError(t, err)
		resp, err := resumed.Wait(ctx)
		require.NoError(t, err)
		resp.Body.Close()
	}},
	{"FetchValidators", nil, func(t *testing.T, c *Client, a, _ string) {
		res, err := c.Upload(context.Background(), a+"/uploads", strings.NewReader("bytes"), &UploadOptions{FetchValidators: true})
		require.NoError(t, err)
		assert.Equal(t, `"f1"`, res.Validators.ETag, "the HEAD was made")
	}},
	{"Resource.Upload", nil, func(t *testing.T, c *Client, a, _ string) {
		home, err := c.Discover(context.Background(), a+"/home")
		require.NoError(t, err)
		up, err := home.Follow(context.Background(), "upload")
		require.NoError(t, err)
		_, err = up.Upload(context.Background(), strings.NewReader("bytes"), nil)
		require.NoError(t, err)
	}},
	{"Resource.Patch after a redirect", nil, func(t *testing.T, c *Client, a, b string) {
		r, err := c.Discover(context.Background(), a+"/form")
		require.NoError(t, err)
		require.Equal(t, b+"/form", r.URL.String(), "the resource is on the other origin")
		patch, err := MergePatchOf(map[string]string{"name": "x"})
		require.NoError(t, err)
		_, err = r.Patch(context.Background(), patch, nil)
		require.NoError(t, err)
	}},
	{"Action 303 followed by the pipeline", nil, func(t *testing.T, c *Client, a, _ string) {
		_, err := c.Trigger(context.Background(), a+"/act", nil)
		require.NoError(t, err)
	}},
	{"Action 303 followed by Trigger", []Option{WithRedirectPolicy(RedirectPolicy{MaxRedirects: -1, SensitiveHeaders: []string{"X-Api-Key"}})},
		func(t *testing.T, c *Client, a, _ string) {
			res, err := c.Trigger(context.Background(), a+"/act", nil)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, res.Status)
		}},
	{"Lookup", []Option{WithRedirectPolicy(RedirectPolicy{MaxRedirects: -1, SensitiveHeaders: []string{"X-Api-Key"}})},
		func(t *testing.T, c *Client, a, _ string) {
			res, err := c.Lookup(context.Background(), a+"/lookup", map[string]string{"q": "x"}, nil)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, res.Status)
		}},
	{"Submit to a Lookup", []Option{WithRedirectPolicy(RedirectPolicy{MaxRedirects: -1, SensitiveHeaders: []string{"X-Api-Key"}})},
		func(t *testing.T, c *Client, a, _ string) {
			_, err := c.Submit(context.Background(), a+"/lookup", map[string]string{"q": "x"}, nil)
			require.NoError(t, err)
		}},
	{"Submit to a form that moved", nil, func(t *testing.T, c *Client, a, _ string) {
		res, err := c.Submit(context.Background(), a+"/form", map[string]string{"name": "x"}, nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusCreated, res.Status)
	}},
	{"SubmitForm of a fetched form", []Option{WithRedirectPolicy(RedirectPolicy{MaxRedirects: 1, SensitiveHeaders: []string{"X-Api-Key"}})},
		func(t *testing.T, c *Client, a, _ string) {
			f, err := c.FetchForm(context.Background(), a+"/form")
			require.NoError(t, err)
			_, err = c.SubmitForm(context.Background(), f, map[string]string{"name": "x"}, nil)
			require.NoError(t, err)
		}},
	{"redirect hops", nil, func(t *testing.T, c *Client, a, _ string) {
		fetchAll(t, c, a+"/r")
		fetchAll(t, c, a+"/away")
	}},
	{"credentials from a middleware", []Option{WithMiddleware(func(next Doer) Doer {
		return DoerFunc(func(req *http.Request) (*http.Response, error) {
			req = req.Clone(req.Context())
			delete(req.Header, "Authorization")
			req.Header["authorization"] = []string{wireSecrets["Authorization"]} // not canonical
			req.Header.Set("X-API-KEY", wireSecrets["X-Api-Key"])
			return next.Do(req)
		})
	})}, func(t *testing.T, c *Client, a, _ string) {
		home, err := c.Discover(context.Background(), a+"/home")
		require.NoError(t, err)
		_, err = home.Follow(context.Background(), "about")
		require.NoError(t, err)
	}},
}

// fastPolls makes Pollers poll at once.
var fastPolls = &AsyncOptions{Poll: Schedule{Initial: time.Millisecond, Max: 5 * time.Millisecond, Multiplier: 1, Jitter: -1, Attempts: 1}}

// fetchAll GETs u and reads the body.
func fetchAll(t *testing.T, c *Client, u string) {
	t.Helper()
	resp, err := c.Get(context.Background(), u, nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// hostilePair starts the caller's origin a and the hostile origin b, each
// answering as hostilePaths need: a's answers name URLs on b.
func hostilePair(t *testing.T) (a, b *recordingServer) {
	a, b = newRecordingServer(t), newRecordingServer(t)
	A, B := a.URL, b.URL
	lookup := "<" + string(profiles.Lookup) + ">"
	form := "<" + string(profiles.Form) + ">"

	a.mux.Handle("/home", level3(200,
		"Link", link(B+"/thing", "about"), "Link", link(A+"/mid", "a"), "Link", link(B+"/upload", "upload"),
		"Link", link(A+"/c1", profiles.RelTreeChild), "Link", link(B+"/c2", profiles.RelTreeChild)))
	a.mux.Handle("/mid", level3(200, "Link", link(B+"/end", "b")))
	a.mux.Handle("/c1", level3(200))
	a.mux.Handle("/p1", level3(200, "Link", link(B+"/p2", profiles.RelPageNext), "Link", link(A+"/e1", profiles.RelListEntry)))
	a.mux.Handle("/p3", level3(200, "Link", link(A+"/e3", profiles.RelListEntry)))
	a.mux.Handle("/jobs", level3(http.StatusAccepted, "Location", B+"/job"))
	a.mux.Handle("/uploads", level3(http.StatusCreated, "Location", B+"/file"))
	a.mux.Handle("/act", level3(http.StatusSeeOther, "Location", B+"/state"))
	a.mux.Handle("GET /lookup", level3(200, "Profile", lookup, "Content-Type", "application/json"))
	a.mux.Handle("POST /lookup", level3(http.StatusSeeOther, "Location", B+"/result"))
	a.mux.Handle("/form", level3(http.StatusTemporaryRedirect, "Location", B+"/form"))
	a.mux.Handle("/r", level3(http.StatusTemporaryRedirect, "Location", B+"/x"))
	a.mux.Handle("/away", level3(http.StatusTemporaryRedirect, "Location", B+"/back"))
	a.mux.Handle("/", level3(200))

	b.mux.Handle("/p2", level3(200, "Link", link(A+"/p3", profiles.RelPageNext), "Link", link(B+"/e2", profiles.RelListEntry)))
	b.mux.Handle("/file", level3(200, "ETag", `"f1"`))
	b.mux.Handle("/upload", level3(200, "Profile", "<"+string(profiles.Upload)+">"))
	b.mux.Handle("POST /upload", level3(http.StatusCreated, "Location", B+"/file"))
	b.mux.Handle("GET /form", level3(200, "Profile", form, "Content-Type", "application/json"))
	b.mux.Handle("POST /form", level3(http.StatusCreated, "Location", B+"/created"))
	b.mux.Handle("/back", level3(http.StatusTemporaryRedirect, "Location", A+"/final"))
	b.mux.Handle("/", level3(200))
	return a, b
}

// TestNoCredentialReachesAnotherOrigin drives every path by which a server
// chooses a URL the Client then asks by itself, against a hostile origin
// that records every byte it receives: not one credential byte may arrive,
// while the caller's own origin gets them all and harmless headers go along.
func TestNoCredentialReachesAnotherOrigin(t *testing.T) {
	for _, tc := range hostilePaths {
		t.Run(tc.name, func(t *testing.T) {
			a, b := hostilePair(t)
			c := scopedClient(t, tc.opts...)
			tc.run(t, c, a.URL, b.URL)
			require.NotZero(t, b.requests(), "the hostile origin was asked")
			assert.Zero(t, b.credentialBytes(), "credential bytes received by the other origin")
			assert.Contains(t, b.wire.Received(), "X-Trace: t1", "other headers go along")
			assert.NotZero(t, a.credentialBytes(), "the caller's origin gets its credentials")
		})
	}
}

// TestAllowedOriginGetsCredentials runs the same paths with the hostile
// origin allowed: then every request there carries every credential, which
// also shows that the test above can fail.
func TestAllowedOriginGetsCredentials(t *testing.T) {
	for _, tc := range hostilePaths {
		t.Run(tc.name, func(t *testing.T) {
			a, b := hostilePair(t)
			c := scopedClient(t, append([]Option{WithCredentialOrigins(b.URL + "/")}, tc.opts...)...)
			tc.run(t, c, a.URL, b.URL)
			n := b.requests()
			require.NotZero(t, n)
			perRequest := 0
			for _, v := range wireSecrets {
				perRequest += len(v)
			}
			assert.Equal(t, n*perRequest, b.credentialBytes(), "every request to an allowed origin carries every credential")
		})
	}
}

// TestCredentialsFromTheRequestItself: a request the caller builds for its
// own origin keeps credentials it sets itself; a redirect from there to
// another origin does not, whatever their spelling.
func TestCredentialsFromTheRequestItself(t *testing.T) {
	a, b := hostilePair(t)
	c, err := New(WithHTTPClient(&http.Client{Transport: &http.Transport{}}), WithCache(nil),
		WithRedirectPolicy(RedirectPolicy{MaxRedirects: 10, SensitiveHeaders: []string{"X-Api-Key"}}))
	require.NoError(t, err)
	defer c.HTTPClient().CloseIdleConnections()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, a.URL+"/r", nil)
	require.NoError(t, err)
	req.Header["cookie"] = []string{wireSecrets["Cookie"]}
	req.Header.Set("Authorization", wireSecrets["Authorization"])
	req.Header.Set("x-api-key", wireSecrets["X-Api-Key"])
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 1, b.requests())
	assert.Zero(t, b.credentialBytes())
	assert.Equal(t, len(wireSecrets["Cookie"])+len(wireSecrets["Authorization"])+len(wireSecrets["X-Api-Key"]), a.credentialBytes())
	assert.Equal(t, []string{wireSecrets["Cookie"]}, req.Header["cookie"], "the caller's request is not modified")
}

func TestWithCredentialOriginsValidates(t *testing.T) {
	for _, bad := range []string{"", "api.example", "ftp://api.example", "https://", "https://u:p@api.example",
		"https://api.example/v1", "https://api.example/?q", "https://api.example/#f", "https://*.example", "https://api.example:x"} {
		_, err := New(WithCredentialOrigins(bad))
		assert.Error(t, err, "%q", bad)
	}
	c, err := New(WithCredentialOrigins("HTTPS://API.example/", "http://127.0.0.1:8080"))
	require.NoError(t, err)
	for u, want := range map[string]bool{
		"https://api.example:443/x": true, "https://api.example:8443/": false, "http://api.example/": false,
		"http://127.0.0.1:8080/a": true, "http://127.0.0.1/": false,
	} {
		assert.Equal(t, want, c.credentials.permits(callScope{}, mustURL(t, u)), u)
	}
}

// TestCredentialLayerLogsWithoutValues: dropping is logged at Debug with
// the header names, never their values.
func TestCredentialLayerLogsWithoutValues(t *testing.T) {
	a, b := hostilePair(t)
	var log bytes.Buffer
	c := scopedClient(t, WithLogger(newTextLogger(&log)))
	fetchAll(t, c, a.URL+"/r")
	assert.Zero(t, b.credentialBytes())
	assert.Contains(t, log.String(), "credentials withheld")
	assert.Contains(t, log.String(), "Authorization")
	for _, v := range wireSecrets {
		assert.NotContains(t, log.String(), v)
	}
}

// TestCredentialLayer tests the layer alone: what reaches the Doer below
// for each scope.
func TestCredentialLayer(t *testing.T) {
	var got http.Header
	below := DoerFunc(func(req *http.Request) (*http.Response, error) {
		got = req.Header
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: req}, nil
	})
	p := newCredentialPolicy([]string{"X-Api-Key"}, map[string]bool{"https://allowed.example:443": true})
	layer := credentialLayer(p, discardLogger())(below)
	a, b := mustURL(t, "https://a.example/x"), mustURL(t, "https://b.example/y")
	send := func(ctx context.Context, u string) http.Header {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		require.NoError(t, err)
		req.Header = http.Header{"Authorization": {"t"}, "cookie": {"c"}, "X-Api-Key": {"k"}, "Accept": {"*/*"}}
		_, err = layer.Do(req)
		require.NoError(t, err)
		assert.Len(t, req.Header, 4, "the request given is not modified")
		return got
	}
	bg := context.Background()
	full := http.Header{"Authorization": {"t"}, "cookie": {"c"}, "X-Api-Key": {"k"}, "Accept": {"*/*"}}
	bare := http.Header{"Accept": {"*/*"}}
	for name, tc := range map[string]struct {
		ctx  context.Context
		url  string
		want http.Header
	}{
		"unscoped: its own origin":     {bg, "https://b.example/", full},
		"the call's origin":            {withCallOrigin(bg, a), "https://A.example:443/other", full},
		"another origin":               {withCallOrigin(bg, a), b.String(), bare},
		"another port":                 {withCallOrigin(bg, a), "https://a.example:8443/x", bare},
		"another scheme":               {withCallOrigin(bg, a), "http://a.example/x", bare},
		"an allowed origin":            {withCallOrigin(bg, a), "https://allowed.example/z", full},
		"no origin: the call's origin": {withoutCallOrigin(withCallOrigin(bg, a)), a.String(), bare},
		"no origin: an allowed one":    {withoutCallOrigin(bg), "https://allowed.example/z", full},
		"the first scope stays":        {withCallOrigin(withCallOrigin(bg, a), b), b.String(), bare},
	} {
		assert.Equal(t, tc.want, send(tc.ctx, tc.url), name)
	}
}

// TestChainFromAnotherOriginBringsNoneBack: a link to another origin that
// redirects back to the caller's origin is followed without credentials
// there too, as any chain that has left the scope is: the URL on the
// caller's origin was chosen by the other one.
func TestChainFromAnotherOriginBringsNoneBack(t *testing.T) {
	a, b := hostilePair(t)
	a.mux.Handle("/start", level3(200, "Link", link(b.URL+"/back", "about")))
	c := scopedClient(t)
	start, err := c.Discover(context.Background(), a.URL+"/start")
	require.NoError(t, err)
	before, requests := a.credentialBytes(), a.requests()
	res, err := start.Follow(context.Background(), "about")
	require.NoError(t, err)
	assert.Equal(t, a.URL+"/final", res.URL.String())
	assert.Equal(t, requests+1, a.requests(), "the chain came back")
	assert.Equal(t, before, a.credentialBytes(), "without credentials")
	assert.Zero(t, b.credentialBytes())
}

// TestResourcesKeepTheirCallsCredentials: a request made from a Resource
// to a URL on the origin of the call that made it carries every
// credential, and one to another origin none, whichever call made the
// Resource.
func TestResourcesKeepTheirCallsCredentials(t *testing.T) {
	perRequest := 0
	for _, v := range wireSecrets {
		perRequest += len(v)
	}
	for name, get := range map[string]func(c *Client, u string) (*Resource, error){
		"Discover": func(c *Client, u string) (*Resource, error) { return c.Discover(context.Background(), u) },
		"GetJSON":  func(c *Client, u string) (*Resource, error) { return c.GetJSON(context.Background(), u, nil, nil) },
		"FetchForm": func(c *Client, u string) (*Resource, error) {
			f, err := c.FetchForm(context.Background(), u)
			if err != nil {
				return nil, err
			}
			return f.Resource, nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			a, b := hostilePair(t)
			a.mux.HandleFunc("GET /start", func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Add("Link", link(a.URL+"/c1", "about"))
				w.Header().Add("Link", link(b.URL+"/thing", "away"))
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, "{}")
			})
			c := scopedClient(t)
			r, err := get(c, a.URL+"/start")
			require.NoError(t, err)
			before := a.credentialBytes()
			_, err = r.Follow(context.Background(), "about")
			require.NoError(t, err)
			assert.Equal(t, before+perRequest, a.credentialBytes(), "the call's origin gets every credential")
			_, err = r.Follow(context.Background(), "away")
			require.NoError(t, err)
			require.Equal(t, 1, b.requests())
			assert.Zero(t, b.credentialBytes(), "another origin gets none")
		})
	}
}

// TestOriginForm: origin lowers case, makes the port explicit and keeps
// IPv6 brackets and nothing else of the URL.
func TestOriginForm(t *testing.T) {
	for in, want := range map[string]string{
		"http://Example.COM/a":        "http://example.com:80",
		"https://example.com/a?b":     "https://example.com:443",
		"HTTPS://example.com:8443/x":  "https://example.com:8443",
		"http://127.0.0.1:8080":       "http://127.0.0.1:8080",
		"http://[::1]:9/":             "http://[::1]:9",
		"http://[::1]/":               "http://[::1]:80",
		"http://user:pw@example.com/": "http://example.com:80",
	} {
		u, err := url.Parse(in)
		require.NoError(t, err)
		assert.Equal(t, want, origin(u), in)
	}
}
