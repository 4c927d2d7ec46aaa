package level3

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
