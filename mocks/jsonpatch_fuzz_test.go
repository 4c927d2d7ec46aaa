package mocks

import (
	"encoding/json"
	"testing"
)

// FuzzJSONPatch checks that the fake server's JSON Patch never panics, that
// a failure carries a 4xx status, and that a success is a JSON document.
func FuzzJSONPatch(f *testing.F) {
	f.Add(`{"a":[1,2]}`, `[{"op":"add","path":"/a/-","value":3}]`)
	f.Add(`{"a":{"b":1}}`, `[{"op":"move","from":"/a","path":"/a/b"}]`)
	f.Add(`[1,[2,[3]]]`, `[{"op":"copy","from":"/1/1","path":"/0"},{"op":"test","path":"/0","value":[3]}]`)
	f.Add(`{}`, `[{"op":"replace","path":"","value":null},{"op":"remove","path":"/x"}]`)
	f.Fuzz(func(t *testing.T, doc, patch string) {
		out, perr := applyPatch(JSONPatch, []byte(doc), []byte(patch))
		if perr != nil {
			if perr.status < 400 || perr.status > 499 {
				t.Fatalf("status %d", perr.status)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid result %q", out)
		}
	})
}
