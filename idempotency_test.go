package level3

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

// fastBusy waits briefly for submissions still being processed.
var fastBusy = Schedule{Attempts: 5, Initial: time.Millisecond, Max: 5 * time.Millisecond}

func TestSubmitSurvivesALostResponse(t *testing.T) {
	// The first POST is processed but its answer lost; the retry layer
	// sends it again with the same key while the server is still busy
	// with it (409), SubmitForm waits, and gets the first answer replayed.
	forEachProto(t, func(t *testing.T, srv *mocks.Server) {
		form := mocks.Form(`{"item":"","quantity":1}`)
		form.IdempotencyKey = "optional"
		form.Processing = 2
		srv.Handle("/orders/new", form)
		srv.Fail("/orders/new", mocks.DropResponse().OnlyFor(http.MethodPost))
		c := newTestClient(t, srv, WithBusyWait(fastBusy))

		res, err := c.Submit(context.Background(), srv.URL+"/orders/new", map[string]any{"item": "lamp"}, nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusCreated, res.Status)

		sent := posts(srv, "/orders/new")
		require.Len(t, sent, 4, "lost, 409, 409, 201")
		key := sent[0].Header.Get("Idempotency-Key")
		for i, r := range sent {
			assert.Equal(t, key, r.Header.Get("Idempotency-Key"), "attempt %d reuses the key", i+1)
			assert.Equal(t, sent[0].BodyBytes, r.BodyBytes, "and the same body")
		}
		n, ok := srv.Submissions("/orders/new", key)
		require.True(t, ok)
		assert.Equal(t, 4, n)
		var children []string
		for _, p := range srv.Paths() {
			if len(p) > len("/orders/new/") && p[:len("/orders/new/")] == "/orders/new/" {
				children = append(children, p)
			}
		}
		assert.Equal(t, []string{res.Location.Path}, children, "created exactly once")
	})
}

func TestSubmitBusyGivesUp(t *testing.T) {
	srv := mocks.NewServer(t)
	form := mocks.Form(`{}`)
	form.IdempotencyKey = "optional"
	form.Processing = 100
	srv.Handle("/f", form)
	srv.Fail("/f", mocks.DropResponse().OnlyFor(http.MethodPost))
	c := newTestClient(t, srv, WithBusyWait(Schedule{Attempts: 2, Initial: time.Millisecond, Max: time.Millisecond}))
	_, err := c.Submit(context.Background(), srv.URL+"/f", map[string]any{"a": 1}, nil)
	var conflict *ConflictError
	require.ErrorAs(t, err, &conflict)
	assert.ErrorContains(t, err, "still being processed")
	assert.Len(t, posts(srv, "/f"), 4, "lost, 409, then two waits and 409s")

	ctx, cancel := context.WithCancel(context.Background())
	srv.Fail("/f", mocks.DropResponse().OnlyFor(http.MethodPost))
	slow := newTestClient(t, srv, WithBusyWait(Schedule{Attempts: 5, Initial: time.Hour, Max: time.Hour}))
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = slow.Submit(ctx, srv.URL+"/f", map[string]any{"a": 2}, nil)
	assert.ErrorIs(t, err, context.Canceled, "a wait ends with the context")
}

func TestSubmitBusinessRule409(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	srv.Fail(mocks.PathOrderForm, mocks.Problem(http.StatusConflict, "Out of stock", "no more lamps").OnlyFor(http.MethodPost))
	c := newTestClient(t, srv, WithBusyWait(fastBusy))
	_, err := c.Submit(context.Background(), srv.URL+mocks.PathOrderForm, map[string]any{"item": "lamp"}, nil)
	var conflict *ConflictError
	require.ErrorAs(t, err, &conflict)
	assert.Equal(t, "Out of stock", conflict.Problem.Title)
	assert.Len(t, posts(srv, mocks.PathOrderForm), 1, "a 409 to a fresh key is a business rule: not resent")
}

func TestSubmitKeyReused(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv, WithBusyWait(fastBusy))
	ctx := context.Background()
	first, err := c.Submit(ctx, srv.URL+mocks.PathOrderForm, map[string]any{"item": "a"}, &RequestOptions{IdempotencyKey: "order-42"})
	require.NoError(t, err)
	assert.Equal(t, `"order-42"`, posts(srv, mocks.PathOrderForm)[0].Header.Get("Idempotency-Key"))

	again, err := c.Submit(ctx, srv.URL+mocks.PathOrderForm, map[string]any{"item": "a"}, &RequestOptions{IdempotencyKey: "order-42"})
	require.NoError(t, err, "the same submission again: replayed")
	assert.Equal(t, first.Location.String(), again.Location.String())

	_, err = c.Submit(ctx, srv.URL+mocks.PathOrderForm, map[string]any{"item": "b"}, &RequestOptions{IdempotencyKey: "order-42"})
	var reused *KeyReusedError
	require.ErrorAs(t, err, &reused)
	assert.Equal(t, `"order-42"`, reused.Key)
	var unprocessable *UnprocessableEntityError
	require.ErrorAs(t, err, &unprocessable)
	var base *ResponseError
	require.ErrorAs(t, err, &base)
	assert.Equal(t, 422, base.StatusCode)
	assert.Contains(t, err.Error(), "order-42")

	// A 422 about the content stays a plain 422.
	srv.Fail(mocks.PathOrderForm, mocks.Problem(http.StatusUnprocessableEntity, "Unknown item", "no such item").OnlyFor(http.MethodPost))
	_, err = c.Submit(ctx, srv.URL+mocks.PathOrderForm, map[string]any{"item": "zz"}, nil)
	require.ErrorAs(t, err, &unprocessable)
	assert.False(t, errors.As(err, &reused))
}

func TestStillProcessing(t *testing.T) {
	conflict := func(attempts int, retryAfter time.Duration) error {
		return &ConflictError{ResponseError{StatusCode: 409, Attempts: attempts, RetryAfter: retryAfter}}
	}
	cases := []struct {
		name        string
		err         error
		resubmitted bool
		busy        bool
		wait        time.Duration
	}{
		{"fresh key, first attempt: business rule", conflict(1, 0), false, false, 0},
		{"retry layer resent it", conflict(2, 0), false, true, 0},
		{"our own resubmission", conflict(1, 3*time.Second), true, true, 3 * time.Second},
		{"another status", &ForbiddenError{ResponseError{StatusCode: 403, Attempts: 2}}, true, false, 0},
		{"a transport error", errors.New("reset"), true, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wait, busy := stillProcessing(tc.err, tc.resubmitted)
			assert.Equal(t, tc.busy, busy)
			assert.Equal(t, tc.wait, wait)
		})
	}
}

func TestKeyReusedDecision(t *testing.T) {
	mk := func(status int, p *Problem) error {
		base := ResponseError{StatusCode: status, Problem: p}
		return typed(base)
	}
	assert.NotNil(t, keyReused(mk(422, &Problem{Type: "https://example/idempotency", Title: "Key already used"}), `"k"`))
	assert.NotNil(t, keyReused(mk(422, &Problem{Type: "about:blank", Title: "Idempotency-Key is already used"}), `"k"`))
	assert.Nil(t, keyReused(mk(422, &Problem{Title: "Unknown item"}), `"k"`))
	assert.Nil(t, keyReused(mk(422, nil), `"k"`))
	assert.Nil(t, keyReused(mk(409, &Problem{Title: "idempotency"}), `"k"`))
}

func TestIdempotencyKeys(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		k := NewIdempotencyKey()
		q, err := idempotencyKeyField(k)
		require.NoError(t, err)
		assert.Regexp(t, uuidKey, q)
		assert.False(t, seen[k], "keys are unique")
		seen[k] = true
	}
	for in, want := range map[string]string{`abc`: `"abc"`, `a"b\c`: `"a\"b\\c"`, ` x `: `" x "`, `"abc"`: `"abc"`} {
		got, err := idempotencyKeyField(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	for _, bad := range []string{"", "caf\u00e9", "a\nb", "\x7f"} {
		_, err := idempotencyKeyField(bad)
		assert.Error(t, err, "%q", bad)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://h/", nil)
	out, err := (&RequestOptions{IdempotencyKey: "a\r\nX-Evil: 1"}).Apply(req)
	assert.Error(t, err)
	assert.Nil(t, out)
	assert.Empty(t, req.Header.Get("Idempotency-Key"))
}

func TestWithBusyWaitValidates(t *testing.T) {
	for _, s := range []Schedule{{Initial: -1}, {Max: -1}, {Initial: 2, Max: 1}, {Multiplier: 0.5}, {Jitter: 1}} {
		_, err := New(WithBusyWait(s))
		assert.ErrorContains(t, err, "WithBusyWait", "%+v", s)
	}
	for _, s := range []Schedule{{}, {Attempts: -1}, {Jitter: -1}} {
		_, err := New(WithBusyWait(s))
		assert.NoError(t, err, "%+v", s)
	}
	assert.Equal(t, defaultBusyWait, Schedule{}.or(defaultBusyWait), "the zero Schedule is the default")
	assert.Equal(t, 0, Schedule{Attempts: -1}.or(defaultBusyWait).Attempts, "a negative Attempts never resubmits")
}
