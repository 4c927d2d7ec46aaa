// This file holds the PATCH formats a Data resource applies: RFC 7396 JSON
// merge patch (mergePatch, in behaviour.go) and RFC 6902 JSON Patch
// (jsonPatch, here), chosen by content-type, with the statuses RFC 5789 §2.2
// gives their failures. behaviour.go calls applyPatch.

package mocks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
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
		out, err := jsonPatch(doc, patch)
		if err != nil {
			var pe *patchError
			if errors.As(err, &pe) {
				return nil, pe
			}
			return nil, &patchError{http.StatusConflict, err.Error()}
		}
		return out, nil
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

// jsonOp is one RFC 6902 operation as sent.
type jsonOp struct {
	Op    string           `json:"op"`
	Path  *string          `json:"path"`
	From  *string          `json:"from"`
	Value *json.RawMessage `json:"value"`
}

// jsonPatch applies an RFC 6902 JSON Patch to doc. All operations apply or
// none does.
func jsonPatch(doc, patch []byte) ([]byte, error) {
	var ops []jsonOp
	if err := json.Unmarshal(patch, &ops); err != nil {
		return nil, &patchError{http.StatusBadRequest, "the JSON Patch is not an array of operations: " + err.Error()}
	}
	root, err := decodeNumber(doc)
	if err != nil {
		return nil, &patchError{http.StatusUnprocessableEntity, "the resource is not JSON"}
	}
	for i, op := range ops {
		if root, err = applyOp(root, op); err != nil {
			var pe *patchError
			if errors.As(err, &pe) {
				pe.detail = fmt.Sprintf("operation %d (%s): %s", i, op.Op, pe.detail)
				return nil, pe
			}
			return nil, fmt.Errorf("operation %d (%s): %w", i, op.Op, err)
		}
	}
	return json.Marshal(root)
}

// applyOp applies one operation and returns the new root.
func applyOp(root any, op jsonOp) (any, error) {
	if op.Path == nil {
		return nil, &patchError{http.StatusBadRequest, "missing path"}
	}
	path := *op.Path
	value := func() (any, error) {
		if op.Value == nil {
			return nil, &patchError{http.StatusBadRequest, "missing value"}
		}
		return decodeNumber(*op.Value)
	}
	from := func() (string, error) {
		if op.From == nil {
			return "", &patchError{http.StatusBadRequest, "missing from"}
		}
		return *op.From, nil
	}
	switch op.Op {
	case "add":
		v, err := value()
		if err != nil {
			return nil, err
		}
		return pointerAdd(root, path, v)
	case "remove":
		root, _, err := pointerRemove(root, path)
		return root, err
	case "replace":
		v, err := value()
		if err != nil {
			return nil, err
		}
		if root, _, err = pointerRemove(root, path); err != nil {
			return nil, err
		}
		return pointerAdd(root, path, v)
	case "move", "copy":
		f, err := from()
		if err != nil {
			return nil, err
		}
		if op.Op == "move" && strings.HasPrefix(path+"/", f+"/") && path != f {
			return nil, &patchError{http.StatusBadRequest, "cannot move a value into itself"}
		}
		v, err := pointerGet(root, f)
		if err != nil {
			return nil, err
		}
		if op.Op == "move" {
			if root, _, err = pointerRemove(root, f); err != nil {
				return nil, err
			}
		} else {
			v = deepCopy(v)
		}
		return pointerAdd(root, path, v)
	case "test":
		v, err := value()
		if err != nil {
			return nil, err
		}
		got, err := pointerGet(root, path)
		if err != nil {
			return nil, err
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(v)
		if !bytes.Equal(a, b) {
			return nil, fmt.Errorf("test failed at %q", path)
		}
		return root, nil
	default:
		return nil, &patchError{http.StatusBadRequest, fmt.Sprintf("unknown op %q", op.Op)}
	}
}

// splitPointer splits an RFC 6901 JSON Pointer into unescaped tokens.
func splitPointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, &patchError{http.StatusBadRequest, fmt.Sprintf("pointer %q does not start with /", p)}
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

// pointerGet returns the value at p.
func pointerGet(root any, p string) (any, error) {
	tokens, err := splitPointer(p)
	if err != nil {
		return nil, err
	}
	cur := root
	for _, t := range tokens {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[t]
			if !ok {
				return nil, fmt.Errorf("no member %q", t)
			}
			cur = v
		case []any:
			i, err := arrayIndex(t, len(c), false)
			if err != nil {
				return nil, err
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("cannot descend into a scalar at %q", t)
		}
	}
	return cur, nil
}

// pointerAdd adds v at p (replacing an object member, inserting into an
// array) and returns the new root.
func pointerAdd(root any, p string, v any) (any, error) {
	tokens, err := splitPointer(p)
	if err != nil {
		return nil, err
	}
	if len(tokens) == 0 {
		return v, nil
	}
	parentPath := p[:strings.LastIndex(p, "/")]
	parent, err := pointerGet(root, parentPath)
	if err != nil {
		return nil, err
	}
	last := tokens[len(tokens)-1]
	switch c := parent.(type) {
	case map[string]any:
		c[last] = v
		return root, nil
	case []any:
		i := len(c)
		if last != "-" {
			if i, err = arrayIndex(last, len(c), true); err != nil {
				return nil, err
			}
		}
		grown := append(c[:i:i], append([]any{v}, c[i:]...)...)
		return pointerSet(root, parentPath, grown)
	default:
		return nil, fmt.Errorf("cannot add a member to a scalar at %q", parentPath)
	}
}

// pointerSet replaces the existing value at p with v (used to put back an
// array that grew or shrank) and returns the new root.
func pointerSet(root any, p string, v any) (any, error) {
	tokens, err := splitPointer(p)
	if err != nil {
		return nil, err
	}
	if len(tokens) == 0 {
		return v, nil
	}
	parentPath := p[:strings.LastIndex(p, "/")]
	parent, err := pointerGet(root, parentPath)
	if err != nil {
		return nil, err
	}
	last := tokens[len(tokens)-1]
	switch c := parent.(type) {
	case map[string]any:
		c[last] = v
	case []any:
		i, err := arrayIndex(last, len(c), false)
		if err != nil {
			return nil, err
		}
		c[i] = v
	default:
		return nil, fmt.Errorf("cannot set a member of a scalar at %q", parentPath)
	}
	return root, nil
}

// pointerRemove removes the value at p and returns the new root and the
// removed value.
func pointerRemove(root any, p string) (any, any, error) {
	tokens, err := splitPointer(p)
	if err != nil {
		return nil, nil, err
	}
	if len(tokens) == 0 {
		return nil, root, nil
	}
	parentPath := p[:strings.LastIndex(p, "/")]
	parent, err := pointerGet(root, parentPath)
	if err != nil {
		return nil, nil, err
	}
	last := tokens[len(tokens)-1]
	switch c := parent.(type) {
	case map[string]any:
		v, ok := c[last]
		if !ok {
			return nil, nil, fmt.Errorf("no member %q to remove", last)
		}
		delete(c, last)
		return root, v, nil
	case []any:
		i, err := arrayIndex(last, len(c), false)
		if err != nil {
			return nil, nil, err
		}
		v := c[i]
		shrunk := append(append([]any{}, c[:i]...), c[i+1:]...)
		root, err := pointerSet(root, parentPath, shrunk)
		return root, v, err
	default:
		return nil, nil, fmt.Errorf("cannot remove from a scalar at %q", parentPath)
	}
}

// arrayIndex parses an array index token (no leading zeros, RFC 6901 §4);
// insert allows the index one past the end.
func arrayIndex(t string, n int, insert bool) (int, error) {
	if t == "" || len(t) > 1 && t[0] == '0' {
		return 0, fmt.Errorf("bad array index %q", t)
	}
	i, err := strconv.Atoi(t)
	if err != nil || i < 0 || i > n || i == n && !insert {
		return 0, fmt.Errorf("array index %q out of range", t)
	}
	return i, nil
}

// decodeNumber decodes JSON keeping numbers exact.
func decodeNumber(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// deepCopy copies a decoded JSON value.
func deepCopy(v any) any {
	switch c := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(c))
		for k, x := range c {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		s := make([]any, len(c))
		for i, x := range c {
			s[i] = deepCopy(x)
		}
		return s
	}
	return v
}
