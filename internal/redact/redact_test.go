package redact

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestURL(t *testing.T) {
	for _, c := range []struct {
		in, want string
		needed   bool
	}{
		{"https://api.example/orders?page=2#top", "https://api.example/orders?page=2#top", false},
		{"https://ann:s3cret@api.example/x", "https://ann:xxxxx@api.example/x", true},
		{"https://ghp_T0KEN@github.com/o/r", "https://xxxxx@github.com/o/r", true},
		{"https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F2026&X-Amz-Signature=abc123&X-Amz-Expires=60",
			"https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=xxxxx&X-Amz-Expires=60&X-Amz-Signature=xxxxx", true},
		{"https://storage.googleapis.com/b/o?X-Goog-Signature=ff00&X-Goog-Date=20261201", "https://storage.googleapis.com/b/o?X-Goog-Date=20261201&X-Goog-Signature=xxxxx", true},
		{"https://a.blob.core.windows.net/c/f?sv=2022&sig=AbC%3D", "https://a.blob.core.windows.net/c/f?sig=xxxxx&sv=2022", true},
		{"http://h/?access_token=t&api_key=k&apikey=k2", "http://h/?access_token=xxxxx&api_key=xxxxx&apikey=xxxxx", true},
		{"http://h/?Token=t", "http://h/?Token=xxxxx", true},
		{"http://h/?a=1;token=t", "http://h/?xxxxx", true}, // unparsable query: all of it
		{"http://h/cb#access_token=t&state=s", "http://h/cb#access_token=xxxxx&state=s", true},
		{"http://h/doc#section-2", "http://h/doc#section-2", false},
		{"http://h/p?q=%2F", "http://h/p?q=%2F", false},
	} {
		u, err := url.Parse(c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, URL(u), c.in)
		assert.Equal(t, c.needed, Needed(u), c.in)
		assert.Equal(t, c.want, String(c.in), c.in)
	}
	assert.Empty(t, URL(nil))
	assert.False(t, Needed(nil))
	assert.Equal(t, "(unparsable URL)", String("http://a b/%zz"))
}

func TestSensitiveName(t *testing.T) {
	for _, name := range []string{"X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "X-Goog-Signature",
		"X-Goog-Credential", "access_token", "api_key", "token", "sig", "client_secret", "password", "pwd", "jwt", "SAMLResponse"} {
		assert.True(t, SensitiveName(name), name)
	}
	for _, name := range []string{"page", "X-Amz-Expires", "sv", "state", "q"} {
		assert.False(t, SensitiveName(name), name)
	}
}

// FuzzURL checks that URL never panics, changes nothing when nothing is to
// hide, and leaves no credential-like value, password or lone user name in
// what it returns.
func FuzzURL(f *testing.F) {
	for _, s := range []string{"http://u:p@h/?token=t&a=b", "http://T@h/", "https://h/x?X-Amz-Signature=s#access_token=t",
		"http://h/?a=%zz", "http://[::1]:80/%41?sig=1", "mailto:a@b?token=t", "/rel?key=v#k=v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		out := URL(u)
		if again := String(out); again != out && out != "" {
			// Stored redacted URLs (journals) are redacted again when read.
			t.Fatalf("not idempotent: %q gave %q, then %q", raw, out, again)
		}
		if !Needed(u) {
			if out != u.String() {
				t.Fatalf("nothing to hide, but %q became %q", u.String(), out)
			}
			return
		}
		back, err := url.Parse(out)
		if err != nil {
			return // u.String() of an odd URL need not parse again
		}
		if back.User != nil {
			if p, ok := back.User.Password(); ok && p != Mask {
				t.Fatalf("password %q kept in %q", p, out)
			} else if !ok && back.User.Username() != Mask {
				t.Fatalf("lone user name %q kept in %q", back.User.Username(), out)
			}
		}
		for _, part := range []string{back.RawQuery, back.EscapedFragment()} {
			q, err := url.ParseQuery(part)
			if err != nil {
				continue
			}
			for name, vals := range q {
				for _, v := range vals {
					if SensitiveName(name) && v != Mask && v != "" {
						t.Fatalf("%s=%q kept in %q", name, v, out)
					}
				}
			}
		}
	})
}
