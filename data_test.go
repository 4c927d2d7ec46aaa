package level3

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

func TestPatchAgainstMocks(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog() // orders take merge patch only; products take both
	c := newTestClient(t, srv)
	ctx := context.Background()
	patchCount := func(path string) int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Path == path && r.Method == http.MethodPatch {
				n++
			}
		}
		return n
	}

	t.Run("merge patch from a Go value", func(t *testing.T) {
		p, err := MergePatchOf(map[string]any{"state": "paid"})
		require.NoError(t, err)
		res, err := c.Patch(ctx, srv.URL+mocks.PathOrder1, p, nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusNoContent, res.Status)
		stored, _ := srv.Resource(mocks.PathOrder1)
		assert.JSONEq(t, `{"id":1,"state":"paid"}`, string(stored.Body))
		assert.Equal(t, stored.ETag, res.Validators.ETag)
		assert.Equal(t, MediaMergePatch, lastRequest(t, srv, mocks.PathOrder1).Header.Get("Content-Type"))
	})

	t.Run("JSON Patch", func(t *testing.T) {
		res, err := c.Patch(ctx, srv.URL+"/products/1", Patch{JSON: json.RawMessage(
			`[{"op":"test","path":"/id","value":1},{"op":"add","path":"/tags","value":["new"]},{"op":"add","path":"/tags/0","value":"hot"}]`)}, nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusNoContent, res.Status)
		stored, _ := srv.Resource("/products/1")
		assert.JSONEq(t, `{"id":1,"name":"Item 1","tags":["hot","new"]}`, string(stored.Body))
	})

	t.Run("both offered: the discovered accept-patch decides", func(t *testing.T) {
		d := mocks.Data(`{"id":5,"state":"open"}`)
		d.AcceptPatch = []string{mocks.JSONPatch, mocks.MergePatch}
		srv.Handle("/pref", d)
		res, err := c.Discover(ctx, srv.URL+"/pref")
		require.NoError(t, err)
		_, err = res.Patch(ctx, Patch{Merge: json.RawMessage(`{"state":"x"}`), JSON: json.RawMessage(`[{"op":"replace","path":"/state","value":"y"}]`)}, nil)
		require.NoError(t, err)
		stored, _ := srv.Resource("/pref")
		assert.JSONEq(t, `{"id":5,"state":"y"}`, string(stored.Body), "the server's first choice, JSON Patch")
	})

	t.Run("415 with accept-patch: sent again in a format it takes", func(t *testing.T) {
		d := mocks.Data(`{"id":6,"state":"open"}`)
		d.AcceptPatch = []string{mocks.JSONPatch}
		srv.Handle("/jsononly", d)
		_, err := c.Patch(ctx, srv.URL+"/jsononly", Patch{Merge: json.RawMessage(`{"state":"x"}`), JSON: json.RawMessage(`[{"op":"replace","path":"/state","value":"y"}]`)}, nil)
		require.NoError(t, err)
		assert.Equal(t, 2, patchCount("/jsononly"))
		stored, _ := srv.Resource("/jsononly")
		assert.JSONEq(t, `{"id":6,"state":"y"}`, string(stored.Body))
	})

	t.Run("merge patch translated for a JSON-Patch-only server", func(t *testing.T) {
		d := mocks.Data(`{"id":7,"state":"open","lines":{"a":1,"b":2}}`)
		d.AcceptPatch = []string{mocks.JSONPatch}
		srv.Handle("/translate", d)
		res, err := c.Discover(ctx, srv.URL+"/translate")
		require.NoError(t, err)
		before, _ := srv.Resource("/translate")
		_, err = res.Patch(ctx, Patch{Merge: json.RawMessage(`{"state":"paid","lines":{"a":null,"c":3}}`)}, nil)
		require.NoError(t, err)
		stored, _ := srv.Resource("/translate")
		assert.JSONEq(t, `{"id":7,"state":"paid","lines":{"b":2,"c":3}}`, string(stored.Body))
		sent := lastRequest(t, srv, "/translate")
		assert.Equal(t, http.MethodPatch, sent.Method)
		assert.Equal(t, MediaJSONPatch, sent.Header.Get("Content-Type"))
		assert.Equal(t, before.ETag, sent.Header.Get("If-Match"), "conditional on the document translated against")
	})

	t.Run("no format in common: refused before sending", func(t *testing.T) {
		res, err := c.Discover(ctx, srv.URL+mocks.PathOrder2)
		require.NoError(t, err)
		n := srv.Count(mocks.PathOrder2)
		_, err = res.Patch(ctx, Patch{JSON: json.RawMessage(`[]`)}, nil)
		assert.ErrorIs(t, err, ErrPatchFormat)
		assert.Equal(t, n, srv.Count(mocks.PathOrder2))

		_, err = c.Patch(ctx, srv.URL+mocks.PathOrder2, Patch{JSON: json.RawMessage(`[]`)}, nil)
		var unsupported *UnsupportedMediaTypeError
		require.ErrorAs(t, err, &unsupported, "without discovery, the server's 415 is the answer")
		assert.Equal(t, 1, patchCount(mocks.PathOrder2))
	})

	t.Run("typed rejections", func(t *testing.T) {
		_, err := c.Patch(ctx, srv.URL+"/products/2", Patch{JSON: json.RawMessage(`[{"op":"test","path":"/id","value":99}]`)}, nil)
		var conflict *ConflictError
		require.ErrorAs(t, err, &conflict, "409: the patch cannot apply")
		_, err = c.Patch(ctx, srv.URL+"/products/2", Patch{JSON: json.RawMessage(`[{"op":"frobnicate","path":"/id"}]`)}, nil)
		var bad *BadRequestError
		require.ErrorAs(t, err, &bad, "400: malformed patch")
		srv.Fail("/products/2", mocks.Problem(http.StatusForbidden, "Order locked", "closed orders cannot change"))
		_, err = c.Patch(ctx, srv.URL+"/products/2", Patch{Merge: json.RawMessage(`{"a":1}`)}, nil)
		var forbidden *ForbiddenError
		require.ErrorAs(t, err, &forbidden)
		assert.Equal(t, "Order locked", forbidden.Problem.Title)
		srv.Fail("/products/2", mocks.Problem(http.StatusUnprocessableEntity, "Bad state", "no such state"))
		_, err = c.Patch(ctx, srv.URL+"/products/2", Patch{Merge: json.RawMessage(`{"state":"x"}`)}, nil)
		var unprocessable *UnprocessableEntityError
		require.ErrorAs(t, err, &unprocessable)
		_, err = c.Patch(ctx, srv.URL+"/products/2", Patch{Merge: json.RawMessage(`{"state":`)}, nil)
		assert.ErrorContains(t, err, "not valid JSON", "checked before sending")
		_, err = c.Patch(ctx, srv.URL+"/products/2", Patch{}, nil)
		assert.Error(t, err)
	})
}

func TestGetJSON(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	ctx := context.Background()

	var o order
	res, err := c.GetJSON(ctx, srv.URL+mocks.PathOrder2, &o, nil)
	require.NoError(t, err)
	assert.Equal(t, order{ID: 2, State: "open"}, o)
	stored, _ := srv.Resource(mocks.PathOrder2)
	assert.Equal(t, stored.ETag, res.ETag)
	assert.Equal(t, "application/json", lastRequest(t, srv, mocks.PathOrder2).Header.Get("Accept"))
	_, err = c.GetJSON(ctx, srv.URL+mocks.PathOrder2, &o, &RequestOptions{Header: http.Header{"Accept": {"application/vnd.shop+json"}}})
	require.NoError(t, err)
	assert.Equal(t, "application/vnd.shop+json", lastRequest(t, srv, mocks.PathOrder2).Header.Get("Accept"))

	_, err = c.GetJSON(ctx, srv.URL+mocks.PathReport, &o, nil)
	assert.ErrorContains(t, err, "text/csv", "the error names the content-type")
	_, err = c.GetJSON(ctx, srv.URL+mocks.PathOrder2, &o, &RequestOptions{Header: http.Header{"Bad Name": {"x"}}})
	assert.Error(t, err)

	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"pad":"`)
		chunk := strings.Repeat("x", 64<<10)
		for i := 0; i < MaxResultBody/len(chunk)+1; i++ {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
		_, _ = io.WriteString(w, `"}`)
	}))
	defer big.Close()
	c2, err := New(WithCache(nil))
	require.NoError(t, err)
	defer c2.HTTPClient().CloseIdleConnections()
	_, err = c2.GetJSON(ctx, big.URL, nil, nil)
	assert.ErrorIs(t, err, ErrResponseTooLarge)

	_, err = c.PutJSON(ctx, srv.URL+mocks.PathOrder2, json.RawMessage(`{"id":`), nil)
	assert.ErrorContains(t, err, "not valid JSON")
	_, err = c.PutJSON(ctx, srv.URL+mocks.PathOrder2, func() {}, nil)
	assert.Error(t, err)
}

func TestPatchEdges(t *testing.T) {
	err := &PatchFormatError{Accepted: []string{"application/xml-patch+xml"}, Offered: []string{MediaMergePatch}}
	assert.Equal(t, "level3: the server accepts PATCH as application/xml-patch+xml; offered application/merge-patch+json", err.Error())
	_, perr := ResourceFromResponse(&http.Response{Header: http.Header{}}).Patch(context.Background(), Patch{Merge: json.RawMessage(`{}`)}, nil)
	assert.ErrorContains(t, perr, "no Client")
	assert.Equal(t, "(unparsable URL)", redactRawURL("http://a b/%zz"))
	assert.Equal(t, "http://u:xxxxx@h/?token=xxxxx", redactRawURL("http://u:p@h/?token=s3cret"))

	out, aerr := applyMerge(nil, []byte(`{"a":{"b":null,"c":1}}`))
	require.NoError(t, aerr)
	assert.JSONEq(t, `{"a":{"c":1}}`, string(out), "an empty document is merged into as null")
	_, aerr = applyMerge([]byte(`{`), []byte(`{}`))
	assert.Error(t, aerr)
	_, aerr = applyMerge([]byte(`{}`), []byte(`[`))
	assert.Error(t, aerr)
}
