package level3

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCacheStatusParsing(t *testing.T) {
	cases := []struct {
		name   string
		values []string
		want   map[string]string
		found  bool
	}{
		{"ours", []string{"level3; fwd=stale; fwd-status=304"}, map[string]string{"fwd": "stale", "fwd-status": "304"}, true},
		{"last of ours wins, others skipped", []string{`cdn; hit, level3; fwd=uri-miss`, `level3; hit`},
			map[string]string{"hit": "?1"}, true},
		{"quoted name and a comma in a string", []string{`"level3"; detail="a, b"; fwd=bypass`},
			map[string]string{"detail": "a, b", "fwd": "bypass"}, true},
		{"escaped quote", []string{`level3; detail="say \"hi\""`}, map[string]string{"detail": `say "hi"`}, true},
		{"not ours", []string{"cdn; hit"}, nil, false},
		{"empty", nil, nil, false},
		{"garbage", []string{`;;,,"`, `level3;`}, map[string]string{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := lastCacheStatus(tc.values, CacheName)
			assert.Equal(t, tc.found, ok)
			assert.Equal(t, tc.want, got)
		})
	}
	assert.True(t, FromCache(&http.Response{Header: http.Header{"Cache-Status": {"level3; fwd=stale; fwd-status=304"}}}))
	assert.False(t, FromCache(&http.Response{Header: http.Header{"Cache-Status": {"level3; fwd=stale; fwd-status=200"}}}))
	assert.False(t, FromCache(&http.Response{Header: http.Header{"Cache-Status": {"cdn; hit"}}}))
	assert.False(t, FromCache(nil))
}
