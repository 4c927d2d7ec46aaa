package level3

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/prefer"
	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

func TestAsyncPutWithIfMatchSendsNoHead(t *testing.T) {
	e := newAsyncEnv(t)
	d := mocks.Data(`{"v":1}`).With(profiles.Async)
	e.srv.Handle("/d", d)
	before, _ := e.srv.Resource("/d")

	req, err := NewRequest(context.Background(), http.MethodPut, e.srv.URL+"/d", strings.NewReader(`{"v":3}`))
	require.NoError(t, err)
	req.Header.Set("If-Match", before.ETag)
	req.Header.Set("Content-Type", "application/json")
	p, err := e.client.DoAsync(req, e.opts(AsyncOptions{}))
	require.NoError(t, err)
	resp, err := p.Wait(context.Background())
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, []string{"PUT", "HEAD", "HEAD"}, methods(e.log("/d")))
	assert.Empty(t, req.Header.Get("Prefer"), "DoAsync does not modify the caller's request")
}

func TestAsyncRequestOptionsApplyToTheRequest(t *testing.T) {
	e := newAsyncEnv(t)
	d := mocks.Data(`{"v":1}`).With(profiles.Async)
	e.srv.Handle("/d", d)
	before, _ := e.srv.Resource("/d")

	p, err := e.client.SendAsync(context.Background(), http.MethodPut, e.srv.URL+"/d", "application/json", strings.NewReader(`{"v":3}`),
		e.opts(AsyncOptions{RequestOptions: RequestOptions{
			IfVersion: Validators{ETag: before.ETag},
			Return:    "minimal",
			Header:    http.Header{"X-Trace": {"t1"}},
		}}))
	require.NoError(t, err)
	resp, err := p.Wait(context.Background())
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	log := e.log("/d")
	assert.Equal(t, []string{"PUT", "HEAD", "HEAD"}, methods(log), "IfVersion names the version before: no HEAD first")
	assert.Equal(t, before.ETag, log[0].Header.Get("If-Match"))
	assert.Equal(t, "return=minimal, respond-async", log[0].Header.Get("Prefer"), "Return merged with respond-async")
	assert.Equal(t, "t1", log[0].Header.Get("X-Trace"))
	for _, poll := range log[1:] {
		assert.Empty(t, poll.Header.Get("X-Trace"), "the options are the request's, not the polls'")
		assert.Empty(t, poll.Header.Get("If-Match"))
	}
}

func TestPreferenceAppliedAsSent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Preference-Applied", `respond-async, wait = 10, bad elem`)
		w.Header().Add("Preference-Applied", `return="minimal"`)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c, err := New(WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	p, err := c.SendAsync(context.Background(), http.MethodDelete, srv.URL+"/x", "", nil, nil)
	require.NoError(t, err)
	require.True(t, p.Done(), "a synchronous answer")
	got := p.PreferenceApplied()
	assert.Equal(t, []string{"respond-async", "wait=10", "return=minimal"}, got, "well-formed elements, as name or name=value")
	got[0] = "changed"
	assert.Equal(t, "respond-async", p.PreferenceApplied()[0], "the slice is the caller's")
	resp, err := p.Result()
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
}

func TestAsyncSynchronousAnswers(t *testing.T) {
	e := newAsyncEnv(t)
	e.srv.Handle("/plain", mocks.Data(`{"v":1}`)) // no Async mixin: the preference is ignored
	p, err := e.client.SendAsync(context.Background(), http.MethodPut, e.srv.URL+"/plain", "application/json", strings.NewReader(`{"v":2}`), e.opts(AsyncOptions{}))
	require.NoError(t, err)
	assert.True(t, p.Done())
	assert.Nil(t, p.Accepted())
	assert.Nil(t, p.Location())
	assert.Empty(t, p.PreferenceApplied())
	resp, err := p.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("ETag"))
	require.NoError(t, resp.Body.Close())

	quick := mocks.Data(`{"v":1}`).With(profiles.Async)
	quick.AsyncAfter = time.Second
	e.srv.Handle("/quick", quick)
	p, err = e.client.SendAsync(context.Background(), http.MethodPut, e.srv.URL+"/quick", "application/json",
		strings.NewReader(`{"v":2}`), e.opts(AsyncOptions{Wait: 2 * time.Second}))
	require.NoError(t, err)
	assert.True(t, p.Done(), "finished within wait=2")
	resp, _ = p.Result()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Empty(t, e.clock.Sleeps())
}

func TestAsyncRejections(t *testing.T) {
	e := newAsyncEnv(t)
	up := mocks.Upload().With(profiles.Async)
	e.srv.Handle("/up", up)
	ctx := context.Background()

	_, err := e.client.SendAsync(ctx, http.MethodPost, e.srv.URL+"/up", "", strings.NewReader("x"), e.opts(AsyncOptions{}))
	var media *UnsupportedMediaTypeError
	assert.ErrorAs(t, err, &media, "a synchronous rejection is the typed error")

	e.srv.Fail("/up", mocks.Status(http.StatusAccepted).OnlyFor("POST"))
	_, err = e.client.SendAsync(ctx, http.MethodPost, e.srv.URL+"/up", "text/plain", strings.NewReader("x"), e.opts(AsyncOptions{}))
	assert.ErrorIs(t, err, ErrNotObservable, "202 to POST without a location")

	bare := &mocks.Resource{Profiles: []profiles.Profile{profiles.Data, profiles.Async}, Allow: []string{"GET", "HEAD", "PUT"}, Body: []byte(`{}`)}
	e.srv.Handle("/bare", bare)
	_, err = e.client.SendAsync(ctx, http.MethodPut, e.srv.URL+"/bare", "application/json", strings.NewReader(`{"a":1}`), e.opts(AsyncOptions{}))
	assert.ErrorIs(t, err, ErrNotObservable)
	assert.Equal(t, []string{"HEAD"}, methods(e.log("/bare")), "refused before the PUT was sent")

	d := mocks.Data(`{"v":1}`).With(profiles.Async)
	e.srv.Handle("/d", d)
	p, err := e.client.SendAsync(ctx, http.MethodPut, e.srv.URL+"/d", "application/json", strings.NewReader(`{"v":2}`), e.opts(AsyncOptions{}))
	require.NoError(t, err)
	e.srv.Fail("/d", mocks.Status(200).OnlyFor("HEAD")) // a poll answer without validators
	_, err = p.Wait(ctx)
	assert.ErrorIs(t, err, ErrNotObservable)
	assert.True(t, p.Done())

	_, err = e.client.SendAsync(ctx, http.MethodPut, e.srv.URL+"/missing", "application/json", strings.NewReader(`{}`), e.opts(AsyncOptions{}))
	var nf *NotFoundError
	assert.ErrorAs(t, err, &nf, "a PUT never creates here: HEAD 404 then PUT 404")
}

func TestAsyncPreferMergedWithTheCallers(t *testing.T) {
	e := newAsyncEnv(t)
	d := mocks.Data(`{"v":1}`).With(profiles.Async, profiles.Representation)
	e.srv.Handle("/d", d)
	before, _ := e.srv.Resource("/d")
	req, err := NewRequest(context.Background(), http.MethodPut, e.srv.URL+"/d", strings.NewReader(`{"v":2}`))
	require.NoError(t, err)
	req.Header.Set("If-Match", before.ETag)
	req.Header.Set("Prefer", "return=representation")
	p, err := e.client.DoAsync(req, e.opts(AsyncOptions{Wait: time.Second}))
	require.NoError(t, err)
	assert.Equal(t, "return=representation, respond-async, wait=1", e.log("/d")[0].Header.Get("Prefer"))
	resp, err := p.Wait(context.Background())
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())

	req.Header.Set("Prefer", `return="oops`)
	e.srv.ResetLog()
	_, err = e.client.DoAsync(req, e.opts(AsyncOptions{}))
	assert.ErrorIs(t, err, prefer.ErrMalformed)
	assert.Empty(t, e.srv.Requests(), "nothing sent")
}

func TestAsyncOptionsAndMethodsValidated(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	get, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/x", nil)
	_, err = c.DoAsync(get, nil)
	assert.ErrorContains(t, err, "GET cannot be asynchronous")
	post, _ := http.NewRequest(http.MethodPost, "ftp://127.0.0.1/x", nil)
	_, err = c.DoAsync(post, nil)
	assert.ErrorContains(t, err, "unsupported URL scheme")
	for name, tc := range map[string]struct {
		opts  AsyncOptions
		field string
	}{
		"negative wait":       {AsyncOptions{Wait: -time.Second}, "AsyncOptions.Wait"},
		"empty etag":          {AsyncOptions{ExpectETag: " "}, "AsyncOptions.ExpectETag"},
		"star etag":           {AsyncOptions{ExpectETag: "*"}, "AsyncOptions.ExpectETag"},
		"etag with CRLF":      {AsyncOptions{ExpectETag: "a\r\nb"}, "AsyncOptions.ExpectETag"},
		"negative poll wait":  {AsyncOptions{Poll: Schedule{Initial: -1}}, "AsyncOptions.Poll"},
		"poll multiplier < 1": {AsyncOptions{Poll: Schedule{Multiplier: 0.5}}, "AsyncOptions.Poll"},
		"poll max < initial":  {AsyncOptions{Poll: Schedule{Initial: time.Second, Max: time.Millisecond}}, "AsyncOptions.Poll"},
		"bad request header":  {AsyncOptions{RequestOptions: RequestOptions{Header: http.Header{"X-A": {"a\r\nb"}}}}, "RequestOptions.Header"},
	} {
		post, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/x", nil)
		_, err := c.DoAsync(post, &tc.opts)
		assert.ErrorContains(t, err, tc.field, name)
	}
}
