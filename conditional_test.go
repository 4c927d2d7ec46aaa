package level3

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

func TestPreconditionHeaders(t *testing.T) {
	lm := time.Date(2026, 11, 24, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	cases := []struct {
		name    string
		v       Validators
		im, ius string
		err     bool
	}{
		{"strong tag", Validators{ETag: `"a1"`, LastModified: lm}, `"a1"`, "", false},
		{"weak tag and a date", Validators{ETag: `W/"a1"`, LastModified: lm}, "", "Tue, 24 Nov 2026 09:00:00 GMT", false},
		{"date only", Validators{LastModified: lm}, "", "Tue, 24 Nov 2026 09:00:00 GMT", false},
		{"weak tag only", Validators{ETag: `W/"a1"`}, "", "", true},
		{"bare tag, quoted", Validators{ETag: `a1`}, `"a1"`, "", false},
		{"malformed tag only", Validators{ETag: `"a"1"`}, "", "", true},
		{"malformed tag and a date", Validators{ETag: `"a"1"`, LastModified: lm}, "", "Tue, 24 Nov 2026 09:00:00 GMT", false},
		{"nothing", Validators{}, "", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			im, ius, err := tc.v.preconditions()
			assert.Equal(t, tc.im, im)
			assert.Equal(t, tc.ius, ius)
			if tc.err {
				assert.ErrorIs(t, err, ErrNoValidator)
			} else {
				assert.NoError(t, err)
			}
		})
	}
}

func TestIsStrongETag(t *testing.T) {
	for tag, want := range map[string]bool{
		`"abc"`: true, `""`: true, `"a-b_c/d"`: true, "\"caf\xc3\xa9\"": true,
		`W/"abc"`: false, `abc`: false, `"abc`: false, `"a"b"`: false, `"a b"`: false, "\"a\x7f\"": false, ``: false, `"`: false,
	} {
		assert.Equal(t, want, isStrongETag(tag), tag)
	}
}

func TestConditionOptions(t *testing.T) {
	apply := func(o RequestOptions) (http.Header, error) {
		req := httptest.NewRequest(http.MethodPut, "http://h/x", nil)
		out, err := o.Apply(req)
		if err != nil {
			return nil, err
		}
		return out.Header, nil
	}
	etag := func(tag string) RequestOptions { return RequestOptions{IfVersion: Validators{ETag: tag}} }
	h, err := apply(etag("abc"))
	require.NoError(t, err)
	assert.Equal(t, `"abc"`, h.Get("If-Match"), "a bare tag is quoted")
	h, err = apply(etag(` "abc" `))
	require.NoError(t, err)
	assert.Equal(t, `"abc"`, h.Get("If-Match"))
	_, err = apply(etag(`W/"abc"`))
	assert.ErrorIs(t, err, ErrNoValidator, "a weak tag never matches")
	for _, bad := range []string{`"a"b"`, "a b", "\"a\r\nX: y\""} {
		_, err = apply(etag(bad))
		assert.ErrorIs(t, err, ErrNoValidator, "%q", bad)
		assert.ErrorContains(t, err, "RequestOptions.IfVersion", "%q", bad)
	}

	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	h, err = apply(RequestOptions{IfVersion: Validators{LastModified: at}})
	require.NoError(t, err)
	assert.Equal(t, "Tue, 24 Nov 2026 10:00:00 GMT", h.Get("If-Unmodified-Since"))
	assert.Empty(t, h.Get("If-Match"))

	h, err = apply(RequestOptions{Force: true, Header: http.Header{"If-Unmodified-Since": {"Tue, 24 Nov 2026 10:00:00 GMT"}}})
	require.NoError(t, err)
	assert.Equal(t, "*", h.Get("If-Match"))
	assert.Empty(t, h.Get("If-Unmodified-Since"), "Force replaces other preconditions")

	_, err = apply(RequestOptions{Force: true, IfVersion: Validators{ETag: `"v2"`}})
	assert.ErrorContains(t, err, "Force and IfVersion", "they exclude each other")

	h, err = apply(RequestOptions{IfVersion: Validators{ETag: `"v2"`}, Header: http.Header{"If-Match": {`"v1"`}}})
	require.NoError(t, err)
	assert.Equal(t, []string{`"v2"`}, h.Values("If-Match"), "IfVersion wins over a header")
	h, err = apply(RequestOptions{})
	require.NoError(t, err)
	assert.Empty(t, h.Get("If-Match"), "the zero IfVersion sends no precondition")
	assert.Empty(t, h.Get("If-Unmodified-Since"))

	assert.True(t, Validators{}.IsZero())
	assert.False(t, Validators{ETag: `W/"x"`}.Strong())
	assert.True(t, Validators{ETag: `"x"`}.Strong())
}

func TestConditionalChanges(t *testing.T) {
	forEachProto(t, func(t *testing.T, srv *mocks.Server) {
		c := newTestClient(t, srv)
		ctx := context.Background()
		url := srv.URL + mocks.PathOrder1

		var order map[string]any
		res, err := c.GetJSON(ctx, url, &order, nil)
		require.NoError(t, err)
		v := res.Validators
		require.True(t, v.Strong())

		out, err := c.PutJSON(ctx, url, map[string]any{"id": 1, "state": "packed"}, &RequestOptions{IfVersion: v})
		require.NoError(t, err)
		assert.Equal(t, http.StatusNoContent, out.Status)
		stored, _ := srv.Resource(mocks.PathOrder1)
		assert.Equal(t, stored.ETag, out.Validators.ETag, "the new validators of the success are returned")
		assert.NotEqual(t, v.ETag, out.Validators.ETag)
		assert.Equal(t, v.ETag, lastRequest(t, srv, mocks.PathOrder1).Header.Get("If-Match"))

		_, err = c.PutJSON(ctx, url, map[string]any{"id": 1, "state": "lost"}, &RequestOptions{IfVersion: v})
		var stale *PreconditionFailedError
		require.ErrorAs(t, err, &stale, "the old validators are stale now")
		assert.Equal(t, http.MethodPut, stale.Method)
		stored, _ = srv.Resource(mocks.PathOrder1)
		assert.JSONEq(t, `{"id":1,"state":"packed"}`, string(stored.Body), "nothing was lost")

		_, err = c.PutJSON(ctx, url, map[string]any{"id": 1, "state": "forced"}, &RequestOptions{Force: true})
		require.NoError(t, err)
		assert.Equal(t, "*", lastRequest(t, srv, mocks.PathOrder1).Header.Get("If-Match"))

		_, err = c.Delete(ctx, url, &RequestOptions{IfVersion: v})
		require.ErrorAs(t, err, &stale)
		_, err = c.Delete(ctx, url, &RequestOptions{IfVersion: out.Validators})
		require.ErrorAs(t, err, &stale, "the forced PUT changed it again")
		_, err = c.Delete(ctx, url, &RequestOptions{IfVersion: Validators{LastModified: time.Now().Add(time.Hour)}})
		require.NoError(t, err)
		_, ok := srv.Resource(mocks.PathOrder1)
		assert.False(t, ok)

		_, err = c.PutJSON(ctx, url, map[string]any{"id": 1}, &RequestOptions{Force: true})
		var nf *NotFoundError
		assert.ErrorAs(t, err, &nf, "a forced PUT never creates")
	})
}

func TestPreconditionRequired(t *testing.T) {
	srv := mocks.NewServer(t)
	d := mocks.Data(`{"id":7}`)
	d.RequirePrecondition = true
	srv.Handle("/strict", d)
	c := newTestClient(t, srv)
	ctx := context.Background()

	_, err := c.PutJSON(ctx, srv.URL+"/strict", map[string]int{"id": 8}, nil)
	var required *PreconditionRequiredError
	require.ErrorAs(t, err, &required)
	assert.Equal(t, 428, required.StatusCode)
	_, err = c.Delete(ctx, srv.URL+"/strict", nil)
	require.ErrorAs(t, err, &required)

	res, err := c.GetJSON(ctx, srv.URL+"/strict", nil, nil)
	require.NoError(t, err)
	_, err = c.PutJSON(ctx, srv.URL+"/strict", map[string]int{"id": 8}, &RequestOptions{IfVersion: res.Validators})
	require.NoError(t, err)
}

type order struct {
	ID    int    `json:"id"`
	State string `json:"state"`
	Notes []string
}

func TestUpdate(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	ctx := context.Background()
	url := srv.URL + mocks.PathOrder1

	t.Run("first try", func(t *testing.T) {
		calls := 0
		res, err := Update(ctx, c, url, func(o *order) error {
			calls++
			o.State = "packed"
			return nil
		}, nil)
		require.NoError(t, err)
		assert.Equal(t, 1, calls)
		stored, _ := srv.Resource(mocks.PathOrder1)
		assert.JSONEq(t, `{"id":1,"state":"packed","Notes":null}`, string(stored.Body))
		assert.Equal(t, stored.ETag, res.Validators.ETag)
	})

	t.Run("lost a race, redone on fresh state", func(t *testing.T) {
		calls := 0
		var seen []string
		_, err := Update(ctx, c, url, func(o *order) error {
			calls++
			seen = append(seen, o.State)
			if calls == 1 { // someone else writes between our GET and our PUT
				srv.SetBody(mocks.PathOrder1, []byte(`{"id":1,"state":"cancelled"}`))
			}
			o.Notes = append(o.Notes, "checked")
			return nil
		}, nil)
		require.NoError(t, err)
		assert.Equal(t, 2, calls)
		assert.Equal(t, []string{"packed", "cancelled"}, seen, "the second attempt sees the other write")
		stored, _ := srv.Resource(mocks.PathOrder1)
		assert.JSONEq(t, `{"id":1,"state":"cancelled","Notes":["checked"]}`, string(stored.Body))
	})

	t.Run("always losing gives up with the 412", func(t *testing.T) {
		calls := 0
		_, err := Update(ctx, c, url, func(o *order) error {
			calls++
			srv.SetBody(mocks.PathOrder1, []byte(`{"id":1,"state":"busy`+string(rune('a'+calls))+`"}`))
			return nil
		}, nil)
		var stale *PreconditionFailedError
		require.ErrorAs(t, err, &stale)
		assert.Equal(t, UpdateAttempts, calls)
	})

	t.Run("modify refuses", func(t *testing.T) {
		srv.ResetLog()
		boom := errors.New("order is closed")
		_, err := Update(ctx, c, url, func(*order) error { return boom }, nil)
		assert.ErrorIs(t, err, boom)
		for _, r := range srv.Requests() {
			assert.NotEqual(t, http.MethodPut, r.Method, "nothing written")
		}
	})

	t.Run("no validators", func(t *testing.T) {
		srv.Handle("/plain", mocks.Info(`{"id":2}`))
		_, err := Update(ctx, c, srv.URL+"/plain", func(*order) error { return nil }, nil)
		assert.ErrorIs(t, err, ErrNoValidator)
		assert.Equal(t, 1, srv.Count("/plain"), "only the GET")
	})

	t.Run("GET fails", func(t *testing.T) {
		_, err := Update(ctx, c, srv.URL+"/missing", func(*order) error { return nil }, nil)
		var nf *NotFoundError
		assert.ErrorAs(t, err, &nf)
	})
}
