package level3

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

// rawToken encodes any JSON as a token.
func rawToken(json string) string {
	return tokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(json))
}

func TestResumeTokenInvalid(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	for name, tok := range map[string]string{
		"empty":                 "",
		"no prefix":             "eyJ2IjoxfQ",
		"not base64":            tokenPrefix + "***",
		"not JSON":              rawToken("{"),
		"trailing data":         rawToken(`{"v":1,"kind":"deletion","poll":{"url":"http://h/x","method":"DELETE","pollMethod":"HEAD","polls":0},"op":{}} x`),
		"newer version":         rawToken(`{"v":3,"kind":"deletion","poll":{"url":"http://h/x","method":"DELETE","pollMethod":"HEAD","polls":0},"op":{}}`),
		"unknown kind":          rawToken(`{"v":1,"kind":"azure-lro","poll":{"url":"http://h/x","method":"DELETE","pollMethod":"HEAD","polls":0},"op":{}}`),
		"unknown member":        rawToken(`{"v":1,"kind":"deletion","poll":{"url":"http://h/x","method":"DELETE","pollMethod":"HEAD","polls":0,"extra":1},"op":{}}`),
		"no op":                 rawToken(`{"v":1,"kind":"deletion","poll":{"url":"http://h/x","method":"DELETE","pollMethod":"HEAD","polls":0}}`),
		"bad op member":         rawToken(`{"v":1,"kind":"deletion","poll":{"url":"http://h/x","method":"DELETE","pollMethod":"HEAD","polls":0},"op":{"x":1}}`),
		"entity, no validators": rawToken(`{"v":1,"kind":"entity","poll":{"url":"http://h/x","method":"PUT","pollMethod":"HEAD","polls":0},"op":{"before":{}}}`),
		"file URL":              rawToken(`{"v":1,"kind":"deletion","poll":{"url":"file:///etc/passwd","method":"DELETE","pollMethod":"HEAD","polls":0},"op":{}}`),
		"no host":               rawToken(`{"v":1,"kind":"deletion","poll":{"url":"http:///x","method":"DELETE","pollMethod":"HEAD","polls":0},"op":{}}`),
		"poll by POST":          rawToken(`{"v":1,"kind":"deletion","poll":{"url":"http://h/x","method":"DELETE","pollMethod":"POST","polls":0},"op":{}}`),
		"location HEAD":         rawToken(`{"v":1,"kind":"location","poll":{"url":"http://h/x","method":"POST","pollMethod":"HEAD","polls":0},"op":{}}`),
		"bad method":            rawToken(`{"v":1,"kind":"deletion","poll":{"url":"http://h/x","method":"DE LETE","pollMethod":"HEAD","polls":0},"op":{}}`),
		"negative polls":        rawToken(`{"v":1,"kind":"deletion","poll":{"url":"http://h/x","method":"DELETE","pollMethod":"HEAD","polls":-1},"op":{}}`),
		"too long":              tokenPrefix + strings.Repeat("A", maxTokenLen),
	} {
		_, err := c.ResumePoller(tok, nil)
		assert.ErrorIs(t, err, ErrInvalidResumeToken, name)
	}
	ok := rawToken(`{"v":1,"kind":"deletion","poll":{"url":"http://h/x","method":"DELETE","pollMethod":"HEAD","polls":2},"op":{}}`)
	p, err := c.ResumePoller("  "+ok+"\n", nil)
	require.NoError(t, err, "surrounding space, as pasted from a terminal, is fine")
	assert.Equal(t, 2, p.Polls())
}

func TestResumeTokenRoundTripKeepsState(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	cfg, err := newAsyncConfig(nil)
	require.NoError(t, err)
	next := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for _, s := range []pollStrategy{
		&locationStrategy{},
		&deletionStrategy{},
		&entityStrategy{Before: priorState{Validators: Validators{ETag: `W/"a"`, LastModified: next.Add(-time.Hour)}}, Expect: `"b"`},
		&entityStrategy{Before: priorState{Absent: true}},
	} {
		st := pollState{URL: "https://u:p@h.example/x?sig=1", Method: http.MethodPut, PollMethod: s.method(), Polls: 3, NextPoll: next, LastWait: 1500 * time.Millisecond}
		p, err := newPoller(c, s, st, cfg)
		require.NoError(t, err)
		tok, err := p.ResumeToken()
		require.NoError(t, err)
		q, err := c.ResumePoller(tok, nil)
		require.NoError(t, err, s.kind())
		assert.Equal(t, st, q.state, s.kind())
		assert.Equal(t, s, q.strategy, s.kind())
	}
}

// FuzzResumeToken checks that no token makes ResumePoller panic, and that
// any token it accepts comes back unchanged from the Poller it made.
func FuzzResumeToken(f *testing.F) {
	f.Add(rawToken(`{"v":1,"kind":"deletion","poll":{"url":"http://h/x","method":"DELETE","pollMethod":"HEAD","polls":0},"op":{}}`))
	f.Add(rawToken(`{"v":1,"kind":"entity","poll":{"url":"https://h/x","method":"PUT","pollMethod":"GET","polls":4,"nextPoll":"2026-11-25T10:00:00Z","lastWait":2000000000},"op":{"before":{"etag":"\"a\""},"expect":"\"b\""}}`))
	f.Add(rawToken(`{"v":1,"kind":"location","poll":{"url":"http://h/up/1","method":"POST","pollMethod":"GET","polls":1},"op":{}}`))
	f.Add(rawToken(`{"v":2,"kind":"location","poll":{"url":"http://other/up/1","method":"POST","pollMethod":"GET","polls":1,"origin":"https://h:443"},"op":{}}`))
	f.Add("l3poll.")
	f.Add("")
	c, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := c.ResumePoller(tok, nil)
		if err != nil {
			return
		}
		again, err := p.ResumeToken()
		if err != nil {
			t.Fatalf("accepted %q but cannot give a token back: %v", tok, err)
		}
		q, err := c.ResumePoller(again, nil)
		if err != nil {
			t.Fatalf("own token %q refused: %v", again, err)
		}
		a, b := q.state, p.state
		if !a.NextPoll.Equal(b.NextPoll) {
			t.Fatalf("next poll changed in a round trip: %v != %v", a.NextPoll, b.NextPoll)
		}
		a.NextPoll, b.NextPoll = time.Time{}, time.Time{}
		if a != b {
			t.Fatalf("state changed in a round trip: %+v != %+v", q.state, p.state)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, _ = q.Poll(ctx) // a cancelled poll sends nothing and must not panic
	})
}

func TestResumeTokenContinuesInAnotherPoller(t *testing.T) {
	e := newAsyncEnv(t)
	up := mocks.Upload().With(profiles.Async)
	up.AsyncPolls, up.RetryAfter = 3, "4"
	e.srv.Handle("/up", up)
	d := mocks.Data(`{"v":1}`).With(profiles.Async)
	d.AsyncPolls = 2
	e.srv.Handle("/d", d)
	ctx := context.Background()

	post, err := e.client.SendAsync(ctx, http.MethodPost, e.srv.URL+"/up", "text/plain", strings.NewReader("data"), e.opts(AsyncOptions{}))
	require.NoError(t, err)
	resp, err := post.Poll(ctx)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.NoError(t, resp.Body.Close())
	put, err := e.client.SendAsync(ctx, http.MethodPut, e.srv.URL+"/d", "application/json", strings.NewReader(`{"v":2}`), e.opts(AsyncOptions{}))
	require.NoError(t, err)
	_, err = e.client.SendAsync(ctx, http.MethodDelete, e.srv.URL+"/up/1", "", nil, e.opts(AsyncOptions{}))
	var nf *NotFoundError
	require.ErrorAs(t, err, &nf, "the upload is not there yet")

	// Another process: a new Client, with its own header and clock.
	other, err := New(WithHTTPClient(e.srv.Client()), WithRetry(RetryPolicy{Schedule: Schedule{Attempts: -1}}), WithHeader("Authorization", "Bearer other"))
	require.NoError(t, err)
	for i, p := range []*Poller{post, put} {
		tok, err := p.ResumeToken()
		require.NoError(t, err)
		sleepsBefore := len(e.clock.Sleeps())
		resumed, err := other.ResumePoller(tok, &AsyncOptions{clock: e.clock})
		require.NoError(t, err)
		assert.Equal(t, p.Location(), resumed.Location())
		assert.Equal(t, p.NextPoll(), resumed.NextPoll(), "Retry-After survives the trip")
		assert.Equal(t, p.Polls(), resumed.Polls())
		resp, err := resumed.Wait(ctx)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.True(t, resumed.Done())
		sleeps := e.clock.Sleeps()[sleepsBefore:]
		assert.NotEmpty(t, sleeps)
		if i == 0 {
			for _, d := range sleeps {
				assert.Equal(t, 4*time.Second, d, "the resumed POST Poller follows the server's Retry-After")
			}
		}
	}
	last := e.srv.Requests()[len(e.srv.Requests())-1]
	assert.Equal(t, "Bearer other", last.Header.Get("Authorization"), "the resuming Client's credentials")

	_, err = post.ResumeToken()
	assert.NoError(t, err, "the first Poller does not know; its own next poll would see the result")
	resp, err = post.Wait(ctx)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
}

func TestResumeTokenRejectsStartOptions(t *testing.T) {
	e := newAsyncEnv(t)
	up := mocks.Upload().With(profiles.Async)
	e.srv.Handle("/up", up)
	p, err := e.client.SendAsync(context.Background(), http.MethodPost, e.srv.URL+"/up", "text/plain", strings.NewReader("x"), e.opts(AsyncOptions{}))
	require.NoError(t, err)
	tok, err := p.ResumeToken()
	require.NoError(t, err)
	_, err = e.client.ResumePoller(tok, &AsyncOptions{Wait: time.Second})
	assert.ErrorContains(t, err, "AsyncOptions.Wait applies to starting")
	_, err = e.client.ResumePoller(tok, &AsyncOptions{ExpectETag: `"a"`})
	assert.ErrorContains(t, err, "AsyncOptions.ExpectETag applies to starting")
	_, err = e.client.ResumePoller(tok, &AsyncOptions{RequestOptions: RequestOptions{IdempotencyKey: "k"}})
	assert.ErrorContains(t, err, "AsyncOptions.IdempotencyKey applies to starting")
	_, err = e.client.ResumePoller(tok, &AsyncOptions{Poll: Schedule{Initial: -1}})
	assert.ErrorContains(t, err, "AsyncOptions.Poll")
	resumed, err := e.client.ResumePoller(tok, &AsyncOptions{Poll: Schedule{Initial: time.Millisecond}})
	require.NoError(t, err, "the schedule is the one setting of a resumed Poller")
	assert.Equal(t, time.Millisecond, resumed.sched.Initial)
	assert.Equal(t, defaultPollSchedule.Max, resumed.sched.Max, "zero fields take the defaults")
}

// TestResumeTokenOrigin: a token records the origin of the accepted
// request; one of version 1, which has none, resumes with credentials only
// for allowed origins, even on the origin of the polled URL.
func TestResumeTokenOrigin(t *testing.T) {
	a, b := hostilePair(t)
	c := scopedClient(t)
	p, err := c.SendAsync(context.Background(), http.MethodPost, a.URL+"/jobs", "text/plain", strings.NewReader("x"), nil)
	require.NoError(t, err)
	token, err := p.ResumeToken()
	require.NoError(t, err)
	st, _, err := decodeToken(token)
	require.NoError(t, err)
	assert.Equal(t, origin(mustURL(t, a.URL)), st.Origin)

	// A version 1 token polling the caller's own origin.
	v1 := rawToken(fmt.Sprintf(`{"v":1,"kind":"location","poll":{"url":%q,"method":"POST","pollMethod":"GET","polls":0},"op":{}}`, a.URL+"/c1"))
	before, polls := a.credentialBytes(), a.requests()
	resumed, err := c.ResumePoller(v1, fastPolls)
	require.NoError(t, err)
	resp, err := resumed.Wait(context.Background())
	require.NoError(t, err)
	resp.Body.Close()
	assert.Greater(t, a.requests(), polls)
	assert.Equal(t, before, a.credentialBytes(), "no origin recorded: no credentials")

	allowing := scopedClient(t, WithCredentialOrigins(a.URL))
	resumed, err = allowing.ResumePoller(v1, fastPolls)
	require.NoError(t, err)
	resp, err = resumed.Wait(context.Background())
	require.NoError(t, err)
	resp.Body.Close()
	assert.Greater(t, a.credentialBytes(), before, "an allowed origin gets them")
	assert.Zero(t, b.requests())

	for name, o := range map[string]string{
		"origin in v1":  `{"v":1,"kind":"deletion","poll":{"url":"http://h/x","method":"DELETE","pollMethod":"HEAD","polls":0,"origin":"http://h:80"},"op":{}}`,
		"path":          `{"v":2,"kind":"deletion","poll":{"url":"http://h/x","method":"DELETE","pollMethod":"HEAD","polls":0,"origin":"http://h:80/x"},"op":{}}`,
		"not canonical": `{"v":2,"kind":"deletion","poll":{"url":"http://h/x","method":"DELETE","pollMethod":"HEAD","polls":0,"origin":"http://H"},"op":{}}`,
		"file":          `{"v":2,"kind":"deletion","poll":{"url":"http://h/x","method":"DELETE","pollMethod":"HEAD","polls":0,"origin":"file:///"},"op":{}}`,
	} {
		_, err := c.ResumePoller(rawToken(o), nil)
		assert.ErrorIs(t, err, ErrInvalidResumeToken, name)
	}
}
