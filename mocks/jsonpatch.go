// This file holds the PATCH formats a Data resource applies: RFC 7396 JSON
// merge patch (mergePatch, in behaviour.go) and RFC 6902 JSON Patch
// (jsonPatch, here, on github.com/evanphx/json-patch/v5), chosen by
// content-type, with the statuses RFC 5789 §2.2 gives their failures.
// behaviour.go calls applyPatch.

package mocks

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// Patch media types a Data resource may list in AcceptPatch.
const (
	MergePatch = "application/merge-patch+json"
	JSONPatch  = "application/json-patch+json"
)

// maxCopyGrowth bounds how much a JSON Patch's copy operations may grow a
// document, so that a patch of a few copies of copies cannot exhaust memory.
const maxCopyGrowth = 4 << 20

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

// jsonPatch applies an RFC 6902 JSON Patch to doc: all operations apply or
// none does. github.com/evanphx/json-patch/v5 does the work, with negative
// array indices (its extension) turned off. Around it, this function adds
// what it leaves out:
//
//   - a pointer that is neither "" nor starts with "/", a move into a
//     location's own child (RFC 6902 §4.4) and a test without a value
//     (§4.6) make the patch malformed (400), where the library reports a
//     missing path or a failed test (409);
//   - the document may be any JSON value, and an operation on the root ("")
//     may put any value there: the library takes only objects and arrays,
//     so the document is wrapped in an object ({"doc": doc}) and every
//     pointer prefixed to match. Removing the root leaves no document (409).
//
// Known differences from RFC 6901, from the library: an array index with a
// leading zero ("01") is read as a number rather than refused; and the
// library confuses a member named "" (the pointer "/", or any pointer with
// an empty reference token) with the whole document in move, copy and test,
// so such pointers are refused with 422 rather than misapplied. Members of a
// changed object keep their order, new ones coming last.
func jsonPatch(doc, patch []byte) ([]byte, *patchError) {
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		return nil, &patchError{http.StatusBadRequest, "the JSON Patch is not an array of valid operations: " + err.Error()}
	}
	if !json.Valid(doc) {
		return nil, &patchError{http.StatusUnprocessableEntity, "the resource is not JSON"}
	}
	for i, op := range p {
		if err := rootOp(op); err != nil {
			status := http.StatusBadRequest
			if errors.Is(err, errEmptyToken) {
				status = http.StatusUnprocessableEntity
			}
			return nil, &patchError{status, fmt.Sprintf("operation %d (%s): %v", i, op.Kind(), err)}
		}
	}
	wrapped, err := json.Marshal(map[string]json.RawMessage{wrapKey: doc})
	if err != nil {
		return nil, &patchError{http.StatusUnprocessableEntity, "the resource is not JSON"}
	}
	opts := jsonpatch.NewApplyOptions()
	opts.SupportNegativeIndices = false
	opts.AccumulatedCopySizeLimit = maxCopyGrowth
	out, err := p.ApplyWithOptions(wrapped, opts)
	if err != nil {
		return nil, &patchError{http.StatusConflict, err.Error()}
	}
	var root map[string]json.RawMessage
	if err := json.Unmarshal(out, &root); err != nil {
		return nil, &patchError{http.StatusConflict, err.Error()}
	}
	result, ok := root[wrapKey]
	if !ok {
		return nil, &patchError{http.StatusConflict, "the patch removes the whole document"}
	}
	return result, nil
}

// errEmptyToken is a pointer naming a member "", which jsonPatch refuses
// because the library misapplies it.
var errEmptyToken = errors.New("a pointer with an empty reference token (a member named \"\") is not supported by this fake server")

// wrapKey is the member of the wrapper object that holds the document while
// jsonPatch applies a patch (the library mishandles an empty member name
// at the root, so it is not "").
const wrapKey = "doc"

// rootOp checks the pointers of op (RFC 6901: "" or starting with "/"),
// that a move does not go into its own child and that a test has a value
// to compare with, then prefixes the pointers with
// "/doc" so that they address the document inside the wrapper jsonPatch
// applies the patch to.
func rootOp(op jsonpatch.Operation) error {
	pointers := map[string]string{}
	for _, field := range []string{"path", "from"} {
		raw, ok := op[field]
		if !ok || raw == nil {
			continue // DecodePatch has made sure the operation has what it needs
		}
		var ptr string
		if err := json.Unmarshal(*raw, &ptr); err != nil {
			return fmt.Errorf("%s is not a string", field)
		}
		if ptr != "" && !strings.HasPrefix(ptr, "/") {
			return fmt.Errorf("%s %q does not start with /", field, ptr)
		}
		pointers[field] = ptr
	}
	switch op.Kind() {
	case "move":
		if strings.HasPrefix(pointers["path"], pointers["from"]+"/") {
			return fmt.Errorf("cannot move %q into its own child %q", pointers["from"], pointers["path"])
		}
	case "test":
		if _, ok := op["value"]; !ok {
			return errors.New("missing value")
		}
	}
	for _, field := range []string{"path", "from"} {
		if ptr := pointers[field]; strings.HasSuffix(ptr, "/") || strings.Contains(ptr, "//") {
			return fmt.Errorf("%s %q: %w", field, ptr, errEmptyToken)
		}
	}
	for field, ptr := range pointers {
		b, err := json.Marshal("/" + wrapKey + ptr)
		if err != nil {
			return err
		}
		raw := json.RawMessage(b)
		op[field] = &raw
	}
	return nil
}
