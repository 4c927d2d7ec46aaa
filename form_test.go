package level3

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

// posts returns the requests of the given method the server saw for path.
func posts(srv *mocks.Server, path string) []mocks.Request {
	var out []mocks.Request
	for _, r := range srv.Requests() {
		if r.Path == path && r.Method == http.MethodPost {
			out = append(out, r)
		}
	}
	return out
}

var uuidKey = regexp.MustCompile(`^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$`)

func TestSubmitForm(t *testing.T) {
	forEachProto(t, func(t *testing.T, srv *mocks.Server) {
		c := newTestClient(t, srv)
		ctx := context.Background()

		res, err := c.Submit(ctx, srv.URL+mocks.PathOrderForm, map[string]any{"item": "book"}, nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusCreated, res.Status)
		require.NotNil(t, res.Location)
		created, ok := srv.Resource(res.Location.Path)
		require.True(t, ok)
		assert.JSONEq(t, `{"item":"book","quantity":1}`, string(created.Body), "filled over the template")
		assert.Equal(t, created.ETag, res.Validators.ETag)

		sent := posts(srv, mocks.PathOrderForm)
		require.Len(t, sent, 1)
		assert.Regexp(t, uuidKey, sent[0].Header.Get("Idempotency-Key"), "a quoted UUID, as the form says optional")
		assert.Equal(t, "application/json", sent[0].Header.Get("Content-Type"))
		assert.Equal(t, 1, srv.Count(mocks.PathOrderForm)-1, "one GET of the form, one POST")

		_, err = c.Submit(ctx, srv.URL+mocks.PathOrderForm, map[string]any{"item": "pen"}, nil)
		require.NoError(t, err)
		sent = posts(srv, mocks.PathOrderForm)
		require.Len(t, sent, 2)
		assert.NotEqual(t, sent[0].Header.Get("Idempotency-Key"), sent[1].Header.Get("Idempotency-Key"), "a new key per submission")
	})
}

func TestSubmitWithoutKeys(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.Handle("/f", mocks.Form(`{"name":""}`))
	c := newTestClient(t, srv)
	_, err := c.Submit(context.Background(), srv.URL+"/f", map[string]string{"name": "x"}, nil)
	require.NoError(t, err)
	assert.Empty(t, posts(srv, "/f")[0].Header.Get("Idempotency-Key"), "the form asks for no key")

	required := mocks.Form(`{"name":""}`)
	required.IdempotencyKey = "required"
	srv.Handle("/r", required)
	_, err = c.Submit(context.Background(), srv.URL+"/r", map[string]string{"name": "x"}, nil)
	require.NoError(t, err)
	assert.Regexp(t, uuidKey, posts(srv, "/r")[0].Header.Get("Idempotency-Key"))
}

func TestSubmitRepresentation(t *testing.T) {
	srv := mocks.NewServer(t)
	form := mocks.Form(`{"item":"","quantity":1}`).With(profiles.Representation)
	form.IdempotencyKey = "optional"
	srv.Handle("/f", form)
	c := newTestClient(t, srv)
	res, err := c.Submit(context.Background(), srv.URL+"/f", map[string]any{"item": "cup"}, &RequestOptions{Return: "representation"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.Status)
	require.NotNil(t, res.Location, "content-location stands in for location")
	created, ok := srv.Resource(res.Location.Path)
	require.True(t, ok)
	assert.JSONEq(t, string(created.Body), string(res.Body))
	var v map[string]any
	require.NoError(t, res.Decode(&v))
	assert.Equal(t, "cup", v["item"])
	assert.Equal(t, created.ETag, res.Validators.ETag)
	assert.Equal(t, "return=representation", res.Header.Get("Preference-Applied"))

	res, err = c.Submit(context.Background(), srv.URL+"/f", map[string]any{"item": "mug"}, &RequestOptions{Return: "minimal"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, res.Status)
	assert.Empty(t, res.Body)
	assert.Error(t, res.Decode(&v))
}

func TestFormFill(t *testing.T) {
	f := &Form{Resource: &Resource{ContentType: "application/json; charset=utf-8"}, Template: []byte(`{"item":"","quantity":1,"gift":{"wrap":false}}`)}
	got, err := f.Fill(map[string]any{"item": "book", "gift": map[string]any{"wrap": true}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"item":"book","quantity":1,"gift":{"wrap":true}}`, string(got))
	got, err = f.Fill([]byte(`{"quantity":null}`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"item":"","gift":{"wrap":false}}`, string(got))

	schema := &Form{Resource: &Resource{ContentType: "application/schema+json"}, Template: []byte(`{"type":"object"}`)}
	got, err = schema.Fill(map[string]any{"item": "book"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"item":"book"}`, string(got), "a schema is not a template")

	got, err = f.Fill([]int{1, 2})
	require.NoError(t, err)
	assert.JSONEq(t, `[1,2]`, string(got), "not an object: values alone")
	_, err = f.Fill([]byte(`{`))
	assert.Error(t, err)
}

func TestSubmitEdges(t *testing.T) {
	srv := mocks.NewServer(t)
	form := mocks.Form(`{}`)
	form.IdempotencyKey = "optional"
	form.Processing = 5
	srv.Handle("/f", form)
	c := newTestClient(t, srv, WithBusyWait(Schedule{Attempts: -1}))
	ctx := context.Background()

	_, err := c.Submit(ctx, srv.URL+"/missing", map[string]any{}, nil)
	var nf *NotFoundError
	require.ErrorAs(t, err, &nf, "fetching the form fails")

	_, err = c.Submit(ctx, srv.URL+"/f", func() {}, nil)
	assert.Error(t, err, "values that do not marshal")

	srv.Fail("/f", mocks.DropResponse().OnlyFor(http.MethodPost))
	_, err = c.Submit(ctx, srv.URL+"/f", map[string]any{"a": 1}, nil)
	var conflict *ConflictError
	require.ErrorAs(t, err, &conflict, "a negative Attempts gives up at the first 409")
	assert.ErrorContains(t, err, "still being processed after 1 submissions")

	f, err := c.FetchForm(ctx, srv.URL+"/f")
	require.NoError(t, err)
	_, err = c.SubmitForm(ctx, f, json.RawMessage(`{"a":`), nil)
	assert.ErrorContains(t, err, "not valid JSON")
	_, err = c.SubmitForm(ctx, f, map[string]int{"a": 1}, &RequestOptions{IdempotencyKey: "caf\u00e9"})
	assert.ErrorContains(t, err, "RequestOptions.IdempotencyKey")
}

// TestSubmitFormBuiltByHand: a Form the caller built from a response it got
// itself is submitted as a call to the form's URL, with credentials there.
func TestSubmitFormBuiltByHand(t *testing.T) {
	a, b := hostilePair(t)
	a.mux.Handle("POST /own-form", level3(http.StatusCreated, "Location", a.URL+"/created"))
	c := scopedClient(t)
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: httptest.NewRequest(http.MethodGet, a.URL+"/own-form", nil)}
	_, err := c.SubmitForm(context.Background(), &Form{Resource: ResourceFromResponse(resp)}, map[string]string{"k": "v"}, nil)
	require.NoError(t, err)
	assert.NotZero(t, a.credentialBytes())
	assert.Zero(t, b.requests())
}
