package level3

import (
	"encoding/json"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChoosePatch(t *testing.T) {
	merge := json.RawMessage(`{"a":1}`)
	ops := json.RawMessage(`[{"op":"add","path":"/a","value":1}]`)
	both := Patch{Merge: merge, JSON: ops}
	cases := []struct {
		name      string
		accepted  []string
		p         Patch
		mediaType string
		translate bool
		err       error
	}{
		{"unknown server, merge first", nil, both, MediaMergePatch, false, nil},
		{"unknown server, JSON Patch only", nil, Patch{JSON: ops}, MediaJSONPatch, false, nil},
		{"server order wins", []string{MediaJSONPatch, MediaMergePatch}, both, MediaJSONPatch, false, nil},
		{"parameters and case ignored", []string{"Application/Merge-Patch+JSON; charset=utf-8"}, both, MediaMergePatch, false, nil},
		{"server takes only JSON Patch: translate", []string{MediaJSONPatch}, Patch{Merge: merge}, MediaJSONPatch, true, nil},
		{"server takes only merge, we have JSON Patch", []string{MediaMergePatch}, Patch{JSON: ops}, "", false, ErrPatchFormat},
		{"nothing in common", []string{"application/xml-patch+xml", "bad;;"}, both, "", false, ErrPatchFormat},
		{"empty patch", nil, Patch{}, "", false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := choosePatch(tc.accepted, tc.p)
			if tc.mediaType == "" {
				require.Error(t, err)
				if tc.err != nil {
					assert.ErrorIs(t, err, tc.err)
					var pfe *PatchFormatError
					require.ErrorAs(t, err, &pfe)
					assert.Equal(t, tc.accepted, pfe.Accepted)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.mediaType, plan.mediaType)
			assert.Equal(t, tc.translate, plan.translate)
			if !tc.translate {
				assert.NotNil(t, plan.body)
			}
		})
	}
}

func TestPatchRetryPlan(t *testing.T) {
	merge := json.RawMessage(`{"a":1}`)
	ops := json.RawMessage(`[]`)
	plan, ok := patchRetryPlan([]string{"application/json-patch+json"}, MediaMergePatch, Patch{Merge: merge, JSON: ops})
	require.True(t, ok)
	assert.Equal(t, MediaJSONPatch, plan.mediaType)
	plan, ok = patchRetryPlan([]string{"application/json-patch+json"}, MediaMergePatch, Patch{Merge: merge})
	require.True(t, ok)
	assert.True(t, plan.translate)
	_, ok = patchRetryPlan([]string{"application/merge-patch+json"}, MediaMergePatch, Patch{Merge: merge, JSON: ops})
	assert.False(t, ok, "never the refused format again")
	plan, ok = patchRetryPlan(nil, MediaMergePatch, Patch{Merge: merge, JSON: ops})
	require.True(t, ok, "without accept-patch, the other format offered")
	assert.Equal(t, MediaJSONPatch, plan.mediaType)
	_, ok = patchRetryPlan(nil, MediaMergePatch, Patch{Merge: merge})
	assert.False(t, ok)
}

func TestMergeToJSONPatch(t *testing.T) {
	cases := []struct {
		name, doc, merge, want string
	}{
		{"replace and add", `{"a":1,"b":{"c":2}}`, `{"a":3,"d":4}`,
			`[{"op":"replace","path":"/a","value":3},{"op":"add","path":"/d","value":4}]`},
		{"nested merge", `{"b":{"c":2,"e":1}}`, `{"b":{"c":null,"f":[1]}}`,
			`[{"op":"remove","path":"/b/c"},{"op":"add","path":"/b/f","value":[1]}]`},
		{"removing an absent member is nothing", `{"a":1}`, `{"z":null}`, `[]`},
		{"object over a scalar", `{"a":1}`, `{"a":{"x":null,"y":2}}`, `[{"op":"replace","path":"/a","value":{"y":2}}]`},
		{"new object drops nulls", `{}`, `{"a":{"x":null,"y":{"z":null}}}`, `[{"op":"add","path":"/a","value":{"y":{}}}]`},
		{"pointer escapes", `{"a/b":1,"m~n":2}`, `{"a/b":null,"m~n":3}`,
			`[{"op":"remove","path":"/a~1b"},{"op":"replace","path":"/m~0n","value":3}]`},
		{"array replaced whole", `{"a":[1,2]}`, `{"a":[3]}`, `[{"op":"replace","path":"/a","value":[3]}]`},
		{"whole document", `[1]`, `{"a":1}`, `[{"op":"replace","path":"","value":{"a":1}}]`},
		{"non-object patch", `{"a":1}`, `"x"`, `[{"op":"replace","path":"","value":"x"}]`},
		{"null patch", `{"a":1}`, `null`, `[{"op":"replace","path":"","value":null}]`},
		{"big numbers survive", `{"n":1}`, `{"n":12345678901234567890}`, `[{"op":"replace","path":"/n","value":12345678901234567890}]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mergeToJSONPatch([]byte(tc.doc), []byte(tc.merge))
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(got))
			assert.Equal(t, mustMerge(t, tc.doc, tc.merge), mustJSONPatch(t, tc.doc, string(got)),
				"the translation does what the merge patch does")
		})
	}
	_, err := mergeToJSONPatch([]byte(`{`), []byte(`{}`))
	assert.Error(t, err)
	_, err = mergeToJSONPatch([]byte(`{}`), []byte(`{} x`))
	assert.Error(t, err)
}

// mustMerge applies a merge patch and returns the canonical JSON.
func mustMerge(t testing.TB, doc, merge string) string {
	out, err := applyMerge([]byte(doc), []byte(merge))
	require.NoError(t, err)
	return canonicalJSON(t, out)
}

// mustJSONPatch applies an RFC 6902 patch to doc with
// github.com/evanphx/json-patch/v5, an engine independent of ours (so that
// FuzzMergeToJSONPatch is a differential check), and returns canonical JSON.
// The document is wrapped in an object and the pointers prefixed to match,
// since the library takes only objects and arrays at the root, where a
// translation may put any value.
func mustJSONPatch(t testing.TB, doc, patch string) string {
	var ops []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(patch), &ops))
	for _, op := range ops {
		var ptr string
		require.NoError(t, json.Unmarshal(op["path"], &ptr))
		op["path"], _ = json.Marshal("/doc" + ptr)
	}
	wrapped, err := json.Marshal(ops)
	require.NoError(t, err)
	p, err := jsonpatch.DecodePatch(wrapped)
	require.NoError(t, err)
	out, err := p.Apply([]byte(`{"doc":` + doc + `}`))
	require.NoError(t, err, "doc %s patch %s", doc, patch)
	var root map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out, &root))
	return canonicalJSON(t, root["doc"])
}

func canonicalJSON(t testing.TB, b []byte) string {
	v, err := decodeJSON(b)
	require.NoError(t, err)
	out, err := json.Marshal(v)
	require.NoError(t, err)
	return string(out)
}

func TestMergePatchOf(t *testing.T) {
	type change struct {
		State string         `json:"state,omitempty"`
		Note  *string        `json:"note,omitempty"`
		Gone  map[string]any `json:"gone"`
	}
	p, err := MergePatchOf(change{State: "paid"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"state":"paid","gone":null}`, string(p.Merge))
	assert.Nil(t, p.JSON)
	_, err = MergePatchOf([]int{1})
	assert.Error(t, err, "a merge patch is an object")
	_, err = MergePatchOf(func() {})
	assert.Error(t, err)
}
