package level3

import (
	"net/http"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/stretchr/testify/assert"
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
		{"same etag", entityStrategy{Before: validators{ETag: `"a"`}}, 200, hdr("ETag", `"a"`), pending},
		{"new etag", entityStrategy{Before: validators{ETag: `"a"`}}, 200, hdr("ETag", `"b"`), succeeded},
		{"weakened, same tag (Apache)", entityStrategy{Before: validators{ETag: `"a"`}}, 200, hdr("ETag", `W/"a"`), pending},
		{"204 counts as 2xx", entityStrategy{Before: validators{ETag: `"a"`}}, 204, hdr("ETag", `"b"`), succeeded},
		{"etag preferred over date", entityStrategy{Before: validators{ETag: `"a"`, LastModified: t0}}, 200, hdr("ETag", `"a"`, "Last-Modified", lm1), pending},
		{"date only: later", entityStrategy{Before: validators{LastModified: t0}}, 200, hdr("Last-Modified", lm1), succeeded},
		{"date only: same", entityStrategy{Before: validators{LastModified: t0}}, 200, hdr("Last-Modified", lm0), pending},
		{"date only: earlier is no change", entityStrategy{Before: validators{LastModified: t1}}, 200, hdr("Last-Modified", lm0), pending},
		{"etag gone, date decides", entityStrategy{Before: validators{ETag: `"a"`, LastModified: t0}}, 200, hdr("Last-Modified", lm1), succeeded},
		{"no validators at all", entityStrategy{Before: validators{ETag: `"a"`}}, 200, hdr(), failed},
		{"malformed date", entityStrategy{Before: validators{LastModified: t0}}, 200, hdr("Last-Modified", "yesterday"), failed},
		{"expected etag seen", entityStrategy{Expect: `"z"`}, 200, hdr("ETag", `"z"`), succeeded},
		{"expected etag not yet", entityStrategy{Before: validators{ETag: `"a"`}, Expect: `"z"`}, 200, hdr("ETag", `"b"`), pending},
		{"expected etag, no etag, date changed", entityStrategy{Before: validators{LastModified: t0}, Expect: `"z"`}, 200, hdr("Last-Modified", lm1), succeeded},
		{"absent before: exists now", entityStrategy{Before: validators{Absent: true}}, 200, hdr(), succeeded},
		{"absent before: still 404", entityStrategy{Before: validators{Absent: true}}, 404, hdr(), pending},
		{"present before: 404 fails", entityStrategy{Before: validators{ETag: `"a"`}}, 404, hdr(), failed},
		{"202 again", entityStrategy{Before: validators{ETag: `"a"`}}, 202, hdr("ETag", `"b"`), pending},
		{"412", entityStrategy{Before: validators{ETag: `"a"`}}, 412, hdr(), failed},
		{"304", entityStrategy{Before: validators{ETag: `"a"`}}, 304, hdr(), pending},
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
		want validators
		ok   bool
	}{
		{hdr("If-Match", `"a"`), validators{ETag: `"a"`}, true},
		{hdr("If-Match", ` W/"a" `), validators{ETag: `W/"a"`}, true},
		{hdr("If-Match", `*`), validators{}, false},
		{hdr("If-Match", `"a", "b"`), validators{}, false},
		{hdr("If-Unmodified-Since", t0.Format(http.TimeFormat)), validators{LastModified: t0}, true},
		{hdr("If-Match", "*", "If-Unmodified-Since", t0.Format(http.TimeFormat)), validators{LastModified: t0}, true},
		{hdr("If-Unmodified-Since", "soon"), validators{}, false},
		{hdr(), validators{}, false},
	} {
		got, ok := conditionValidators(tc.h)
		assert.Equal(t, tc.ok, ok, "%v", tc.h)
		assert.Equal(t, tc.want, got, "%v", tc.h)
	}
}

func TestPollWait(t *testing.T) {
	s := PollSchedule{MinWait: time.Second, MaxWait: time.Minute, Multiplier: 2, MaxFailures: 1}
	calls := 0
	next := func(d time.Duration) func() time.Duration {
		return func() time.Duration { calls++; return d }
	}
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
		got, fromServer := pollWait(tc.retryAfter, t0, next(tc.backoff), s)
		assert.Equal(t, tc.want, got, tc.name)
		assert.Equal(t, tc.fromServer, fromServer, tc.name)
		assert.Equal(t, tc.calls, calls, "%s: the backoff advances only when it decides", tc.name)
	}
}

func TestPollScheduleValidate(t *testing.T) {
	assert.NoError(t, DefaultPollSchedule().validate())
	for name, mod := range map[string]func(*PollSchedule){
		"zero min":      func(s *PollSchedule) { s.MinWait = 0 },
		"max below min": func(s *PollSchedule) { s.MaxWait = s.MinWait / 2 },
		"multiplier":    func(s *PollSchedule) { s.Multiplier = 0.5 },
		"jitter":        func(s *PollSchedule) { s.Jitter = 1 },
		"neg jitter":    func(s *PollSchedule) { s.Jitter = -0.1 },
		"failures":      func(s *PollSchedule) { s.MaxFailures = 0 },
	} {
		s := DefaultPollSchedule()
		mod(&s)
		assert.Error(t, s.validate(), name)
	}
}
