package level3

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

func TestChoosePatch(t *testing.T) {
	merge := json.RawMessage(`{"a":1}`)
	ops := json.RawMessage(`[{"op":"add","path":"/a","value":1}]`)
	both := Patch{Merge: merge, JSON: ops}
	cases := []struct {
		name      string
		accepted  []string
		p         Patch
		mediaType string
		translate bool
		err       error
	}{
		{"unknown server, merge first", nil, both, MediaMergePatch, false, nil},
		{"unknown server, JSON Patch only", nil, Patch{JSON: ops}, MediaJSONPatch, false, nil},
		{"server order wins", []string{MediaJSONPatch, MediaMergePatch}, both, MediaJSONPatch, false, nil},
		{"parameters and case ignored", []string{"Application/Merge-Patch+JSON; charset=utf-8"}, both, MediaMergePatch, false, nil},
		{"server takes only JSON Patch: translate", []string{MediaJSONPatch}, Patch{Merge: merge}, MediaJSONPatch, true, nil},
		{"server takes only merge, we have JSON Patch", []string{MediaMergePatch}, Patch{JSON: ops}, "", false, ErrPatchFormat},
		{"nothing in common", []string{"application/xml-patch+xml", "bad;;"}, both, "", false, ErrPatchFormat},
		{"empty patch", nil, Patch{}, "", false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := choosePatch(tc.accepted, tc.p)
			if tc.mediaType == "" {
				require.Error(t, err)
				if tc.err != nil {
					assert.ErrorIs(t, err, tc.err)
					var pfe *PatchFormatError
					require.ErrorAs(t, err, &pfe)
					assert.Equal(t, tc.accepted, pfe.Accepted)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.mediaType, plan.mediaType)
			assert.Equal(t, tc.translate, plan.translate)
			if !tc.translate {
				assert.NotNil(t, plan.body)
			}
		})
	}
}

func TestPatchRetryPlan(t *testing.T) {
	merge := json.RawMessage(`{"a":1}`)
	ops := json.RawMessage(`[]`)
	plan, ok := patchRetryPlan([]string{"application/json-patch+json"}, MediaMergePatch, Patch{Merge: merge, JSON: ops})
	require.True(t, ok)
	assert.Equal(t, MediaJSONPatch, plan.mediaType)
	plan, ok = patchRetryPlan([]string{"application/json-patch+json"}, MediaMergePatch, Patch{Merge: merge})
	require.True(t, ok)
	assert.True(t, plan.translate)
	_, ok = patchRetryPlan([]string{"application/merge-patch+json"}, MediaMergePatch, Patch{Merge: merge, JSON: ops})
	assert.False(t, ok, "never the refused format again")
	plan, ok = patchRetryPlan(nil, MediaMergePatch, Patch{Merge: merge, JSON: ops})
	require.True(t, ok, "without accept-patch, the other format offered")
	assert.Equal(t, MediaJSONPatch, plan.mediaType)
	_, ok = patchRetryPlan(nil, MediaMergePatch, Patch{Merge: merge})
	assert.False(t, ok)
}

func TestMergeToJSONPatch(t *testing.T) {
	cases := []struct {
		name, doc, merge, want string
	}{
		{"replace and add", `{"a":1,"b":{"c":2}}`, `{"a":3,"d":4}`,
			`[{"op":"replace","path":"/a","value":3},{"op":"add","path":"/d","value":4}]`},
		{"nested merge", `{"b":{"c":2,"e":1}}`, `{"b":{"c":null,"f":[1]}}`,
			`[{"op":"remove","path":"/b/c"},{"op":"add","path":"/b/f","value":[1]}]`},
		{"removing an absent member is nothing", `{"a":1}`, `{"z":null}`, `[]`},
		{"object over a scalar", `{"a":1}`, `{"a":{"x":null,"y":2}}`, `[{"op":"replace","path":"/a","value":{"y":2}}]`},
		{"new object drops nulls", `{}`, `{"a":{"x":null,"y":{"z":null}}}`, `[{"op":"add","path":"/a","value":{"y":{}}}]`},
		{"pointer escapes", `{"a/b":1,"m~n":2}`, `{"a/b":null,"m~n":3}`,
			`[{"op":"remove","path":"/a~1b"},{"op":"replace","path":"/m~0n","value":3}]`},
		{"array replaced whole", `{"a":[1,2]}`, `{"a":[3]}`, `[{"op":"replace","path":"/a","value":[3]}]`},
		{"whole document", `[1]`, `{"a":1}`, `[{"op":"replace","path":"","value":{"a":1}}]`},
		{"non-object patch", `{"a":1}`, `"x"`, `[{"op":"replace","path":"","value":"x"}]`},
		{"null patch", `{"a":1}`, `null`, `[{"op":"replace","path":"","value":null}]`},
		{"big numbers survive", `{"n":1}`, `{"n":12345678901234567890}`, `[{"op":"replace","path":"/n","value":12345678901234567890}]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mergeToJSONPatch([]byte(tc.doc), []byte(tc.merge))
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(got))
			assert.Equal(t, mustMerge(t, tc.doc, tc.merge), mustJSONPatch(t, tc.doc, string(got)),
				"the translation does what the merge patch does")
		})
	}
	_, err := mergeToJSONPatch([]byte(`{`), []byte(`{}`))
	assert.Error(t, err)
	_, err = mergeToJSONPatch([]byte(`{}`), []byte(`{} x`))
	assert.Error(t, err)
}

// mustMerge applies a merge patch and returns the canonical JSON.
func mustMerge(t testing.TB, doc, merge string) string {
	out, err := applyMerge([]byte(doc), []byte(merge))
	require.NoError(t, err)
	return canonicalJSON(t, out)
}

// mustJSONPatch applies an RFC 6902 patch to doc with
// github.com/evanphx/json-patch/v5, an engine independent of ours (so that
// FuzzMergeToJSONPatch is a differential check), and returns canonical JSON.
// The document is wrapped in an object and the pointers prefixed to match,
// since the library takes only objects and arrays at the root, where a
// translation may put any value.
func mustJSONPatch(t testing.TB, doc, patch string) string {
	var ops []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(patch), &ops))
	for _, op := range ops {
		var ptr string
		require.NoError(t, json.Unmarshal(op["path"], &ptr))
		op["path"], _ = json.Marshal("/doc" + ptr)
	}
	wrapped, err := json.Marshal(ops)
	require.NoError(t, err)
	p, err := jsonpatch.DecodePatch(wrapped)
	require.NoError(t, err)
	out, err := p.Apply([]byte(`{"doc":` + doc + `}`))
	require.NoError(t, err, "doc %s patch %s", doc, patch)
	var root map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out, &root))
	return canonicalJSON(t, root["doc"])
}

func canonicalJSON(t testing.TB, b []byte) string {
	v, err := decodeJSON(b)
	require.NoError(t, err)
	out, err := json.Marshal(v)
	require.NoError(t, err)
	return string(out)
}

func TestMergePatchOf(t *testing.T) {
	type change struct {
		State string         `json:"state,omitempty"`
		Note  *string        `json:"note,omitempty"`
		Gone  map[string]any `json:"gone"`
	}
	p, err := MergePatchOf(change{State: "paid"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"state":"paid","gone":null}`, string(p.Merge))
	assert.Nil(t, p.JSON)
	_, err = MergePatchOf([]int{1})
	assert.Error(t, err, "a merge patch is an object")
	_, err = MergePatchOf(func() {})
	assert.Error(t, err)
}

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
