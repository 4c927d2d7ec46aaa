package polite

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestParseLimits(t *testing.T) {
	const s = time.Second
	for _, tc := range []struct {
		name          string
		policy, limit []string
		want          []Limit
	}{
		{"none", nil, nil, nil},
		{"the draft's example", []string{`"default";q=100;w=10`}, []string{`"default";r=50;t=30`},
			[]Limit{{Policy: "default", Quota: 100, Window: 10 * s, Remaining: 50, Reset: 30 * s}}},
		{"RateLimit alone", nil, []string{`"default";r=0;t=50`},
			[]Limit{{Policy: "default", Quota: -1, Remaining: 0, Reset: 50 * s}}},
		{"RateLimit without t", nil, []string{`"default";r=999`},
			[]Limit{{Policy: "default", Quota: -1, Remaining: 999, Reset: -1}}},
		{"policy alone", []string{`"permin";q=50;w=60,"perhr";q=1000;w=3600`}, nil,
			[]Limit{{Policy: "permin", Quota: 50, Window: 60 * s, Remaining: -1, Reset: -1},
				{Policy: "perhr", Quota: 1000, Window: 3600 * s, Remaining: -1, Reset: -1}}},
		{"tokens of earlier drafts", []string{`default;q=10;w=1`}, []string{`default;r=3;t=1`},
			[]Limit{{Policy: "default", Quota: 10, Window: s, Remaining: 3, Reset: s}}},
		{"split over two fields", []string{`"a";q=1;w=1`, `"b";q=2;w=2`}, []string{`"b";r=1;t=1`},
			[]Limit{{Policy: "a", Quota: 1, Window: s, Remaining: -1, Reset: -1},
				{Policy: "b", Quota: 2, Window: 2 * s, Remaining: 1, Reset: s}}},
		{"other units are not requests", []string{`"bytes";q=65535;qu="content-bytes";w=10`}, []string{`"bytes";r=10;t=1`}, nil},
		{"malformed RateLimit is ignored", []string{`"default";q=100;w=10`}, []string{`"default";r=5;t=`},
			[]Limit{{Policy: "default", Quota: 100, Window: 10 * s, Remaining: -1, Reset: -1}}},
		{"missing q or r", []string{`"a";w=10`}, []string{`"b";t=10`}, nil},
		{"wrong types", []string{`"a";q=1.5`, `"b";q=1;w="10"`}, []string{`"c";r=?1`, `"d";r=1;t=1.5`, `5;r=1`}, nil},
		{"negative or zero", []string{`"a";q=-1`, `"b";q=1;w=0`}, []string{`"c";r=-1`, `"d";r=1;t=-2`}, nil},
		{"inner lists are not policies", nil, []string{`("a" "b");r=1`}, nil},
		{"the first of a policy named twice", nil, []string{`"a";r=1;t=1, "a";r=9;t=9`},
			[]Limit{{Policy: "a", Quota: -1, Remaining: 1, Reset: s}}},
		{"huge values are capped", []string{`"a";q=999999999999999;w=999999999999999`}, []string{`"a";r=999999999999999;t=999999999999999`},
			[]Limit{{Policy: "a", Quota: maxCount, Window: maxSeconds * s, Remaining: maxCount, Reset: maxSeconds * s}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.policy {
				h.Add("RateLimit-Policy", v)
			}
			for _, v := range tc.limit {
				h.Add("RateLimit", v)
			}
			assert.Equal(t, tc.want, ParseLimits(h))
		})
	}
}

func TestParseLimitsPartitionKey(t *testing.T) {
	h := http.Header{}
	h.Set("RateLimit-Policy", `"peruser";q=100;w=60;pk=:cHsdsRa894==:`)
	h.Set("RateLimit", `"peruser";r=5;t=6;pk=:cHsdsRa894==:, "peruser";r=1;t=1;pk=:AAAA:`)
	got := ParseLimits(h)
	assert.Equal(t, []Limit{
		{Policy: "peruser;pk=cHsdsRa89w==" /* canonical base64 */, Quota: 100, Window: 60 * time.Second, Remaining: 5, Reset: 6 * time.Second},
		{Policy: "peruser;pk=AAAA", Quota: -1, Remaining: 1, Reset: time.Second},
	}, got)
}

func TestParseLimitsKeepsAtMost16(t *testing.T) {
	h := http.Header{}
	for i := range 40 {
		h.Add("RateLimit", fmt.Sprintf(`"p%d";r=1;t=1`, i))
	}
	assert.Len(t, ParseLimits(h), maxLimits)
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{"Wed, 02 Dec 2026 10:00:30 GMT", 30 * time.Second, true},
		{"Wed, 02 Dec 2026 09:00:00 GMT", 0, true},
		{"99999999999999", maxSeconds * time.Second, true},
		{"soon", 0, false},
		{"-1", 0, false},
	} {
		h := http.Header{}
		if tc.v != "" {
			h.Set("Retry-After", tc.v)
		}
		d, ok := retryAfter(h, now)
		assert.Equal(t, tc.ok, ok, tc.v)
		assert.Equal(t, tc.want, d, tc.v)
	}
}

func FuzzParseLimits(f *testing.F) {
	f.Add(`"default";q=100;w=10`, `"default";r=50;t=30`)
	f.Add(`"peruser";q=65535;qu="content-bytes";w=10;pk=:sdfjLJUOUH==:`, `"peruser";r=1;pk=:sdfjLJUOUH==:`)
	f.Add(`default;q=1;w=1, b;q=2`, `default;r=0;t=0, ("x");r=1`)
	f.Fuzz(func(t *testing.T, policy, limit string) {
		h := http.Header{"Ratelimit-Policy": {policy}, "Ratelimit": {limit}}
		got := ParseLimits(h)
		if len(got) > maxLimits {
			t.Fatalf("%d limits", len(got))
		}
		for _, l := range got {
			if l.Quota < -1 || l.Quota > maxCount || l.Remaining < -1 || l.Remaining > maxCount ||
				l.Window < 0 || l.Window > maxSeconds*time.Second || l.Reset < -1 || l.Reset > maxSeconds*time.Second ||
				(l.Quota < 0 && l.Remaining < 0) || len(l.Policy) > maxPolicyLen {
				t.Fatalf("impossible limit %+v from %q, %q", l, policy, limit)
			}
		}
		// What a budget does with it never panics either.
		s := newState(0)
		s.observe(1000, Observation{Limits: got})
		for i := range 3 {
			s.take(int64(2000 + i))
		}
	})
}

func TestParseLimitsWithoutTheFieldsAllocatesNothing(t *testing.T) {
	h := http.Header{"Content-Type": {"text/plain"}, "Etag": {`"1"`}}
	assert.Zero(t, testing.AllocsPerRun(100, func() { ParseLimits(h) }), "most answers carry no RateLimit fields")
}
