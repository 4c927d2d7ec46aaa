// This file holds the PATCH formats a Data resource applies: RFC 7396 JSON
// merge patch (mergePatch, in behaviour.go) and RFC 6902 JSON Patch
// (jsonPatch, here, on github.com/evanphx/json-patch/v5), chosen by
// content-type, with the statuses RFC 5789 §2.2 gives their failures.
// behaviour.go calls applyPatch.

package mocks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// Patch media types a Data resource may list in AcceptPatch.
const (
	MergePatch = "application/merge-patch+json"
	JSONPatch  = "application/json-patch+json"
)

// patchError is a patch that failed, with the status to answer.
type patchError struct {
	status int
	detail string
}

func (e *patchError) Error() string { return e.detail }

// applyPatch applies patch, of media type mt, to doc. Failures carry the
// status of RFC 5789 §2.2: 400 for a malformed patch document, 409 when it
// cannot apply to the current state (a missing path, a failed test), 422
// when the resource itself is not JSON.
func applyPatch(mt string, doc, patch []byte) ([]byte, *patchError) {
	if mt == JSONPatch {
		return jsonPatch(doc, patch)
	}
	if !json.Valid(patch) {
		return nil, &patchError{http.StatusBadRequest, "the merge patch is not JSON"}
	}
	out, err := mergePatch(doc, patch)
	if err != nil {
		return nil, &patchError{http.StatusUnprocessableEntity, err.Error()}
	}
	return out, nil
}

// jsonApply is how the library applies operations: RFC 6902 to the letter,
// so no negative array indices, and no escaping of <, > and & in the result.
var jsonApply = func() *jsonpatch.ApplyOptions {
	o := jsonpatch.NewApplyOptions()
	o.SupportNegativeIndices = false
	o.EscapeHTML = false
	return o
}()

// jsonPatch applies an RFC 6902 JSON Patch to doc. All operations apply or
// none does. The library applies them; this function adds what it does not
// check, and says which operation failed:
//   - the patch document is checked first (400): the library's decoding
//     (an array of operations, known ops, their members), then each pointer
//     (empty or starting with "/") and each move (not into itself);
//   - the document is wrapped in an array, [doc], and every pointer moved
//     below /0, so that any JSON value (a scalar too) can be patched and
//     the root replaced, added to or removed like any member;
//   - operations apply one at a time, so a failure (409) names its
//     operation, and an array index with a leading zero (RFC 6901 §4),
//     which the library would read as a number, is refused first.
func jsonPatch(doc, patch []byte) ([]byte, *patchError) {
	var ops []map[string]json.RawMessage
	if err := json.Unmarshal(patch, &ops); err != nil {
		return nil, &patchError{http.StatusBadRequest, "the JSON Patch is not an array of operations: " + err.Error()}
	}
	if !json.Valid(doc) {
		return nil, &patchError{http.StatusUnprocessableEntity, "the resource is not JSON"}
	}
	if _, err := jsonpatch.DecodePatch(patch); err != nil {
		return nil, &patchError{http.StatusBadRequest, "the JSON Patch is not an array of valid operations: " + err.Error()}
	}
	for i, op := range ops {
		if err := checkOp(op); err != nil {
			return nil, &patchError{http.StatusBadRequest, fmt.Sprintf("operation %d (%s): %v", i, opName(op), err)}
		}
	}
	cur := append(append([]byte("["), bytes.TrimSpace(doc)...), ']')
	for i, op := range ops {
		next, err := applyOne(cur, op)
		if err != nil {
			// The library names pointers as it saw them: below /0.
			msg := wrapperPointer.ReplaceAllString(err.Error(), "$1$2")
			return nil, &patchError{http.StatusConflict, fmt.Sprintf("operation %d (%s): %s", i, opName(op), msg)}
		}
		cur = next
	}
	var wrapped []json.RawMessage
	if err := json.Unmarshal(cur, &wrapped); err != nil || len(wrapped) > 1 {
		return nil, &patchError{http.StatusInternalServerError, "the patched document is lost"}
	}
	if len(wrapped) == 0 {
		return []byte("null"), nil // the root was removed
	}
	return wrapped[0], nil
}

// wrapperPointer finds the /0 jsonPatch puts before pointers, as the
// library's messages quote them.
var wrapperPointer = regexp.MustCompile(`([\s"':])/0([/"'\s:]|$)`)

// applyOne applies one operation to cur, a document wrapped in an array,
// and returns the new wrapped document (one element).
func applyOne(cur []byte, op map[string]json.RawMessage) ([]byte, error) {
	shifted := make(map[string]json.RawMessage, len(op))
	for k, v := range op {
		shifted[k] = v
	}
	for _, member := range []string{"path", "from"} {
		p, ok := pointerOf(op, member)
		if !ok {
			continue
		}
		if err := checkIndices(cur, "/0"+p); err != nil {
			return nil, err
		}
		shifted[member], _ = json.Marshal("/0" + p)
	}
	b, err := json.Marshal([]map[string]json.RawMessage{shifted})
	if err != nil {
		return nil, err
	}
	p, err := jsonpatch.DecodePatch(b)
	if err != nil {
		return nil, err
	}
	out, err := p.ApplyWithOptions(cur, jsonApply)
	if err != nil {
		return nil, err
	}
	// An add, copy or move to the root inserted the new document before
	// the old one: keep the first.
	var wrapped []json.RawMessage
	if err := json.Unmarshal(out, &wrapped); err != nil {
		return nil, err
	}
	if len(wrapped) > 1 {
		return json.Marshal(wrapped[:1])
	}
	return out, nil
}

// checkOp checks what the library does not: a test has a value, pointers
// are empty or start with "/", and a move does not go into its own value.
func checkOp(op map[string]json.RawMessage) error {
	if _, ok := op["value"]; !ok && opName(op) == "test" {
		return fmt.Errorf("missing value")
	}
	path, _ := pointerOf(op, "path")
	for _, member := range []string{"path", "from"} {
		if p, ok := pointerOf(op, member); ok && p != "" && p[0] != '/' {
			return fmt.Errorf("%s %q does not start with /", member, p)
		}
	}
	if from, ok := pointerOf(op, "from"); ok && opName(op) == "move" && path != from && strings.HasPrefix(path+"/", from+"/") {
		return fmt.Errorf("cannot move %q into itself (%q)", from, path)
	}
	return nil
}

// arrayIndex is an RFC 6901 array index: no sign, no leading zero.
var arrayIndex = regexp.MustCompile(`^(0|[1-9][0-9]*|-)$`)

// checkIndices refuses a pointer that indexes an array of doc with
// anything but an RFC 6901 index ("01", "+1", "1e0"...).
func checkIndices(doc []byte, pointer string) error {
	var cur any
	if err := json.Unmarshal(doc, &cur); err != nil {
		return err
	}
	for _, tok := range strings.Split(pointer, "/")[1:] {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case []any:
			if !arrayIndex.MatchString(tok) {
				return fmt.Errorf("bad array index %q", tok)
			}
			var i int
			if _, err := fmt.Sscan(tok, &i); err != nil || i >= len(c) {
				return nil // the library reports "-" and indices out of range
			}
			cur = c[i]
		case map[string]any:
			cur = c[tok]
		default:
			return nil
		}
	}
	return nil
}

// pointerOf returns the string member (path or from) of op.
func pointerOf(op map[string]json.RawMessage, member string) (string, bool) {
	var p string
	raw, ok := op[member]
	if !ok || json.Unmarshal(raw, &p) != nil {
		return "", false
	}
	return p, true
}

// opName returns the op member of op.
func opName(op map[string]json.RawMessage) string {
	var name string
	_ = json.Unmarshal(op["op"], &name)
	return name
}
