package level3

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dunglas/httpsfv"
)

// FuzzMergeToJSONPatch checks that translating a merge patch into JSON Patch
// never panics and, whenever both documents are JSON, gives operations that
// do to the document exactly what the merge patch does: the operations are
// applied by github.com/evanphx/json-patch/v5 (mustJSONPatch), the merge by
// our own jsonmerge. Pointers naming a member "" are left out of the
// comparison: that library misapplies them.
func FuzzMergeToJSONPatch(f *testing.F) {
	for _, seed := range [][2]string{
		{`{"a":1,"b":{"c":2}}`, `{"a":3,"d":4}`},
		{`{"b":{"c":2,"e":1}}`, `{"b":{"c":null,"f":[1]}}`},
		{`{"a/b":1,"m~n":2}`, `{"a/b":null,"m~n":3}`},
		{`[1]`, `{"a":1}`},
		{`{"a":1}`, `null`},
		{`{"a":{"x":1}}`, `{"a":{"x":{"y":null}}}`},
		{`{"n":1e400}`, `{"n":12345678901234567890}`},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, doc, merge string) {
		ops, err := mergeToJSONPatch([]byte(doc), []byte(merge))
		_, derr := decodeJSON([]byte(doc))
		_, merr := decodeJSON([]byte(merge))
		if derr != nil || merr != nil {
			if err == nil {
				t.Fatalf("no error for invalid JSON: doc %q merge %q", doc, merge)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid JSON refused: %v", err)
		}
		if !json.Valid(ops) {
			t.Fatalf("invalid JSON Patch %s", ops)
		}
		if bytes.Contains(ops, []byte(`/"`)) || bytes.Contains(ops, []byte(`//`)) {
			return // a member named "": the reference engine misapplies those pointers
		}
		if got, want := mustJSONPatch(t, doc, string(ops)), mustMerge(t, doc, merge); got != want {
			t.Fatalf("doc %s merge %s\nops %s\n got %s\nwant %s", doc, merge, ops, got, want)
		}
	})
}

// FuzzCacheStatus checks that reading Cache-Status never panics and that the
// member this cache appends is found whatever other caches wrote before it.
func FuzzCacheStatus(f *testing.F) {
	for _, s := range []string{"", "cdn; hit", `"level3"; fwd=stale; fwd-status=304`, `x; detail="a, \"b\""`, `;;,"`, `level3; hit, level3;`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, before string) {
		h := http.Header{}
		h.Add("Cache-Status", before)
		lastCacheStatus(h.Values("Cache-Status"), CacheName)
		addCacheStatus(h, "fwd=stale; fwd-status=304")
		if !FromCache(&http.Response{Header: h}) {
			t.Fatalf("our member not found after %q", before)
		}
		addCacheStatus(h, "fwd=uri-miss")
		if FromCache(&http.Response{Header: h}) {
			t.Fatalf("an earlier member read instead of the last, after %q", before)
		}
	})
}

// FuzzCacheDecisions feeds arbitrary header values to the cache's decisions:
// none may panic, a 304 naming another entity tag never validates, and
// framing fields are never refreshed.
func FuzzCacheDecisions(f *testing.F) {
	f.Add(`"a"`, `"a"`, "Tue, 24 Nov 2026 10:00:00 GMT", "accept", "no-store", "7")
	f.Add(`W/"a"`, `"b"`, "garbage", "*", "max-age=0", "-1")
	f.Add(`"a"`, `"a"`, "", "(credentials), Cookie", "", "3")
	f.Fuzz(func(t *testing.T, storedTag, newTag, lastModified, vary, cacheControl, contentLength string) {
		stored := &CachedResponse{Header: http.Header{"Etag": {storedTag}, "Last-Modified": {lastModified}, "Content-Length": {"3"}}, Body: []byte("abc")}
		h := http.Header{"Etag": {newTag}, "Vary": {vary}, "Cache-Control": {cacheControl}, "Content-Length": {contentLength}}
		got, ok := freshen(stored, h, time.Time{})
		if ok {
			if got.Header.Get("Content-Length") != "3" {
				t.Fatal("content-length refreshed")
			}
			a, b := strings.TrimPrefix(storedTag, "W/"), strings.TrimPrefix(newTag, "W/")
			if strings.TrimSpace(storedTag) != "" && strings.TrimSpace(newTag) != "" && strings.TrimSpace(a) != strings.TrimSpace(b) {
				t.Fatalf("%q validated by a 304 for %q", storedTag, newTag)
			}
		}
		req, _ := http.NewRequest(http.MethodGet, "http://h/x", nil)
		req.Header.Set("Cache-Control", cacheControl)
		req.Header.Set(strings.TrimSpace(vary), newTag)
		cacheUse(req)
		resp := &http.Response{StatusCode: 200, Header: h, ContentLength: 3}
		if storable(resp, 10) && hasDirective(h.Values("Cache-Control"), "no-store") {
			t.Fatal("no-store stored")
		}
		creds := newCredentialPolicy([]string{"X-Api-Key"}, nil)
		vary2 := varyValues(req, h, creds)
		if !varyMatches(&CachedResponse{Vary: vary2}, req, creds) {
			t.Fatalf("a request does not select what it stored (vary %q)", vary)
		}
		for name, v := range vary2 {
			if creds.sensitive(name) && v != "" {
				t.Fatalf("credential %s kept in clear", name)
			}
		}
	})
}

// FuzzIfMatch checks that RequestOptions.IfVersion with an entity tag
// either refuses it or sends a valid strong entity tag that cannot split the
// header.
func FuzzIfMatch(f *testing.F) {
	for _, s := range []string{"abc", `"abc"`, `W/"x"`, "", `"a"b"`, "a\r\nX: y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		req, _ := http.NewRequest(http.MethodPut, "http://h/", nil)
		out, err := (&RequestOptions{IfVersion: Validators{ETag: tag}}).Apply(req)
		if err != nil {
			return
		}
		got := out.Header.Get("If-Match")
		if tag == "" && got == "" {
			return // no validator, no precondition
		}
		if !isStrongETag(got) || !validHeaderValue(got) {
			t.Fatalf("IfVersion{ETag: %q} sent %q", tag, got)
		}
	})
}

// FuzzIdempotencyKeyField checks the one serialisation of idempotency keys:
// a key is either refused or sent as an RFC 9651 string item that cannot
// split the header and that parses back (with github.com/dunglas/httpsfv)
// to the key itself; a key given already serialised (a quoted string, with
// any parameters) is sent as that item.
func FuzzIdempotencyKeyField(f *testing.F) {
	for _, s := range []string{"order-42", NewIdempotencyKey(), `"quoted"`, `a"b\c`, "", " x ", "caf\u00e9", "a\r\nX: y", `"unterminated`, `"a"; p=1`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		v, err := idempotencyKeyField(key)
		if err != nil {
			return
		}
		if !validHeaderValue(v) {
			t.Fatalf("%q became the invalid field %q", key, v)
		}
		it, err := httpsfv.UnmarshalItem([]string{v})
		if err != nil {
			t.Fatalf("%q became %q, not an RFC 9651 item: %v", key, v, err)
		}
		got, ok := it.Value.(string)
		if !ok {
			t.Fatalf("%q became %q, not a string", key, v)
		}
		if given, err := httpsfv.UnmarshalItem([]string{key}); err == nil && strings.HasPrefix(strings.TrimSpace(key), `"`) {
			if want, _ := httpsfv.Marshal(given); v != want {
				t.Fatalf("the serialised key %q became %q, not %q", key, v, want)
			}
			return
		}
		if got != key || len(it.Params.Names()) != 0 {
			t.Fatalf("%q became %q, which holds %q", key, v, got)
		}
	})
}
