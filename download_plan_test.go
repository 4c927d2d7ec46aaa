package level3

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Dates for validators: lmOld is strong against dateNow (more than 60 s
// before it), lmNew is not.
var (
	dateNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).Format(http.TimeFormat)
	lmOld   = time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC).Format(http.TimeFormat)
	lmNew   = time.Date(2026, 11, 25, 11, 59, 30, 0, time.UTC).Format(http.TimeFormat)
)

// version is a test's shorthand for the validators of a response as the
// server sent them: the raw etag, last-modified and date headers.
type version struct{ ETag, LastModified, Date string }

// validators returns the Validators of v's response.
func (v version) validators() Validators {
	return ValidatorsOf(dlHeader("Etag", v.ETag, "Last-Modified", v.LastModified))
}

// date returns the date of v's response.
func (v version) date() time.Time { return responseDate(dlHeader("Date", v.Date)) }

func TestValidators(t *testing.T) {
	for _, tc := range []struct {
		name       string
		v          version
		strongETag string
		strongDate string
		ifRange    string
	}{
		{"strong etag", version{ETag: `"a"`}, `"a"`, "", `"a"`},
		{"weak etag", version{ETag: `W/"a"`}, "", "", ""},
		{"unquoted etag is not an entity tag", version{ETag: `abc`}, "", "", ""},
		{"weak etag, strong date", version{ETag: `W/"a"`, LastModified: lmOld, Date: dateNow}, "", lmOld, lmOld},
		{"date within 60 s of Date is weak", version{LastModified: lmNew, Date: dateNow}, "", "", ""},
		{"date without Date is weak", version{LastModified: lmOld}, "", "", ""},
		{"malformed date", version{LastModified: "yesterday", Date: dateNow}, "", "", ""},
		{"etag wins over date", version{ETag: `"a"`, LastModified: lmOld, Date: dateNow}, `"a"`, lmOld, `"a"`},
		{"nothing", version{}, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.v.validators()
			assert.Equal(t, tc.strongETag, v.strongETag())
			assert.Equal(t, tc.strongDate, v.strongDate(tc.v.date()))
			assert.Equal(t, tc.ifRange, v.ifRange(tc.v.date()))
		})
	}
}

func TestValidatorsDiffer(t *testing.T) {
	v := func(etag, lm string) Validators { return version{ETag: etag, LastModified: lm}.validators() }
	a, b := v(`"a"`, lmOld), v(`"b"`, lmOld)
	assert.True(t, a.differs(b))
	assert.False(t, a.differs(a))
	noTag1, noTag2 := v("", lmOld), v("", lmNew)
	assert.True(t, noTag1.differs(noTag2))
	assert.False(t, noTag1.differs(Validators{}), "nothing to compare with")
	assert.False(t, a.differs(noTag1), "a tag on one side only, the same date")
	assert.True(t, a.differs(noTag2), "no tag any more, and another date: another version")
	assert.True(t, noTag2.differs(a))
	assert.False(t, a.differs(v(`"a"`, lmNew)), "equal tags decide")
}

func TestPlanResume(t *testing.T) {
	strong := version{ETag: `"v1"`, LastModified: lmOld, Date: dateNow}
	dateOnly := version{ETag: `W/"v1"`, LastModified: lmOld, Date: dateNow}
	weak := version{ETag: `W/"v1"`, LastModified: lmNew, Date: dateNow}
	for _, tc := range []struct {
		name      string
		have      int64
		local     version
		failFast  bool
		noResume  bool
		want      rangeRequest
		wantThrow bool
	}{
		{"nothing on disk", 0, strong, false, false, rangeRequest{End: -1}, false},
		{"refetch with the strong etag", 100, strong, false, false, rangeRequest{Ranged: true, Start: 100, End: -1, IfRange: `"v1"`}, false},
		{"refetch with the date when the tag is weak", 100, dateOnly, false, false, rangeRequest{Ranged: true, Start: 100, End: -1, IfRange: lmOld}, false},
		{"no strong validator: start over", 100, weak, false, false, rangeRequest{End: -1}, true},
		{"no validator at all: start over", 100, version{}, false, false, rangeRequest{End: -1}, true},
		{"fail-fast with If-Match", 100, strong, true, false, rangeRequest{Ranged: true, Start: 100, End: -1, IfMatch: `"v1"`}, false},
		{"fail-fast without a tag: If-Unmodified-Since", 100, dateOnly, true, false, rangeRequest{Ranged: true, Start: 100, End: -1, IfUnmodifiedSince: lmOld}, false},
		{"fail-fast, nothing strong: start over", 100, weak, true, false, rangeRequest{End: -1}, true},
		{"no resume", 100, strong, false, true, rangeRequest{End: -1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, throw := planResume(tc.have, tc.local.validators(), tc.local.date(), tc.failFast, tc.noResume)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.wantThrow, throw)
		})
	}
}

func TestRangeRequestHeader(t *testing.T) {
	h := http.Header{}
	rangeRequest{Ranged: true, Start: 5, End: -1, IfRange: `"x"`}.header(h)
	assert.Equal(t, http.Header{"Accept-Encoding": {"identity"}, "Range": {"bytes=5-"}, "If-Range": {`"x"`}}, h)
	h = http.Header{}
	rangeRequest{Ranged: true, Start: 0, End: 9, IfMatch: `"x"`}.header(h)
	assert.Equal(t, "bytes=0-9", h.Get("Range"))
	assert.Equal(t, `"x"`, h.Get("If-Match"))
	assert.Empty(t, h.Get("If-Range"))
	h = http.Header{}
	rangeRequest{End: -1, IfNoneMatch: `"k"`}.header(h)
	assert.Equal(t, http.Header{"Accept-Encoding": {"identity"}, "If-None-Match": {`"k"`}}, h)
}

// dlHeader builds a header from name, value pairs.
func dlHeader(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestJudgeResponse(t *testing.T) {
	local := version{ETag: `"v1"`}
	resume := rangeRequest{Ranged: true, Start: 100, End: -1, IfRange: `"v1"`}
	failFast := rangeRequest{Ranged: true, Start: 100, End: -1, IfMatch: `"v1"`}
	plain := rangeRequest{End: -1}
	span := rangeRequest{Ranged: true, Start: 100, End: 199, IfRange: `"v1"`}
	for _, tc := range []struct {
		name   string
		req    rangeRequest
		have   int64
		total  int64
		status int
		h      http.Header
		cl     int64
		want   dlVerdict
	}{
		{"plain 200", plain, 0, -1, 200, dlHeader("Etag", `"v1"`), 1000,
			dlVerdict{Kind: verdictWrite, Length: 1000, Total: 1000}},
		{"plain 200 without length", plain, 0, -1, 200, dlHeader(), -1,
			dlVerdict{Kind: verdictWrite, Length: -1, Total: -1}},
		{"206 appends", resume, 100, 1000, 206, dlHeader("Content-Range", "bytes 100-999/1000", "Etag", `"v1"`), 900,
			dlVerdict{Kind: verdictWrite, Offset: 100, Length: 900, Total: 1000}},
		{"206 learns the total", resume, 100, -1, 206, dlHeader("Content-Range", "bytes 100-999/1000"), 900,
			dlVerdict{Kind: verdictWrite, Offset: 100, Length: 900, Total: 1000}},
		{"206 with unknown total keeps the known one", resume, 100, 1000, 206, dlHeader("Content-Range", "bytes 100-199/*"), 100,
			dlVerdict{Kind: verdictWrite, Offset: 100, Length: 100, Total: 1000}},
		{"short 206 is fine", span, -1, 1000, 206, dlHeader("Content-Range", "bytes 100-149/1000"), 50,
			dlVerdict{Kind: verdictWrite, Offset: 100, Length: 50, Total: 1000}},
		{"200 to If-Range: changed, start over", resume, 100, 1000, 200, dlHeader("Etag", `"v2"`), 1200,
			dlVerdict{Kind: verdictWrite, Length: 1200, Total: 1200, Restart: true}},
		{"206 at the wrong offset", resume, 100, 1000, 206, dlHeader("Content-Range", "bytes 0-999/1000"), 1000,
			dlVerdict{Kind: verdictRefetch, Total: -1}},
		{"206 beyond the range asked", span, -1, 1000, 206, dlHeader("Content-Range", "bytes 100-299/1000"), 200,
			dlVerdict{Kind: verdictRefetch, Total: -1}},
		{"206 with another total", resume, 100, 1000, 206, dlHeader("Content-Range", "bytes 100-1099/1100"), 1000,
			dlVerdict{Kind: verdictRefetch, Total: -1}},
		{"206 with another total, fail-fast", failFast, 100, 1000, 206, dlHeader("Content-Range", "bytes 100-1099/1100"), 1000,
			dlVerdict{Kind: verdictChanged, Total: 1100}},
		{"206 with a malformed content-range", resume, 100, 1000, 206, dlHeader("Content-Range", "bytes 100-x/1000"), -1,
			dlVerdict{Kind: verdictRefetch, Total: -1}},
		{"206 without content-range", resume, 100, 1000, 206, dlHeader(), -1,
			dlVerdict{Kind: verdictRefetch, Total: -1}},
		{"206 length does not match content-range", resume, 100, 1000, 206, dlHeader("Content-Range", "bytes 100-999/1000"), 10,
			dlVerdict{Kind: verdictRefetch, Total: -1}},
		{"multipart answer to one range", resume, 100, 1000, 206, dlHeader("Content-Type", "multipart/byteranges; boundary=x"), -1,
			dlVerdict{Kind: verdictRefetch, Total: -1}},
		{"206 with another etag", resume, 100, 1000, 206, dlHeader("Content-Range", "bytes 100-999/1000", "Etag", `"v2"`), 900,
			dlVerdict{Kind: verdictRefetch, Total: -1}},
		{"206 with another etag, fail-fast", failFast, 100, 1000, 206, dlHeader("Content-Range", "bytes 100-999/1000", "Etag", `"v2"`), 900,
			dlVerdict{Kind: verdictChanged, Total: 1000}},
		{"206 to a plain GET", plain, 0, -1, 206, dlHeader("Content-Range", "bytes 0-9/10"), 10,
			dlVerdict{Kind: verdictUnexpected, Total: -1}},
		{"416, file complete", rangeRequest{Ranged: true, Start: 1000, End: -1, IfRange: `"v1"`}, 1000, 1000, 416, dlHeader("Content-Range", "bytes */1000"), -1,
			dlVerdict{Kind: verdictDone, Total: 1000}},
		{"416, content shrank", resume, 100, 1000, 416, dlHeader("Content-Range", "bytes */50"), -1,
			dlVerdict{Kind: verdictRefetch, Total: 50}},
		{"416, the file on disk is all, no length known before", rangeRequest{Ranged: true, Start: 500, End: -1, IfRange: `"v1"`}, 500, -1, 416, dlHeader("Content-Range", "bytes */500"), -1,
			dlVerdict{Kind: verdictDone, Total: 500}},
		{"416 for the bytes on disk, but 1000 were announced", rangeRequest{Ranged: true, Start: 500, End: -1, IfRange: `"v1"`}, 500, 1000, 416, dlHeader("Content-Range", "bytes */500"), -1,
			dlVerdict{Kind: verdictRefetch, Total: 500}},
		{"416 of another version", rangeRequest{Ranged: true, Start: 1000, End: -1, IfRange: `"v1"`}, 1000, 1000, 416, dlHeader("Content-Range", "bytes */1000", "Etag", `"v2"`), -1,
			dlVerdict{Kind: verdictRefetch, Total: 1000}},
		{"416 without content-range (Apache)", resume, 100, 1000, 416, dlHeader(), -1,
			dlVerdict{Kind: verdictConfirm, Total: -1}},
		{"416 to a span is never done", span, -1, 1000, 416, dlHeader("Content-Range", "bytes */1000"), -1,
			dlVerdict{Kind: verdictRefetch, Total: 1000}},
		{"409 to fail-fast (Level 3)", failFast, 100, 1000, 409, dlHeader(), -1,
			dlVerdict{Kind: verdictChanged, Total: -1}},
		{"412 to fail-fast (generic)", failFast, 100, 1000, 412, dlHeader(), -1,
			dlVerdict{Kind: verdictChanged, Total: -1}},
		{"409 without fail-fast is the server's error", resume, 100, 1000, 409, dlHeader(), -1,
			dlVerdict{Kind: verdictError, Total: -1}},
		{"304 to a known version", rangeRequest{End: -1, IfNoneMatch: `"v1"`}, 0, -1, 304, dlHeader(), -1,
			dlVerdict{Kind: verdictNotModified, Total: -1}},
		{"304 unasked", plain, 0, -1, 304, dlHeader(), -1,
			dlVerdict{Kind: verdictUnexpected, Total: -1}},
		{"404", plain, 0, -1, 404, dlHeader(), -1,
			dlVerdict{Kind: verdictError, Total: -1}},
		{"204", plain, 0, -1, 204, dlHeader(), -1,
			dlVerdict{Kind: verdictUnexpected, Total: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := judgeResponse(tc.req, tc.have, tc.total, local.validators(), tc.status, tc.h, tc.cl)
			if tc.want.Kind != verdictWrite {
				assert.NotEmpty(t, got.Reason+map[verdictKind]string{verdictError: "-", verdictNotModified: "-", verdictDone: "-"}[got.Kind], "every refusal says why")
			}
			got.Reason = ""
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestJudgeConfirm(t *testing.T) {
	local := version{ETag: `"v1"`}
	for _, tc := range []struct {
		name   string
		local  version
		status int
		h      http.Header
		length int64
		want   verdictKind
	}{
		{"same length and tag", local, 200, dlHeader("Etag", `"v1"`), 1000, verdictDone},
		{"another length", local, 200, dlHeader("Etag", `"v1"`), 999, verdictRefetch},
		{"another tag", local, 200, dlHeader("Etag", `"v2"`), 1000, verdictRefetch},
		{"no tag to compare", local, 200, dlHeader(), 1000, verdictRefetch},
		{"date only, same", version{LastModified: lmOld, Date: dateNow}, 200, dlHeader("Last-Modified", lmOld), 1000, verdictDone},
		{"weak local validators", version{ETag: `W/"v1"`}, 200, dlHeader("Etag", `W/"v1"`), 1000, verdictRefetch},
		{"HEAD failed", local, 404, dlHeader("Etag", `"v1"`), 1000, verdictRefetch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			local, date := tc.local.validators(), tc.local.date()
			assert.Equal(t, tc.want, judgeConfirm(1000, -1, local, date, tc.status, tc.h, tc.length))
			assert.Equal(t, tc.want, judgeConfirm(1000, 1000, local, date, tc.status, tc.h, tc.length), "the length announced agrees")
			assert.Equal(t, verdictRefetch, judgeConfirm(1000, 2000, local, date, tc.status, tc.h, tc.length), "another length was announced")
		})
	}
}

func TestParallelEligible(t *testing.T) {
	good := &remoteInfo{Validators: Validators{ETag: `"v1"`}, length: 10 << 20, acceptRanges: "bytes"}
	with := func(f func(r *remoteInfo)) *remoteInfo {
		r := *good
		f(&r)
		return &r
	}
	for _, tc := range []struct {
		name     string
		conns    int
		failFast bool
		r        *remoteInfo
		have     int64
		want     bool
	}{
		{"all there", 4, false, good, 0, true},
		{"one connection", 1, false, good, 0, false},
		{"no HEAD", 4, false, nil, 0, false},
		{"accept-ranges: none", 4, false, with(func(r *remoteInfo) { r.acceptRanges = "none" }), 0, false},
		{"no accept-ranges", 4, false, with(func(r *remoteInfo) { r.acceptRanges = "" }), 0, false},
		{"small", 4, false, with(func(r *remoteInfo) { r.length = 1 << 20 }), 0, false},
		{"little left", 4, false, good, 9 << 20, false},
		{"unknown length", 4, false, with(func(r *remoteInfo) { r.length = -1 }), 0, false},
		{"encoded", 4, false, with(func(r *remoteInfo) { r.encoding = "gzip" }), 0, false},
		{"weak etag only", 4, false, with(func(r *remoteInfo) { r.ETag = `W/"v1"` }), 0, false},
		{"weak etag, strong date", 4, false, with(func(r *remoteInfo) {
			r.Validators, r.date = version{`W/"v1"`, lmOld, dateNow}.validators(), version{Date: dateNow}.date()
		}), 0, true},
		{"fail-fast with a strong etag", 4, true, good, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, parallelEligible(tc.conns, tc.failFast, tc.r, tc.have, minParallelSize))
		})
	}
}

func TestSchedulerSplitsStealsAndResumes(t *testing.T) {
	const mib = 1 << 20
	s := newScheduler(8*mib, 0, nil, 4, minSteal)
	var spans []*span
	for i := 0; i < 4; i++ {
		sp := takeSpan(s)
		assert.NotNil(t, sp)
		spans = append(spans, sp)
	}
	assert.Equal(t, []int64{0, 2 * mib, 4 * mib, 6 * mib}, []int64{spans[0].start, spans[1].start, spans[2].start, spans[3].start})
	assert.Equal(t, int64(8*mib), spans[3].end)
	assert.Equal(t, int64(0), s.frontier())

	// Span 0 finishes; span 1 has the most left: its second half is stolen.
	assert.Equal(t, 2*mib, s.advance(spans[0], 2*mib))
	s.complete(spans[0])
	assert.Equal(t, mib/2, s.advance(spans[1], mib/2))
	s.advance(spans[2], 7*mib/4)
	s.advance(spans[3], 7*mib/4)
	assert.Equal(t, int64(2*mib+mib/2), s.frontier())
	thief := takeSpan(s)
	assert.NotNil(t, thief)
	assert.Equal(t, int64(2*mib+mib/2+3*mib/4), thief.start)
	assert.Equal(t, int64(4*mib), thief.end)
	assert.Equal(t, thief.start, spans[1].end)
	// The victim wrote past its new end: only its own bytes count.
	assert.Equal(t, 3*mib/4, s.advance(spans[1], mib))
	assert.Equal(t, int64(0), s.remaining(spans[1]))

	next, parts := s.snapshot()
	assert.Equal(t, int64(8*mib), next)
	assert.Len(t, parts, 3, "span 1 is complete (cut), 2, 3 and the thief are not")
	assert.Equal(t, int64(8*mib-mib/4-mib/4-3*mib/4), s.onDisk(), "all but the rest of spans 2, 3 and the thief's")

	// A new scheduler resumes the unfinished parts, and nothing is left to
	// steal when every span has less than 2·minSteal left.
	r := newScheduler(8*mib, next, parts, 2, minSteal)
	a, b := takeSpan(r), takeSpan(r)
	assert.NotNil(t, a)
	assert.NotNil(t, b)
	c := takeSpan(r)
	assert.NotNil(t, c, "the third old part is idle")
	for _, sp := range []*span{a, b, c} {
		r.advance(sp, int(r.remaining(sp)-minSteal))
	}
	assert.Nil(t, takeSpan(r), "nothing big enough to steal")
}

func TestSchedulerSmallRemainder(t *testing.T) {
	s := newScheduler(300<<10, 100<<10, nil, 8, minSteal)
	sp := takeSpan(s)
	assert.Equal(t, int64(100<<10), sp.start)
	assert.Equal(t, int64(300<<10), sp.end)
	assert.Nil(t, takeSpan(s), "200 KiB is not split")
}

// takeSpan returns what s.take returns for a span.
func takeSpan(s *scheduler) *span {
	sp, _ := s.take()
	return sp
}

func TestSchedulerNeverStealsWhatIsAsked(t *testing.T) {
	const mib = 1 << 20
	s := newScheduler(8*mib, 0, nil, 2, minSteal)
	a, b := takeSpan(s), takeSpan(s)
	require.NotNil(t, a)
	require.NotNil(t, b)

	// a asks for 1 MiB of its 4, b for all of its span.
	pos, end := s.ask(a, mib)
	assert.Equal(t, [2]int64{0, mib}, [2]int64{pos, end})
	pos, end = s.ask(b, 8*mib)
	assert.Equal(t, [2]int64{4 * mib, 8 * mib}, [2]int64{pos, end})
	// A request that would leave less than minSteal asks for all of it.
	c := newScheduler(mib+minSteal-1, 0, nil, 1, minSteal)
	sp := takeSpan(c)
	_, end = c.ask(sp, mib)
	assert.Equal(t, int64(mib+minSteal-1), end)

	// A third connection: nothing unasked in b; a's half is beyond its
	// request: the thief starts at 2 MiB, where a's request ends or later.
	s.advance(a, mib/2)
	s.advance(b, 3*mib)
	thief, later := s.take()
	require.NotNil(t, thief)
	assert.Nil(t, later)
	assert.Equal(t, [2]int64{2*mib + mib/4, 4 * mib}, [2]int64{thief.start, thief.end}, "half of what a still needs")
	assert.Equal(t, thief.start, a.end)

	// A fourth: everything left is asked for, but may yet be given up.
	s.settle(a)
	s.ask(a, 0)
	s.ask(thief, 0)
	sp, later = s.take()
	assert.Nil(t, sp)
	require.NotNil(t, later)
	select {
	case <-later:
		t.Fatal("woken before anything changed")
	default:
	}
	// b's request fails at 7 MiB: what it still needs can be taken now.
	s.settle(b)
	<-later // closed by settle
	sp, _ = s.take()
	require.NotNil(t, sp)
	assert.Equal(t, [2]int64{7*mib + mib/2, 8 * mib}, [2]int64{sp.start, sp.end})

	// When no span has enough left to steal even later, take says stop.
	for _, x := range []*span{a, b, thief, sp} {
		s.ask(x, 0)
		s.advance(x, int(s.remaining(x)))
		s.complete(x)
	}
	sp, later = s.take()
	assert.Nil(t, sp)
	assert.Nil(t, later)
}
