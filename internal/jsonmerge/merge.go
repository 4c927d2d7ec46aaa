// Package jsonmerge holds the MergePatch function of RFC 7396 (JSON Merge
// Patch), shared by the client (patch.go) and the fake server (mocks), which
// cannot import each other's packages.
package jsonmerge

// Apply returns target with patch merged in, as RFC 7396 §2 defines it, on
// values decoded by encoding/json into any. A patch that is not an object
// replaces the target; a null member removes that member. Maps of target may
// be modified and reused.
func Apply(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
		} else {
			tm[k] = Apply(tm[k], v)
		}
	}
	return tm
}
