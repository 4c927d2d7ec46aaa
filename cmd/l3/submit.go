// This file holds `l3 submit FORM_URL FILE.json`: fetch a Form (or Lookup)
// afresh, fill its template with the document, and submit it.

package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/l3go/level3"
)

// submitOptions are the parsed arguments of `l3 submit`.
type submitOptions struct {
	common commonFlags
	url    string
	file   string
	key    string
	repr   bool
}

// parseSubmit parses the arguments of `l3 submit`.
func parseSubmit(args []string, s streams) (*submitOptions, error) {
	o := &submitOptions{}
	fs := newFlagSet("submit", "FORM_URL FILE.json [--key KEY] [--representation]", s.err)
	o.common.register(fs)
	fs.StringVar(&o.key, "key", "", "idempotency key to send (default: a new one when the form asks for keys)")
	fs.BoolVar(&o.repr, "representation", false, "ask for the created resource in the answer (prefer: return=representation)")
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 2 {
		return nil, usagef("submit: want FORM_URL and FILE (- for stdin), got %d arguments", len(pos))
	}
	o.url, o.file = pos[0], pos[1]
	return o, nil
}

func submitCmd(ctx context.Context, args []string, s streams) error {
	o, err := parseSubmit(args, s)
	if err != nil {
		return err
	}
	return runSubmit(ctx, o, s)
}

// runSubmit submits the document in o.file to the form or lookup at o.url:
// a Form answers 201 and the new resource's URL is printed; a Lookup's 303
// is followed and the result printed.
func runSubmit(ctx context.Context, o *submitOptions, s streams) error {
	doc, err := readDocument(o.file, s.in)
	if err != nil {
		return err
	}
	if !json.Valid(doc) {
		return fmt.Errorf("submit: %s is not valid JSON", o.file)
	}
	opts := &level3.RequestOptions{IdempotencyKey: o.key}
	if o.repr {
		opts.Return = "representation"
	}
	client, err := o.common.client(s.err)
	if err != nil {
		return err
	}
	ctx, cancel := o.common.context(ctx)
	defer cancel()
	res, err := client.Submit(ctx, o.url, json.RawMessage(doc), opts)
	if err != nil {
		return err
	}
	return printResult(s, res)
}
