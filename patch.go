// This file holds PATCH documents for the Data profile: the Patch type, the
// choice of a format from the server's accept-patch (choosePatch), RFC 7396
// merge patches (applied by applyMerge, built from Go values by
// MergePatchOf) and their translation into RFC 6902 JSON Patch for servers
// that take only that. Sending is in data.go.

package level3

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"

	"github.com/l3go/level3/internal/jsonmerge"
)

// Patch media types (RFC 7396 and RFC 6902).
const (
	MediaMergePatch = "application/merge-patch+json"
	MediaJSONPatch  = "application/json-patch+json"
)

// PatchFormatError says which PATCH media types the server accepts (its
// accept-patch header) and which the caller offered, when they have none in
// common. It unwraps to [ErrPatchFormat].
type PatchFormatError struct {
	Accepted []string // from accept-patch, lower-cased
	Offered  []string // the formats of the Patch
}

// Error lists both sides.
func (e *PatchFormatError) Error() string {
	return fmt.Sprintf("level3: the server accepts PATCH as %s; offered %s",
		strings.Join(e.Accepted, ", "), strings.Join(e.Offered, ", "))
}

// Unwrap returns [ErrPatchFormat].
func (e *PatchFormatError) Unwrap() error { return ErrPatchFormat }

// Patch is a change to a JSON document in one or two formats. Give the formats
// you have; [Client.Patch] sends the one the server accepts (accept-patch),
// and can translate a merge patch into a JSON Patch when the server takes
// only that. The zero value offers nothing and cannot be sent.
type Patch struct {
	// Merge is an RFC 7396 JSON merge patch: an object whose members replace
	// the document's, null removing one. Nil when not offered.
	Merge json.RawMessage
	// JSON is an RFC 6902 JSON Patch: an array of operations. Nil when not
	// offered.
	JSON json.RawMessage
}

// MergePatchOf builds a merge patch from a Go value: typically a struct whose
// fields have `json:",omitempty"` tags, or a map, so that only the members to
// change are present (a nil map value or a json.RawMessage("null") removes
// one). It fails when v does not marshal to a JSON object.
func MergePatchOf(v any) (Patch, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Patch{}, fmt.Errorf("level3: MergePatchOf: %w", err)
	}
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return Patch{}, errors.New("level3: MergePatchOf: a merge patch must be a JSON object")
	}
	return Patch{Merge: b}, nil
}

// offered lists the formats p provides, merge patch first.
func (p Patch) offered() []string {
	var out []string
	if p.Merge != nil {
		out = append(out, MediaMergePatch)
	}
	if p.JSON != nil {
		out = append(out, MediaJSONPatch)
	}
	return out
}

// patchPlan is what choosePatch decided.
type patchPlan struct {
	mediaType string          // the format to send
	body      json.RawMessage // the document to send; nil when it must be translated
	translate bool            // translate p.Merge into a JSON Patch against the current document
}

// choosePatch picks the format to send from the server's accept-patch list
// (in the server's order of preference; empty when unknown) and the formats p
// offers. Without an accept-patch list it sends what it has, merge patch
// first. When the server takes only JSON Patch and p has only a merge patch,
// the merge patch is translated (which needs the current document).
func choosePatch(accepted []string, p Patch) (patchPlan, error) {
	offered := p.offered()
	if len(offered) == 0 {
		return patchPlan{}, errors.New("level3: the Patch offers no document")
	}
	if len(accepted) == 0 {
		if p.Merge != nil {
			return patchPlan{mediaType: MediaMergePatch, body: p.Merge}, nil
		}
		return patchPlan{mediaType: MediaJSONPatch, body: p.JSON}, nil
	}
	for _, a := range accepted {
		mt, _, err := mime.ParseMediaType(a)
		if err != nil {
			continue
		}
		switch {
		case mt == MediaMergePatch && p.Merge != nil:
			return patchPlan{mediaType: MediaMergePatch, body: p.Merge}, nil
		case mt == MediaJSONPatch && p.JSON != nil:
			return patchPlan{mediaType: MediaJSONPatch, body: p.JSON}, nil
		}
	}
	for _, a := range accepted {
		if mt, _, err := mime.ParseMediaType(a); err == nil && mt == MediaJSONPatch && p.Merge != nil {
			return patchPlan{mediaType: MediaJSONPatch, translate: true}, nil
		}
	}
	return patchPlan{}, &PatchFormatError{Accepted: accepted, Offered: offered}
}

// applyMerge applies the RFC 7396 merge patch to doc and returns the result
// (MergePatch, RFC 7396 §2). Both must be valid JSON.
func applyMerge(doc, patch []byte) ([]byte, error) {
	var d any
	if len(bytes.TrimSpace(doc)) > 0 {
		var err error
		if d, err = decodeJSON(doc); err != nil {
			return nil, fmt.Errorf("the document is not JSON: %w", err)
		}
	}
	p, err := decodeJSON(patch)
	if err != nil {
		return nil, fmt.Errorf("the merge patch is not JSON: %w", err)
	}
	return json.Marshal(jsonmerge.Apply(d, p))
}

// jsonPatchOp is one RFC 6902 operation: add and replace carry a value (null
// included), remove does not.
type jsonPatchOp struct {
	Op    string
	Path  string
	Value any
}

// MarshalJSON writes the operation with a value member unless it is a remove.
func (o jsonPatchOp) MarshalJSON() ([]byte, error) {
	if o.Op == "remove" {
		return json.Marshal(struct {
			Op   string `json:"op"`
			Path string `json:"path"`
		}{o.Op, o.Path})
	}
	return json.Marshal(struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}{o.Op, o.Path, o.Value})
}

// mergeToJSONPatch translates a merge patch into JSON Patch operations that
// have the same effect on doc, the current document: applying the result to
// doc gives what applyMerge(doc, merge) gives. The translation is exact for
// this doc only, so send it conditional on doc's validators. Operations come
// in a deterministic order (members sorted by name).
func mergeToJSONPatch(doc, merge []byte) ([]byte, error) {
	d, err := decodeJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("the current document is not JSON: %w", err)
	}
	p, err := decodeJSON(merge)
	if err != nil {
		return nil, fmt.Errorf("the merge patch is not JSON: %w", err)
	}
	ops := appendMergeOps(nil, "", d, p)
	if ops == nil {
		ops = []jsonPatchOp{}
	}
	return json.Marshal(ops)
}

// appendMergeOps appends the operations that merge patch into target at
// pointer path.
func appendMergeOps(ops []jsonPatchOp, path string, target, patch any) []jsonPatchOp {
	pm, ok := patch.(map[string]any)
	if !ok {
		// A non-object patch replaces the target entirely (the root with
		// path "" included: "replace" of "" replaces the whole document).
		return append(ops, jsonPatchOp{Op: "replace", Path: path, Value: patch})
	}
	tm, ok := target.(map[string]any)
	if !ok {
		// The target is not an object: the merge result is the patch
		// applied to an empty object, in one replacement.
		return append(ops, jsonPatchOp{Op: "replace", Path: path, Value: jsonmerge.Apply(nil, patch)})
	}
	for _, k := range sortedKeys(pm) {
		v := pm[k]
		child := path + "/" + escapePointer(k)
		cur, exists := tm[k]
		switch {
		case v == nil && exists:
			ops = append(ops, jsonPatchOp{Op: "remove", Path: child})
		case v == nil:
			// Removing an absent member is a no-op in a merge patch; JSON
			// Patch would fail on it.
		case !exists:
			ops = append(ops, jsonPatchOp{Op: "add", Path: child, Value: jsonmerge.Apply(nil, v)})
		default:
			ops = appendMergeOps(ops, child, cur, v)
		}
	}
	return ops
}

// decodeJSON decodes one JSON value, keeping numbers as json.Number so that
// large integers survive a round trip unchanged.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// escapePointer escapes one reference token of an RFC 6901 JSON Pointer.
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
