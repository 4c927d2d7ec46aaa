package mocks

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/profiles"
)

func TestJSONPatch(t *testing.T) {
	doc := `{"a":1,"b":{"c":[1,2,3]},"m~n":{"x/y":true}}`
	cases := []struct {
		name, patch, want string
		status            int
	}{
		{"add member", `[{"op":"add","path":"/d","value":{"e":null}}]`, `{"a":1,"b":{"c":[1,2,3]},"d":{"e":null},"m~n":{"x/y":true}}`, 0},
		{"add replaces a member", `[{"op":"add","path":"/a","value":2}]`, `{"a":2,"b":{"c":[1,2,3]},"m~n":{"x/y":true}}`, 0},
		{"insert into an array", `[{"op":"add","path":"/b/c/1","value":9}]`, `{"a":1,"b":{"c":[1,9,2,3]},"m~n":{"x/y":true}}`, 0},
		{"append with -", `[{"op":"add","path":"/b/c/-","value":4}]`, `{"a":1,"b":{"c":[1,2,3,4]},"m~n":{"x/y":true}}`, 0},
		{"remove from an array", `[{"op":"remove","path":"/b/c/0"}]`, `{"a":1,"b":{"c":[2,3]},"m~n":{"x/y":true}}`, 0},
		{"replace in an array", `[{"op":"replace","path":"/b/c/2","value":0}]`, `{"a":1,"b":{"c":[1,2,0]},"m~n":{"x/y":true}}`, 0},
		{"escaped pointer", `[{"op":"remove","path":"/m~0n/x~1y"}]`, `{"a":1,"b":{"c":[1,2,3]},"m~n":{}}`, 0},
		{"move", `[{"op":"move","from":"/a","path":"/z"}]`, `{"b":{"c":[1,2,3]},"m~n":{"x/y":true},"z":1}`, 0},
		{"copy is deep", `[{"op":"copy","from":"/b","path":"/b2"},{"op":"add","path":"/b2/c/-","value":4}]`,
			`{"a":1,"b":{"c":[1,2,3]},"b2":{"c":[1,2,3,4]},"m~n":{"x/y":true}}`, 0},
		{"test passes", `[{"op":"test","path":"/b/c","value":[1,2,3]},{"op":"remove","path":"/a"}]`, `{"b":{"c":[1,2,3]},"m~n":{"x/y":true}}`, 0},
		{"replace the whole document", `[{"op":"replace","path":"","value":[1]}]`, `[1]`, 0},
		{"test fails: 409", `[{"op":"test","path":"/a","value":2}]`, "", http.StatusConflict},
		{"missing path: 409", `[{"op":"remove","path":"/nope"}]`, "", http.StatusConflict},
		{"replace a missing member: 409", `[{"op":"replace","path":"/nope","value":1}]`, "", http.StatusConflict},
		{"index out of range: 409", `[{"op":"add","path":"/b/c/9","value":1}]`, "", http.StatusConflict},
		{"leading zero index read as a number (the library's leniency)", `[{"op":"remove","path":"/b/c/01"}]`, `{"a":1,"b":{"c":[1,3]},"m~n":{"x/y":true}}`, 0},
		{"negative index: 409", `[{"op":"remove","path":"/b/c/-1"}]`, "", http.StatusConflict},
		{"a null value", `[{"op":"add","path":"/a","value":null}]`, `{"a":null,"b":{"c":[1,2,3]},"m~n":{"x/y":true}}`, 0},
		{"the root replaced by a scalar", `[{"op":"replace","path":"","value":null}]`, `null`, 0},
		{"the root tested", `[{"op":"test","path":"","value":{"m~n":{"x/y":true},"b":{"c":[1,2,3]},"a":1}}]`, doc, 0},
		{"the root copied into a member", `[{"op":"copy","from":"","path":"/self"}]`,
			`{"a":1,"b":{"c":[1,2,3]},"m~n":{"x/y":true},"self":{"a":1,"b":{"c":[1,2,3]},"m~n":{"x/y":true}}}`, 0},
		{"the root removed: 409", `[{"op":"remove","path":""}]`, "", http.StatusConflict},
		{"removed then added back", `[{"op":"remove","path":""},{"op":"add","path":"","value":7}]`, `7`, 0},
		{"a member named \"\": 422", `[{"op":"test","path":"/","value":1}]`, "", http.StatusUnprocessableEntity},
		{"an empty token inside: 422", `[{"op":"copy","from":"/b//c","path":"/x"}]`, "", http.StatusUnprocessableEntity},
		{"test without a value: 400", `[{"op":"test","path":"/a"}]`, "", http.StatusBadRequest},
		{"member names are case-sensitive: 400", `[{"op":"remove","PATH":"/a"}]`, "", http.StatusBadRequest},
		{"malformed before failing: 400", `[{"op":"remove","path":"/nope"},{"op":"frob","path":"/a"}]`, "", http.StatusBadRequest},
		{"unknown op: 400", `[{"op":"frob","path":"/a"}]`, "", http.StatusBadRequest},
		{"missing value: 400", `[{"op":"add","path":"/a"}]`, "", http.StatusBadRequest},
		{"missing path: 400", `[{"op":"remove"}]`, "", http.StatusBadRequest},
		{"missing from: 400", `[{"op":"move","path":"/a"}]`, "", http.StatusBadRequest},
		{"bad pointer: 400", `[{"op":"remove","path":"a"}]`, "", http.StatusBadRequest},
		{"move into itself: 400", `[{"op":"move","from":"/b","path":"/b/x"}]`, "", http.StatusBadRequest},
		{"not an array: 400", `{"op":"add"}`, "", http.StatusBadRequest},
		{"all or nothing", `[{"op":"remove","path":"/a"},{"op":"test","path":"/a","value":1}]`, "", http.StatusConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, perr := applyPatch(JSONPatch, []byte(doc), []byte(tc.patch))
			if tc.status != 0 {
				require.NotNil(t, perr)
				assert.Equal(t, tc.status, perr.status, perr.detail)
				return
			}
			require.Nil(t, perr)
			assert.JSONEq(t, tc.want, string(got))
		})
	}
	_, perr := applyPatch(MergePatch, []byte(doc), []byte(`{`))
	require.NotNil(t, perr)
	assert.Equal(t, http.StatusBadRequest, perr.status)
	_, perr = applyPatch(JSONPatch, []byte(`not json`), []byte(`[]`))
	require.NotNil(t, perr)
	assert.Equal(t, http.StatusUnprocessableEntity, perr.status)

	out, perr := applyPatch(JSONPatch, []byte(`"s"`), []byte(`[{"op":"test","path":"","value":"s"},{"op":"replace","path":"","value":2}]`))
	require.Nil(t, perr)
	assert.Equal(t, `2`, string(out), "a document that is not an object or array")

	bomb := `[{"op":"add","path":"/x","value":"` + strings.Repeat("x", 1<<10) + `"}`
	for range 13 {
		bomb += `,{"op":"copy","from":"/x","path":"/y"},{"op":"copy","from":"","path":"/x"},{"op":"remove","path":"/y"}`
	}
	_, perr = applyPatch(JSONPatch, []byte(`{}`), []byte(bomb+"]"))
	require.NotNil(t, perr, "copies of copies stop at maxCopyGrowth")
	assert.Equal(t, http.StatusConflict, perr.status)
}

func TestDataPatchFormats(t *testing.T) {
	s := NewServer(t)
	d := Data(`{"n":1}`)
	d.AcceptPatch = []string{MergePatch, JSONPatch}
	s.Handle("/d", d)
	c := noRedirects()
	resp, _ := do(t, c, "PATCH", s.URL+"/d", strings.NewReader(`[{"op":"replace","path":"/n","value":12345678901234567890}]`), "Content-Type", JSONPatch)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	stored, _ := s.Resource("/d")
	assert.JSONEq(t, `{"n":12345678901234567890}`, string(stored.Body), "numbers stay exact")
	resp, _ = do(t, c, "PATCH", s.URL+"/d", strings.NewReader(`[{"op":"test","path":"/n","value":0}]`), "Content-Type", JSONPatch)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	resp, _ = do(t, c, "PATCH", s.URL+"/d", strings.NewReader(`<x/>`), "Content-Type", "application/xml-patch+xml")
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	assert.Equal(t, "application/merge-patch+json, application/json-patch+json", resp.Header.Get("Accept-Patch"))
}

func TestRequirePrecondition(t *testing.T) {
	s := NewServer(t)
	d := Data(`{"n":1}`)
	d.RequirePrecondition = true
	s.Handle("/d", d)
	c := noRedirects()
	for _, m := range []string{"PUT", "PATCH", "DELETE"} {
		resp, _ := do(t, c, m, s.URL+"/d", strings.NewReader(`{"n":2}`), "Content-Type", MergePatch)
		assert.Equal(t, http.StatusPreconditionRequired, resp.StatusCode, m)
	}
	stored, _ := s.Resource("/d")
	resp, _ := do(t, c, "PUT", s.URL+"/d", strings.NewReader(`{"n":2}`), "If-Match", stored.ETag)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
}

func TestIdempotentForm(t *testing.T) {
	s := NewServer(t)
	form := Form(`{"item":""}`)
	form.IdempotencyKey = "optional"
	form.Processing = 1
	s.Handle("/f", form)
	c := noRedirects()
	post := func(key, body string) (*http.Response, []byte) {
		return do(t, c, "POST", s.URL+"/f", strings.NewReader(body), "Content-Type", "application/json", "Idempotency-Key", key)
	}
	first, _ := post(`"k1"`, `{"item":"a"}`)
	require.Equal(t, http.StatusCreated, first.StatusCode)
	loc := first.Header.Get("Location")

	busy, body := post(`"k1"`, `{"item":"a"}`)
	assert.Equal(t, http.StatusConflict, busy.StatusCode, "still processing for Processing more requests")
	var p map[string]any
	require.NoError(t, json.Unmarshal(body, &p))
	assert.Equal(t, IdempotencyProblemType, p["type"])

	replay, _ := post(`"k1"`, `{"item":"a"}`)
	assert.Equal(t, http.StatusCreated, replay.StatusCode)
	assert.Equal(t, loc, replay.Header.Get("Location"), "the first answer replayed")

	mismatch, body := post(`"k1"`, `{"item":"b"}`)
	assert.Equal(t, http.StatusUnprocessableEntity, mismatch.StatusCode)
	require.NoError(t, json.Unmarshal(body, &p))
	assert.Equal(t, "Idempotency-Key is already used", p["title"])

	other, _ := post(`"k2"`, `{"item":"b"}`)
	assert.Equal(t, http.StatusCreated, other.StatusCode)
	assert.NotEqual(t, loc, other.Header.Get("Location"))
	n, ok := s.Submissions("/f", `"k1"`)
	assert.True(t, ok)
	assert.Equal(t, 4, n)
	_, ok = s.Submissions("/f", `"nope"`)
	assert.False(t, ok)

	// Without a key the form creates every time.
	r1, _ := do(t, c, "POST", s.URL+"/f", strings.NewReader(`{}`), "Content-Type", "application/json")
	r2, _ := do(t, c, "POST", s.URL+"/f", strings.NewReader(`{}`), "Content-Type", "application/json")
	assert.NotEqual(t, r1.Header.Get("Location"), r2.Header.Get("Location"))
}

func TestDropResponse(t *testing.T) {
	s := NewServer(t)
	form := Form(`{}`)
	s.Handle("/f", form)
	s.Fail("/f", DropResponse())
	req, _ := http.NewRequest("POST", s.URL+"/f", strings.NewReader(`{"a":1}`))
	req.Header.Set("Content-Type", "application/json")
	_, err := noRedirects().Do(req)
	require.Error(t, err, "the answer never arrives")
	assert.Contains(t, s.Paths(), "/f/1", "but the server acted")
}

func TestRepresentationAnswers(t *testing.T) {
	s := NewServer(t)
	s.AddCatalog()
	s.Handle("/d", Data(`{"a":1}`).With(profiles.Representation))
	s.Handle("/ship", Action(PathOrder1).With(profiles.Representation))
	s.Handle("/find", Lookup(`{}`, PathOrder2).With(profiles.Representation))
	s.Handle("/seed", Action("").With(profiles.Representation))
	c := noRedirects()
	rep := "return=representation"

	resp, body := do(t, c, "PUT", s.URL+"/d", strings.NewReader(`{"a":2}`), "Prefer", rep)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"a":2}`, string(body))
	assert.Equal(t, "/d", resp.Header.Get("Content-Location"))
	assert.Equal(t, rep, resp.Header.Get("Preference-Applied"))
	assert.NotEmpty(t, resp.Header.Get("ETag"))

	resp, _ = do(t, c, "PUT", s.URL+"/d", strings.NewReader(`{"a":3}`), "Prefer", "return=minimal")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)

	resp, body = do(t, c, "POST", s.URL+"/ship", nil, "Prefer", `handling=lenient, return="representation"`)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"id":1,"state":"open"}`, string(body))
	assert.Equal(t, PathOrder1, resp.Header.Get("Content-Location"))
	assert.Empty(t, resp.Header.Get("Location"))

	resp, body = do(t, c, "POST", s.URL+"/find", strings.NewReader(`{}`), "Prefer", rep, "Content-Type", "application/json")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"id":2,"state":"open"}`, string(body))

	resp, _ = do(t, c, "POST", s.URL+"/seed", nil, "Prefer", rep)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode, "a seed action has nothing to represent")

	resp, _ = do(t, c, "POST", s.URL+PathShip, nil, "Prefer", rep)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "without the mixin the preference is ignored")
}

func TestActionEffect(t *testing.T) {
	s := NewServer(t)
	s.AddCatalog()
	ship := Action(PathOrder1)
	ship.Effect = func(s *Server) { s.SetBody(PathOrder1, []byte(`{"id":1,"state":"shipped"}`)) }
	s.Handle(PathShip, ship)
	resp, _ := do(t, noRedirects(), "POST", s.URL+PathShip, nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	stored, _ := s.Resource(PathOrder1)
	assert.JSONEq(t, `{"id":1,"state":"shipped"}`, string(stored.Body))
}

func TestAddPagedList(t *testing.T) {
	s := NewServer(t, Strict(t))
	urls := s.AddPagedList("/l", 7, 3)
	assert.Equal(t, []string{s.URL + "/l", s.URL + "/l/page/2", s.URL + "/l/page/3"}, urls)
	c := noRedirects()
	resp, _ := do(t, c, "HEAD", urls[0], nil)
	links := resp.Header.Values("Link")
	require.Len(t, links, 4)
	assert.Contains(t, links[0], `</l/1>; rel="https://level3.rest/patterns/list#list-entry"`)
	assert.Contains(t, links[3], `rel="https://level3.rest/patterns/page#next next"`)
	resp, _ = do(t, c, "HEAD", urls[1], nil)
	assert.Contains(t, resp.Header.Values("Link")[3], `</l/page/3>; rel="next"`)
	assert.Contains(t, resp.Header.Values("Link")[4], `page#previous prev`)
	resp, _ = do(t, c, "HEAD", urls[2], nil)
	require.Len(t, resp.Header.Values("Link"), 2, "entry 7 and previous; no next on the last page")
	_, body := do(t, c, "GET", s.URL+"/l/7", nil)
	assert.JSONEq(t, `{"id":7,"name":"Item 7"}`, string(body))

	assert.Len(t, s.AddPagedList("/empty", 0, 0), 1, "one empty page")
}
