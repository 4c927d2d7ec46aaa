package level3

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// misuseCall is the outcome of calling one exported method by reflection:
// whether it panicked, and the error it returned or yielded, if any.
type misuseCall struct {
	panicked any
	err      error
	hasErr   bool // the method returns or yields an error
}

var (
	ctxType   = reflect.TypeFor[context.Context]()
	errorType = reflect.TypeFor[error]()
)

// callMethod calls m with ctx for every context parameter, url for every
// string, and zero values for the rest, then ranges over any iterator it
// returns until the first error.
func callMethod(m reflect.Value, ctx context.Context, url string) (out misuseCall) {
	t := m.Type()
	var args []reflect.Value
	n := t.NumIn()
	if t.IsVariadic() {
		n--
	}
	for i := range n {
		switch p := t.In(i); {
		case p == ctxType:
			if ctx == nil {
				args = append(args, reflect.Zero(p))
			} else {
				args = append(args, reflect.ValueOf(ctx))
			}
		case p.Kind() == reflect.String:
			args = append(args, reflect.ValueOf(url).Convert(p))
		default:
			args = append(args, reflect.Zero(p))
		}
	}
	defer func() { out.panicked = recover() }()
	for _, r := range m.Call(args) {
		switch {
		case r.Type() == errorType:
			out.hasErr = true
			if !r.IsNil() {
				out.err = r.Interface().(error)
			}
		case r.Kind() == reflect.Func && r.Type().NumIn() == 1 && r.Type().In(0).NumIn() == 2 && r.Type().In(0).In(1) == errorType:
			// An iter.Seq2[T, error]: keep the first error it yields.
			out.hasErr = true
			yield := reflect.MakeFunc(r.Type().In(0), func(a []reflect.Value) []reflect.Value {
				if !a[1].IsNil() {
					out.err = a[1].Interface().(error)
					return []reflect.Value{reflect.ValueOf(false)}
				}
				return []reflect.Value{reflect.ValueOf(true)}
			})
			r.Call([]reflect.Value{yield})
		}
	}
	return out
}

// promoted reports whether the method name of rv's type comes from one of its
// embedded fields and rv is a nil pointer or holds a nil embedded pointer.
func promoted(rv reflect.Value, name string) bool {
	t := rv.Type()
	if t.Kind() != reflect.Pointer {
		return false
	}
	for i := range t.Elem().NumField() {
		f := t.Elem().Field(i)
		if !f.Anonymous {
			continue
		}
		if _, ok := reflect.PointerTo(f.Type).MethodByName(name); !ok {
			if _, ok := f.Type.MethodByName(name); !ok {
				continue
			}
		}
		if rv.IsNil() || (f.Type.Kind() == reflect.Pointer && rv.Elem().Field(i).IsNil()) {
			return true
		}
	}
	return false
}

// TestMisuseNeverPanics holds the rule of misuse.go on every exported method
// of the package's types: a nil or zero receiver, and a working Client given
// a nil Context, never panic; every method that can fail returns (or yields)
// an error wrapping ErrInvalidUse; and nothing reaches the server.
func TestMisuseNeverPanics(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c, err := New(WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	defer srv.Client().CloseIdleConnections()
	url := srv.URL + "/x"

	for _, tc := range []struct {
		name string
		recv any
		ctx  context.Context
		// mustFail: every method that returns an error must return one
		// wrapping ErrInvalidUse (read-only accessors must merely not panic).
		mustFail bool
	}{
		{"nil *Client", (*Client)(nil), context.Background(), true},
		{"zero Client", &Client{}, context.Background(), true},
		{"Client with nil Context", c, nil, false},
		{"nil *Resource", (*Resource)(nil), context.Background(), true},
		{"zero Resource", &Resource{}, context.Background(), true},
		{"nil *Poller", (*Poller)(nil), context.Background(), true},
		{"zero Poller", &Poller{}, context.Background(), true},
		{"nil *Form", (*Form)(nil), context.Background(), true},
		{"zero Form", &Form{}, context.Background(), true},
		{"nil *Result", (*Result)(nil), context.Background(), true},
		{"nil *MemoryCache", (*MemoryCache)(nil), context.Background(), false},
		{"zero MemoryCache", &MemoryCache{}, context.Background(), false},
	} {
		rv := reflect.ValueOf(tc.recv)
		for i := range rv.NumMethod() {
			name := rv.Type().Method(i).Name
			if promoted(rv, name) {
				// Methods promoted from an embedded field (a Form's
				// *Resource, a Resource's Validators) dereference a nil
				// receiver in Go's own wrapper, before any code of ours
				// runs, as a field access would; their own types' cases
				// cover them.
				continue
			}
			m := rv.Method(i)
			got := callMethod(m, tc.ctx, url)
			if !assert.Nil(t, got.panicked, "%s.%s panicked", tc.name, name) {
				continue
			}
			takesCtx := m.Type().NumIn() > 0 && m.Type().In(0) == ctxType
			if got.hasErr && (tc.mustFail || (tc.ctx == nil && takesCtx)) {
				assert.ErrorIs(t, got.err, ErrInvalidUse, "%s.%s", tc.name, name)
			}
		}
	}
	assert.Zero(t, hits.Load(), "a misused call reached the server")
}

// TestMisuseOfFunctions holds the same rule on the package's functions and on
// the methods given a nil required argument.
func TestMisuseOfFunctions(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	var nilCtx context.Context
	const url = "http://127.0.0.1:1/x"
	calls := map[string]func() error{
		"CheckResponse(nil)":    func() error { return CheckResponse(nil) },
		"NewRequest(nil ctx)":   func() error { _, err := NewRequest(nilCtx, "GET", url, nil); return err },
		"NewUploadRequest(nil)": func() error { _, _, err := NewUploadRequest(nilCtx, "PUT", url, "f", nil); return err },
		"Update(nil ctx)": func() error {
			_, err := Update[map[string]any](nilCtx, c, url, func(*map[string]any) error { return nil }, nil)
			return err
		},
		"Update(nil client)":     func() error { _, err := Update[map[string]any](context.Background(), nil, url, nil, nil); return err },
		"Update(nil modify)":     func() error { _, err := Update[map[string]any](context.Background(), c, url, nil, nil); return err },
		"DefaultCheckRetry(nil)": func() error { _, err := DefaultCheckRetry(nilCtx, nil, nil); return err },
		"Do(nil)":                func() error { _, err := c.Do(nil); return err },
		"DoAsync(nil)":           func() error { _, err := c.DoAsync(nil, nil); return err },
		"SubmitForm(nil form)":   func() error { _, err := c.SubmitForm(context.Background(), nil, nil, nil); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { err = call() })
			assert.ErrorIs(t, err, ErrInvalidUse)
		})
	}
	assert.NotPanics(t, func() {
		assert.Nil(t, ResourceFromResponse(nil))
		assert.False(t, FromCache(nil))
		assert.True(t, ValidatorsOf(nil).IsZero())
		_, _ = ParseLinks(nil, nil)
	})
}

// TestMisuseErrorNamesTheCall checks what a user reads.
func TestMisuseErrorNamesTheCall(t *testing.T) {
	var c *Client
	_, err := c.Get(context.Background(), "http://127.0.0.1:1/", nil)
	require.Error(t, err)
	assert.Equal(t, "level3: Client.Get: nil *Client (make one with New)", err.Error())
	assert.True(t, errors.Is(err, ErrInvalidUse))
}
