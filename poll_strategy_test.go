package level3

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Minute)
)

// hdr builds a header from name/value pairs.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestTransientStatus(t *testing.T) {
	for code, want := range map[int]bool{
		200: false, 202: false, 404: false, 409: false, 410: false, 422: false,
		408: true, 429: true, 500: true, 502: true, 503: true, 504: true, 599: true,
	} {
		assert.Equal(t, want, transientStatus(code), "%d", code)
	}
}

func TestLocationJudge(t *testing.T) {
	s := &locationStrategy{}
	for code, want := range map[int]verdict{
		200: succeeded, 201: succeeded, 204: succeeded, 206: succeeded,
		202: pending, 404: pending, 304: pending, 300: pending,
		400: failed, 403: failed, 409: failed, 410: failed, 422: failed,
	} {
		assert.Equal(t, want, s.judge(code, nil), "%d", code)
	}
	assert.Equal(t, http.MethodGet, s.method())
}

func TestEntityJudge(t *testing.T) {
	lm0, lm1 := t0.Format(http.TimeFormat), t1.Format(http.TimeFormat)
	for _, tc := range []struct {
		name   string
		s      entityStrategy
		status int
		h      http.Header
		want   verdict
	}{
		{"same etag", entityStrategy{Before: priorState{Validators: Validators{ETag: `"a"`}}}, 200, hdr("ETag", `"a"`), pending},
		{"new etag", entityStrategy{Before: priorState{Validators: Validators{ETag: `"a"`}}}, 200, hdr("ETag", `"b"`), succeeded},
		{"weakened, same tag (Apache)", entityStrategy{Before: priorState{Validators: Validators{ETag: `"a"`}}}, 200, hdr("ETag", `W/"a"`), pending},
		{"204 counts as 2xx", entityStrategy{Before: priorState{Validators: Validators{ETag: `"a"`}}}, 204, hdr("ETag", `"b"`), succeeded},
		{"etag preferred over date", entityStrategy{Before: priorState{Validators: Validators{ETag: `"a"`, LastModified: t0}}}, 200, hdr("ETag", `"a"`, "Last-Modified", lm1), pending},
		{"date only: later", entityStrategy{Before: priorState{Validators: Validators{LastModified: t0}}}, 200, hdr("Last-Modified", lm1), succeeded},
		{"date only: same", entityStrategy{Before: priorState{Validators: Validators{LastModified: t0}}}, 200, hdr("Last-Modified", lm0), pending},
		{"date only: earlier is no change", entityStrategy{Before: priorState{Validators: Validators{LastModified: t1}}}, 200, hdr("Last-Modified", lm0), pending},
		{"etag gone, date decides", entityStrategy{Before: priorState{Validators: Validators{ETag: `"a"`, LastModified: t0}}}, 200, hdr("Last-Modified", lm1), succeeded},
		{"no validators at all", entityStrategy{Before: priorState{Validators: Validators{ETag: `"a"`}}}, 200, hdr(), failed},
		{"malformed date", entityStrategy{Before: priorState{Validators: Validators{LastModified: t0}}}, 200, hdr("Last-Modified", "yesterday"), failed},
		{"expected etag seen", entityStrategy{Expect: `"z"`}, 200, hdr("ETag", `"z"`), succeeded},
		{"expected etag not yet", entityStrategy{Before: priorState{Validators: Validators{ETag: `"a"`}}, Expect: `"z"`}, 200, hdr("ETag", `"b"`), pending},
		{"expected etag, no etag, date changed", entityStrategy{Before: priorState{Validators: Validators{LastModified: t0}}, Expect: `"z"`}, 200, hdr("Last-Modified", lm1), succeeded},
		{"absent before: exists now", entityStrategy{Before: priorState{Absent: true}}, 200, hdr(), succeeded},
		{"absent before: still 404", entityStrategy{Before: priorState{Absent: true}}, 404, hdr(), pending},
		{"present before: 404 fails", entityStrategy{Before: priorState{Validators: Validators{ETag: `"a"`}}}, 404, hdr(), failed},
		{"202 again", entityStrategy{Before: priorState{Validators: Validators{ETag: `"a"`}}}, 202, hdr("ETag", `"b"`), pending},
		{"412", entityStrategy{Before: priorState{Validators: Validators{ETag: `"a"`}}}, 412, hdr(), failed},
		{"304", entityStrategy{Before: priorState{Validators: Validators{ETag: `"a"`}}}, 304, hdr(), pending},
	} {
		assert.Equal(t, tc.want, tc.s.judge(tc.status, tc.h), tc.name)
	}
}

func TestDeletionJudge(t *testing.T) {
	s := &deletionStrategy{}
	for code, want := range map[int]verdict{
		200: pending, 204: pending, 202: pending, 304: pending,
		404: succeeded, 410: succeeded,
		400: failed, 403: failed, 409: failed, 412: failed,
	} {
		assert.Equal(t, want, s.judge(code, nil), "%d", code)
	}
}

func TestConditionValidators(t *testing.T) {
	for _, tc := range []struct {
		h    http.Header
		want Validators
		ok   bool
	}{
		{hdr("If-Match", `"a"`), Validators{ETag: `"a"`}, true},
		{hdr("If-Match", ` W/"a" `), Validators{ETag: `W/"a"`}, true},
		{hdr("If-Match", `*`), Validators{}, false},
		{hdr("If-Match", `"a", "b"`), Validators{}, false},
		{hdr("If-Unmodified-Since", t0.Format(http.TimeFormat)), Validators{LastModified: t0}, true},
		{hdr("If-Match", "*", "If-Unmodified-Since", t0.Format(http.TimeFormat)), Validators{LastModified: t0}, true},
		{hdr("If-Unmodified-Since", "soon"), Validators{}, false},
		{hdr(), Validators{}, false},
	} {
		got, ok := conditionValidators(tc.h)
		assert.Equal(t, tc.ok, ok, "%v", tc.h)
		assert.Equal(t, tc.want, got, "%v", tc.h)
	}
}

func TestPollWait(t *testing.T) {
	s := Schedule{Initial: time.Second, Max: time.Minute, Multiplier: 2, Attempts: 1}
	calls := 0
	for _, tc := range []struct {
		name       string
		retryAfter string
		backoff    time.Duration
		want       time.Duration
		fromServer bool
		calls      int
	}{
		{"retry-after seconds", "7", 3 * time.Second, 7 * time.Second, true, 0},
		{"retry-after date", t0.Add(20 * time.Second).Format(http.TimeFormat), 0, 20 * time.Second, true, 0},
		{"retry-after capped", "3600", 0, time.Minute, true, 0},
		{"retry-after 0 floored", "0", 0, time.Second, true, 0},
		{"retry-after date in the past floored", t0.Add(-time.Hour).Format(http.TimeFormat), 0, time.Second, true, 0},
		{"malformed retry-after: backoff", "soon", 3 * time.Second, 3 * time.Second, false, 1},
		{"negative retry-after: backoff", "-5", 3 * time.Second, 3 * time.Second, false, 1},
		{"backoff", "", 5 * time.Second, 5 * time.Second, false, 1},
		{"backoff floored", "", time.Millisecond, time.Second, false, 1},
		{"backoff capped", "", time.Hour, time.Minute, false, 1},
		{"backoff stopped", "", backoff.Stop, time.Minute, false, 1},
	} {
		calls = 0
		got, fromServer := s.waitAt(&countingBackOff{d: tc.backoff, calls: &calls}, tc.retryAfter, s.Initial, t0)
		assert.Equal(t, tc.want, got, tc.name)
		assert.Equal(t, tc.fromServer, fromServer, tc.name)
		assert.Equal(t, tc.calls, calls, "%s: the backoff advances only when it decides", tc.name)
	}
}

// countingBackOff returns d and counts the calls.
type countingBackOff struct {
	d     time.Duration
	calls *int
}

func (b *countingBackOff) NextBackOff() time.Duration { *b.calls++; return b.d }
func (b *countingBackOff) Reset()                     {}

func TestPollScheduleDefaultsAndValidate(t *testing.T) {
	cfg, err := newAsyncConfig(nil)
	require.NoError(t, err)
	assert.Equal(t, Schedule{Initial: 500 * time.Millisecond, Max: 30 * time.Second, Multiplier: 1.5, Jitter: 0.2, Attempts: 3}, cfg.schedule,
		"nil options: the documented poll defaults")
	cfg, err = newAsyncConfig(&AsyncOptions{Poll: Schedule{Initial: 2 * time.Second, Jitter: -1, Attempts: -1}})
	require.NoError(t, err)
	assert.Equal(t, Schedule{Initial: 2 * time.Second, Max: 30 * time.Second, Multiplier: 1.5}, cfg.schedule,
		"zero fields take the defaults; negative Jitter and Attempts mean none")
	for name, mod := range map[string]func(*Schedule){
		"negative initial": func(s *Schedule) { s.Initial = -1 },
		"max below min":    func(s *Schedule) { s.Max = s.Initial / 2 },
		"multiplier":       func(s *Schedule) { s.Multiplier = 0.5 },
		"NaN multiplier":   func(s *Schedule) { s.Multiplier = math.NaN() },
		"jitter":           func(s *Schedule) { s.Jitter = 1 },
		"NaN jitter":       func(s *Schedule) { s.Jitter = math.NaN() },
	} {
		s := defaultPollSchedule
		mod(&s)
		_, err := newAsyncConfig(&AsyncOptions{Poll: s})
		assert.ErrorContains(t, err, "AsyncOptions.Poll", name)
	}
}
