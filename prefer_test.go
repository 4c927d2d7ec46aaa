package level3

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePreferences(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		want    Preferences
		wantErr bool
	}{
		{in: nil, want: nil},
		{in: []string{"respond-async"}, want: Preferences{{Name: "respond-async"}}},
		{in: []string{"respond-async, wait=10"}, want: Preferences{{Name: "respond-async"}, {Name: "wait", Value: "10"}}},
		{in: []string{"respond-async", "wait = 10"}, want: Preferences{{Name: "respond-async"}, {Name: "wait", Value: "10"}}},
		{in: []string{`return=representation`}, want: Preferences{{Name: "return", Value: "representation"}}},
		{in: []string{`foo="a, b; c=\"d\""`}, want: Preferences{{Name: "foo", Value: `a, b; c="d"`}}},
		{in: []string{`foo; bar=1;; baz="x y"`}, want: Preferences{{Name: "foo", Params: []PreferenceParam{{"bar", "1"}, {"baz", "x y"}}}}},
		{in: []string{`foo=""`}, want: Preferences{{Name: "foo"}}},
		{in: []string{" , respond-async ,, "}, want: Preferences{{Name: "respond-async"}}},
		{in: []string{"wait=1, WAIT=2, Respond-Async"}, want: Preferences{{Name: "wait", Value: "1"}, {Name: "Respond-Async"}}},
		{in: []string{"respond-async, wa it=1"}, want: Preferences{{Name: "respond-async"}}, wantErr: true},
		{in: []string{`a="unterminated, b`}, want: nil, wantErr: true},
		{in: []string{`a="x"y, b`}, want: Preferences{{Name: "b"}}, wantErr: true},
		{in: []string{`a=b c`}, wantErr: true},
		{in: []string{`=1`}, wantErr: true},
		{in: []string{"a; p=\"\x01\""}, wantErr: true},
	} {
		got, err := ParsePreferences(tc.in...)
		assert.Equal(t, tc.want, got, "%q", tc.in)
		if tc.wantErr {
			assert.ErrorIs(t, err, ErrMalformedPrefer, "%q", tc.in)
		} else {
			assert.NoError(t, err, "%q", tc.in)
		}
	}
}

func TestPreferencesFormatAndWith(t *testing.T) {
	ps := Preferences{{Name: "return", Value: "minimal"}, {Name: "foo", Value: `a "b"`, Params: []PreferenceParam{{"p", ""}, {"q", "1"}}}}
	assert.Equal(t, `return=minimal, foo="a \"b\""; p; q=1`, ps.String())
	back, err := ParsePreferences(ps.String())
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

func TestWaitPreference(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "wait=0", -time.Second: "wait=0", time.Millisecond: "wait=1", time.Second: "wait=1",
		1500 * time.Millisecond: "wait=2", time.Minute: "wait=60",
	} {
		assert.Equal(t, want, WaitPreference(d).String(), "%v", d)
	}
}

func TestMergePrefer(t *testing.T) {
	h := http.Header{"Prefer": {"return=representation", "wait=100"}}
	require.NoError(t, MergePrefer(h, RespondAsync(), WaitPreference(5*time.Second)))
	assert.Equal(t, []string{"return=representation, wait=5, respond-async"}, h.Values("Prefer"))

	h = http.Header{}
	require.NoError(t, MergePrefer(h, RespondAsync()))
	assert.Equal(t, "respond-async", h.Get("Prefer"))

	bad := http.Header{"Prefer": {`return="oops`}}
	err := MergePrefer(bad, RespondAsync())
	assert.ErrorIs(t, err, ErrMalformedPrefer)
	assert.Equal(t, []string{`return="oops`}, bad.Values("Prefer"), "left unchanged: nothing the caller sent is lost")

	assert.Error(t, MergePrefer(http.Header{}, Preference{Name: "bad name"}))
	assert.Error(t, MergePrefer(http.Header{}, Preference{Name: "x", Value: "line\nbreak"}))
	assert.Error(t, MergePrefer(http.Header{}, Preference{Name: "x", Params: []PreferenceParam{{"p q", ""}}}))
}
