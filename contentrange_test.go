package level3

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseContentRange(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want contentRange
		ok   bool
	}{
		{"bytes 0-499/1234", contentRange{Start: 0, End: 499, Total: 1234}, true},
		{"bytes 500-1233/1234", contentRange{Start: 500, End: 1233, Total: 1234}, true},
		{"bytes 42-42/*", contentRange{Start: 42, End: 42, Total: -1}, true},
		{"bytes */1234", contentRange{Start: -1, End: -1, Total: 1234, Unsatisfied: true}, true},
		{"BYTES 0-0/1", contentRange{Start: 0, End: 0, Total: 1}, true},
		{"  bytes 1-2/3  ", contentRange{Start: 1, End: 2, Total: 3}, true},
		{"bytes 0-9223372036854775806/9223372036854775807", contentRange{Start: 0, End: 1<<63 - 2, Total: 1<<63 - 1}, true},
		{"", contentRange{}, false},
		{"bytes", contentRange{}, false},
		{"items 0-1/2", contentRange{}, false},
		{"bytes */*", contentRange{}, false},
		{"bytes 5-4/10", contentRange{}, false},
		{"bytes 0-10/10", contentRange{}, false},
		{"bytes -1-5/10", contentRange{}, false},
		{"bytes +1-5/10", contentRange{}, false},
		{"bytes 1 -5/10", contentRange{}, false},
		{"bytes 1-5/ 10", contentRange{}, false},
		{"bytes 1-5", contentRange{}, false},
		{"bytes 0-1/99999999999999999999", contentRange{}, false},
		{"bytes 0-9223372036854775808/*", contentRange{}, false},
		{"bytes 0-9223372036854775807/*", contentRange{}, false}, // its length would overflow
		{"bytes 9223372036854775807-9223372036854775807/*", contentRange{}, false},
		{"bytes 9223372036854775806-9223372036854775806/*", contentRange{Start: 1<<63 - 2, End: 1<<63 - 2, Total: -1}, true},
		{"bytes 0x1-2/3", contentRange{}, false},
		{"bytes 1-2/3, bytes 4-5/6", contentRange{}, false},
	} {
		got, err := parseContentRange(tc.in)
		if !tc.ok {
			assert.ErrorIs(t, err, errContentRange, "%q", tc.in)
			continue
		}
		require.NoError(t, err, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
	cr, _ := parseContentRange("bytes 10-19/100")
	assert.Equal(t, int64(10), cr.Length())
}

// FuzzParseContentRange checks that no input panics and that every range
// accepted is consistent and prints back to an equivalent header.
func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-499/1234", "bytes */1234", "bytes 42-42/*", "bytes 5-4/10", "bytes 0-1/99999999999999999999", "Bytes  1-2/3", "bytes 0-9223372036854775806/*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cr, err := parseContentRange(s)
		if err != nil {
			return
		}
		if cr.Unsatisfied {
			if cr.Total < 0 {
				t.Fatalf("%q: unsatisfied range without a length", s)
			}
			again, err := parseContentRange("bytes */" + strconv.FormatInt(cr.Total, 10))
			if err != nil || again != cr {
				t.Fatalf("%q: %+v does not round-trip", s, cr)
			}
			return
		}
		if cr.Start < 0 || cr.End < cr.Start || cr.Length() < 1 || (cr.Total >= 0 && cr.End >= cr.Total) {
			t.Fatalf("%q: inconsistent %+v", s, cr)
		}
		total := "*"
		if cr.Total >= 0 {
			total = strconv.FormatInt(cr.Total, 10)
		}
		again, err := parseContentRange("bytes " + strconv.FormatInt(cr.Start, 10) + "-" + strconv.FormatInt(cr.End, 10) + "/" + total)
		if err != nil || again != cr {
			t.Fatalf("%q: %+v does not round-trip", s, cr)
		}
	})
}
