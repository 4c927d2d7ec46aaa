package prefer

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		want    List
		wantErr bool
	}{
		{in: nil, want: nil},
		{in: []string{"respond-async"}, want: List{{Name: "respond-async"}}},
		{in: []string{"respond-async, wait=10"}, want: List{{Name: "respond-async"}, {Name: "wait", Value: "10"}}},
		{in: []string{"respond-async", "wait = 10"}, want: List{{Name: "respond-async"}, {Name: "wait", Value: "10"}}},
		{in: []string{`return=representation`}, want: List{{Name: "return", Value: "representation"}}},
		{in: []string{`foo="a, b; c=\"d\""`}, want: List{{Name: "foo", Value: `a, b; c="d"`}}},
		{in: []string{`foo; bar=1;; baz="x y"`}, want: List{{Name: "foo", Params: []Param{{"bar", "1"}, {"baz", "x y"}}}}},
		{in: []string{`foo=""`}, want: List{{Name: "foo"}}},
		{in: []string{" , respond-async ,, "}, want: List{{Name: "respond-async"}}},
		{in: []string{"wait=1, WAIT=2, Respond-Async"}, want: List{{Name: "wait", Value: "1"}, {Name: "Respond-Async"}}},
		{in: []string{"respond-async, wa it=1"}, want: List{{Name: "respond-async"}}, wantErr: true},
		{in: []string{`a="unterminated, b`}, want: nil, wantErr: true},
		{in: []string{`a="x"y, b`}, want: List{{Name: "b"}}, wantErr: true},
		{in: []string{`a=b c`}, wantErr: true},
		{in: []string{`=1`}, wantErr: true},
		{in: []string{"a; p=\"\x01\""}, wantErr: true},
	} {
		got, err := Parse(tc.in...)
		assert.Equal(t, tc.want, got, "%q", tc.in)
		if tc.wantErr {
			assert.ErrorIs(t, err, ErrMalformed, "%q", tc.in)
		} else {
			assert.NoError(t, err, "%q", tc.in)
		}
	}
}

func TestListFormatAndWith(t *testing.T) {
	ps := List{{Name: "return", Value: "minimal"}, {Name: "foo", Value: `a "b"`, Params: []Param{{"p", ""}, {"q", "1"}}}}
	assert.Equal(t, `return=minimal, foo="a \"b\""; p; q=1`, ps.String())
	back, err := Parse(ps.String())
	require.NoError(t, err)
	assert.Equal(t, ps, back)

	merged := ps.With(RespondAsync(), Preference{Name: "RETURN", Value: "representation"})
	assert.Equal(t, `RETURN=representation, foo="a \"b\""; p; q=1, respond-async`, merged.String())
	assert.Equal(t, "return=minimal", ps[0].String(), "With does not modify its receiver")
	assert.True(t, merged.Has("return"))
	p, ok := merged.Get("Respond-Async")
	assert.True(t, ok)
	assert.Equal(t, "respond-async", p.Name)
}

func TestWait(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "wait=0", -time.Second: "wait=0", time.Millisecond: "wait=1", time.Second: "wait=1",
		1500 * time.Millisecond: "wait=2", time.Minute: "wait=60",
	} {
		assert.Equal(t, want, Wait(d).String(), "%v", d)
	}
}

func TestMerge(t *testing.T) {
	h := http.Header{"Prefer": {"return=representation", "wait=100"}}
	require.NoError(t, Merge(h, RespondAsync(), Wait(5*time.Second)))
	assert.Equal(t, []string{"return=representation, wait=5, respond-async"}, h.Values("Prefer"))

	h = http.Header{}
	require.NoError(t, Merge(h, RespondAsync()))
	assert.Equal(t, "respond-async", h.Get("Prefer"))

	bad := http.Header{"Prefer": {`return="oops`}}
	err := Merge(bad, RespondAsync())
	assert.ErrorIs(t, err, ErrMalformed)
	assert.Equal(t, []string{`return="oops`}, bad.Values("Prefer"), "left unchanged: nothing the caller sent is lost")

	assert.Error(t, Merge(http.Header{}, Preference{Name: "bad name"}))
	assert.Error(t, Merge(http.Header{}, Preference{Name: "x", Value: "line\nbreak"}))
	assert.Error(t, Merge(http.Header{}, Preference{Name: "x", Params: []Param{{"p q", ""}}}))
}
