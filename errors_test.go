package level3

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// response builds a response to a request for rawURL with the given status,
// content type and body.
func response(method, rawURL string, status int, contentType string, body io.Reader) *http.Response {
	u, _ := url.Parse(rawURL)
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return &http.Response{
		StatusCode: status,
		Status:     http.StatusText(status),
		Header:     h,
		Body:       io.NopCloser(body),
		Request:    &http.Request{Method: method, URL: u},
	}
}

func TestCheckResponseTypes(t *testing.T) {
	cases := []struct {
		status int
		target any
	}{
		{400, new(*BadRequestError)},
		{401, new(*UnauthorizedError)},
		{403, new(*ForbiddenError)},
		{404, new(*NotFoundError)},
		{409, new(*ConflictError)},
		{410, new(*GoneError)},
		{411, new(*LengthRequiredError)},
		{412, new(*PreconditionFailedError)},
		{413, new(*PayloadTooLargeError)},
		{415, new(*UnsupportedMediaTypeError)},
		{416, new(*RangeNotSatisfiableError)},
		{417, new(*ExpectationFailedError)},
		{422, new(*UnprocessableEntityError)},
		{428, new(*PreconditionRequiredError)},
		{429, new(*TooManyRequestsError)},
		{500, new(*ServerError)},
		{502, new(*ServerError)},
		{503, new(*ServerError)},
		{599, new(*ServerError)},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			err := CheckResponse(response("POST", "https://api.example/orders", tc.status, "", strings.NewReader("")))
			require.Error(t, err)
			assert.True(t, errors.As(err, tc.target), "errors.As(%T) for %d", tc.target, tc.status)
			var base *ResponseError
			require.True(t, errors.As(err, &base), "every typed error unwraps to *ResponseError")
			assert.Equal(t, tc.status, base.StatusCode)
			assert.Equal(t, "POST", base.Method)
			assert.Equal(t, "https://api.example/orders", base.URL)
		})
	}
	// Statuses without a type of their own are the plain base type.
	err := CheckResponse(response("GET", "https://api.example/", 405, "", strings.NewReader("")))
	var base *ResponseError
	require.ErrorAs(t, err, &base)
	assert.Equal(t, 405, base.StatusCode)
	var conflict *ConflictError
	assert.False(t, errors.As(err, &conflict))

	for _, ok := range []int{200, 201, 204, 206, 301, 303, 304, 307, 308, 399} {
		assert.NoError(t, CheckResponse(response("GET", "https://api.example/", ok, "", strings.NewReader(""))), ok)
	}
}

func TestCheckResponseProblemDetails(t *testing.T) {
	body := `{"type":"https://example.com/probs/out-of-stock","title":"Out of stock","status":409,
		"detail":"Item 12 is out of stock","instance":"/orders/12","balance":30,"accounts":["/a/1"]}`
	err := CheckResponse(response("PUT", "https://api.example/orders/12", 409, "application/problem+json; charset=utf-8", strings.NewReader(body)))
	var conflict *ConflictError
	require.ErrorAs(t, err, &conflict)
	p := conflict.Problem
	require.NotNil(t, p)
	assert.Equal(t, "https://example.com/probs/out-of-stock", p.Type)
	assert.Equal(t, "Out of stock", p.Title)
	assert.Equal(t, 409, p.Status)
	assert.Equal(t, "Item 12 is out of stock", p.Detail)
	assert.Equal(t, "/orders/12", p.Instance)
	var balance int
	assert.True(t, p.Extension("balance", &balance))
	assert.Equal(t, 30, balance)
	var accounts []string
	assert.True(t, p.Extension("accounts", &accounts))
	assert.Equal(t, []string{"/a/1"}, accounts)
	assert.False(t, p.Extension("missing", &balance))
	assert.Equal(t, "level3: PUT https://api.example/orders/12: 409 Conflict: Out of stock (Item 12 is out of stock)", err.Error())
}

// A problem title that repeats the status's reason phrase is said once.
func TestResponseErrorSaysTheStatusOnce(t *testing.T) {
	problem := func(title, detail string) string {
		return `{"title":"` + title + `","status":412,"detail":"` + detail + `"}`
	}
	const prefix = "level3: PUT https://api.example/orders/1: "
	for name, tc := range map[string]struct {
		status string // "" for the standard one
		body   string
		want   string
	}{
		"title repeats the status": {"", problem("Precondition Failed", `If-Match \"a\" is stale`), `412 Precondition Failed (If-Match "a" is stale)`},
		"in another case":          {"", problem(" precondition failed", "stale"), "412 Precondition Failed (stale)"},
		"without detail":           {"", problem("Precondition Failed", ""), "412 Precondition Failed"},
		"a title of its own":       {"", problem("Stale version", "reload"), "412 Precondition Failed: Stale version (reload)"},
		"another reason phrase":    {"412 Stale", problem("Precondition Failed", "reload"), "412 Stale: Precondition Failed (reload)"},
		"no reason phrase":         {"412", problem("Precondition Failed", "reload"), "412 (reload)"},
	} {
		resp := response("PUT", "https://api.example/orders/1", 412, "application/problem+json", strings.NewReader(tc.body))
		if tc.status != "" {
			resp.Status = tc.status
		}
		err := CheckResponse(resp)
		var pf *PreconditionFailedError
		require.ErrorAs(t, err, &pf, name)
		assert.Equal(t, prefix+tc.want, err.Error(), name)
	}
}

func TestDecodeProblemIsLenient(t *testing.T) {
	cases := map[string]struct {
		body string
		want *Problem
	}{
		"not json":          {`<html>oops</html>`, nil},
		"array":             {`[1,2]`, nil},
		"truncated":         {`{"title":"Out of`, nil},
		"empty":             {``, nil},
		"defaults type":     {`{"title":"T"}`, &Problem{Type: "about:blank", Title: "T"}},
		"wrong member type": {`{"title":42,"status":"409","detail":"d"}`, &Problem{Type: "about:blank", Detail: "d"}},
		"status range":      {`{"status":99999}`, &Problem{Type: "about:blank"}},
		"fraction status":   {`{"status":409.5}`, &Problem{Type: "about:blank"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tc.want, decodeProblem([]byte(tc.body)))
		})
	}
}

func TestProblemWithoutProblemMediaType(t *testing.T) {
	// Servers often send problem members as plain application/json.
	err := CheckResponse(response("GET", "http://h/x", 422, "application/json", strings.NewReader(`{"title":"Bad quantity"}`)))
	var unproc *UnprocessableEntityError
	require.ErrorAs(t, err, &unproc)
	require.NotNil(t, unproc.Problem)
	assert.Equal(t, "Bad quantity", unproc.Problem.Title)

	// A lying content type does not produce a problem.
	err = CheckResponse(response("GET", "http://h/x", 500, "application/problem+json", strings.NewReader(`<h1>Internal</h1>`)))
	var se *ServerError
	require.ErrorAs(t, err, &se)
	assert.Nil(t, se.Problem)
	assert.Equal(t, []byte(`<h1>Internal</h1>`), se.Body)
}

// countingReader serves n bytes of 'x' and counts how many were read.
type countingReader struct{ left, read int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	if c.left == 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > c.left {
		n = c.left
	}
	for i := range p[:n] {
		p[i] = 'x'
	}
	c.left -= n
	c.read += n
	return int(n), nil
}

func TestErrorBodyIsBounded(t *testing.T) {
	huge := &countingReader{left: 1 << 30}
	err := CheckResponse(response("GET", "http://h/x", 500, "text/plain", huge))
	var se *ServerError
	require.ErrorAs(t, err, &se)
	assert.Len(t, se.Body, maxErrorBody)
	assert.LessOrEqual(t, huge.read, int64(maxErrorBody+maxDrain), "never reads an unbounded body")
	assert.Less(t, len(se.Error()), 400, "the message quotes only a snippet")
}

// failingReader returns some bytes, then an error, like a connection cut
// mid-body.
type failingReader struct{ data string }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestTruncatedErrorBody(t *testing.T) {
	err := CheckResponse(response("GET", "http://h/x", 503, "text/plain", &failingReader{data: "partial"}))
	var se *ServerError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "partial", string(se.Body))
	assert.Contains(t, err.Error(), "503")
}

func TestErrorRedactsSecrets(t *testing.T) {
	err := CheckResponse(response("GET", "https://joe:hunter2@api.example/x?access_token=abc&page=2&api_key=k", 401, "", strings.NewReader("")))
	msg := err.Error()
	assert.NotContains(t, msg, "hunter2")
	assert.NotContains(t, msg, "abc")
	assert.NotContains(t, msg, "=k")
	assert.Contains(t, msg, "page=2")
	assert.Contains(t, msg, "joe:xxxxx@")
}

func TestErrorRetryAfter(t *testing.T) {
	resp := response("GET", "http://h/x", 429, "", strings.NewReader(""))
	resp.Header.Set("Retry-After", "7")
	var tm *TooManyRequestsError
	require.ErrorAs(t, CheckResponse(resp), &tm)
	assert.Equal(t, 7*time.Second, tm.RetryAfter)
}

func TestSnippet(t *testing.T) {
	assert.Equal(t, "a b", snippet([]byte("a\n\n b"), 10))
	assert.Equal(t, "abc…", snippet([]byte("abcdef"), 3))
	assert.Equal(t, "abcdef", snippet([]byte("abcdef"), 6))
	assert.Equal(t, "é…", snippet([]byte("éé"), 3), "never cuts a rune in half")
}
