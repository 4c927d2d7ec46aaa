package mocks

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzJSONPatch checks what the fake server adds around the JSON Patch
// library: it never panics; a failure carries a 4xx status; it never modifies the stored document it is
// given, which stays the resource's state when a patch fails; a success is
// a JSON document that the library itself then tests equal to what it
// returned (a test of the root against the result), and applying the same
// patch again gives the same bytes.
func FuzzJSONPatch(f *testing.F) {
	f.Add(`{"a":[1,2]}`, `[{"op":"add","path":"/a/-","value":3}]`)
	f.Add(`{"a":{"b":1}}`, `[{"op":"move","from":"/a","path":"/a/b"}]`)
	f.Add(`[1,[2,[3]]]`, `[{"op":"copy","from":"/1/1","path":"/0"},{"op":"test","path":"/0","value":[3]}]`)
	f.Add(`{}`, `[{"op":"replace","path":"","value":null},{"op":"remove","path":"/x"}]`)
	f.Add(`{"":{"":1}}`, `[{"op":"move","from":"/","path":"/0"}]`)
	f.Add(`"s"`, `[{"op":"remove","path":""},{"op":"add","path":"","value":[0]}]`)
	f.Add(`[1,[0,[3]]]`, `[{"op":"test","path":"/0"}]`)
	f.Fuzz(func(t *testing.T, doc, patch string) {
		stored := []byte(doc)
		out, perr := applyPatch(JSONPatch, stored, []byte(patch))
		if !bytes.Equal(stored, []byte(doc)) {
			t.Fatalf("the stored document changed: %q became %q", doc, stored)
		}
		if perr != nil {
			if perr.status < 400 || perr.status > 499 {
				t.Fatalf("status %d", perr.status)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid result %q", out)
		}
		again, perr := applyPatch(JSONPatch, stored, []byte(patch))
		if perr != nil || !bytes.Equal(again, out) {
			t.Fatalf("the same patch gave %q, then %q (%v)", out, again, perr)
		}
		test, _ := json.Marshal([]map[string]any{{"op": "test", "path": "", "value": json.RawMessage(out)}})
		if _, perr := applyPatch(JSONPatch, out, test); perr != nil {
			t.Fatalf("the result %s does not test equal to itself: %s", out, perr.detail)
		}
	})
}
