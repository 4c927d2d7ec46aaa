// This file holds `l3 patch URL FILE [--if-match ETAG] [--type merge|json]`:
// change a Data resource with a JSON merge patch or a JSON Patch.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/l3go/level3"
)

// maxPatchFile bounds the patch document read from a file or stdin: a patch
// is sent from memory (its format is chosen from its first byte).
const maxPatchFile = 8 << 20

// patchOptions are the parsed arguments of `l3 patch`.
type patchOptions struct {
	common  commonFlags
	url     string
	file    string
	ifMatch string
	kind    string // "merge", "json" or "" (from the document)
}

// parsePatch parses the arguments of `l3 patch`.
func parsePatch(args []string, s streams) (*patchOptions, error) {
	o := &patchOptions{}
	fs := newFlagSet("patch", "URL FILE [--if-match ETAG] [--type merge|json]", s.err)
	o.common.register(fs)
	fs.StringVar(&o.ifMatch, "if-match", "", "apply only if the resource still has this entity tag (else 412)")
	fs.StringVar(&o.kind, "type", "", "patch format: merge (RFC 7396) or json (RFC 6902); default: an object is a merge patch, an array a JSON Patch")
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 2 {
		return nil, usagef("patch: want URL and FILE (- for stdin), got %d arguments", len(pos))
	}
	if o.kind != "" && o.kind != "merge" && o.kind != "json" {
		return nil, usagef("patch: --type must be merge or json, not %q", o.kind)
	}
	o.url, o.file = pos[0], pos[1]
	return o, nil
}

func patchCmd(ctx context.Context, args []string, s streams) error {
	o, err := parsePatch(args, s)
	if err != nil {
		return err
	}
	return runPatch(ctx, o, s)
}

// runPatch sends the patch in o.file to o.url.
func runPatch(ctx context.Context, o *patchOptions, s streams) error {
	doc, err := readDocument(o.file, s.in)
	if err != nil {
		return err
	}
	p, err := patchOf(doc, o.kind)
	if err != nil {
		return err
	}
	opts := &level3.RequestOptions{IfVersion: level3.Validators{ETag: o.ifMatch}}
	client, err := o.common.client(s.err)
	if err != nil {
		return err
	}
	ctx, cancel := o.common.context(ctx)
	defer cancel()
	res, err := client.Patch(ctx, o.url, p, opts)
	if err != nil {
		return hint(err)
	}
	return printResult(s, res)
}

// patchOf makes a Patch of doc: of the kind asked for, or else a merge patch
// for an object and a JSON Patch for an array.
func patchOf(doc []byte, kind string) (level3.Patch, error) {
	if !json.Valid(doc) {
		return level3.Patch{}, fmt.Errorf("patch: the document is not valid JSON")
	}
	if kind == "" {
		kind = "merge"
		if t := bytes.TrimSpace(doc); len(t) > 0 && t[0] == '[' {
			kind = "json"
		}
	}
	if kind == "json" {
		return level3.Patch{JSON: doc}, nil
	}
	return level3.Patch{Merge: doc}, nil
}

// readDocument reads a JSON document from a file, or from in for "-", up to
// maxPatchFile bytes.
func readDocument(name string, in io.Reader) ([]byte, error) {
	r := in
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxPatchFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPatchFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxPatchFile)
	}
	return b, nil
}
