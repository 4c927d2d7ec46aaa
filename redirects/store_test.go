package redirects

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestKey(t *testing.T) {
	cases := map[string]string{
		"http://a/x":               "http://a:80/x",
		"HTTP://A.Example/X":       "http://a.example:80/X",
		"https://a/x?b=1&a=2":      "https://a:443/x?b=1&a=2",
		"https://a:443":            "https://a:443/",
		"http://a:8080/x#frag":     "http://a:8080/x",
		"http://ann:secret@a/x":    "http://a:80/x",
		"http://a/x?":              "http://a:80/x?",
		"http://[::1]:9/p%20q":     "http://[::1]:9/p%20q",
		"http://a/%7Eann":          "http://a:80/%7Eann",
		"/relative":                "",
		"ftp://a/x":                "",
		"mailto:ann@a":             "",
		"http:///nohost":           "",
		"HTTP://::":                "",
		"http://a:/x":              "http://a:80/x",
		"http://[fe80::1%25en0]/x": "http://[fe80::1%25en0]:80/x",
	}
	for in, want := range cases {
		u, err := url.Parse(in)
		if err != nil { // Go 1.26 refuses "HTTP://::" when parsing: no key either way
			assert.Empty(t, want, "%s: %v", in, err)
			continue
		}
		assert.Equal(t, want, Key(u), in)
	}
	assert.Equal(t, "", Key(nil))
}

func TestEntryExpired(t *testing.T) {
	now := time.Now()
	assert.False(t, Entry{}.Expired(now), "zero Expires never expires")
	assert.False(t, Entry{Expires: now.Add(time.Second)}.Expired(now))
	assert.True(t, Entry{Expires: now}.Expired(now))
	assert.True(t, Entry{Expires: now.Add(-time.Second)}.Expired(now))
}
