// This file holds `l3 trigger ACTION_URL`: trigger an Action and show the
// state it changed.

package main

import (
	"context"

	"github.com/l3go/level3"
)

// triggerOptions are the parsed arguments of `l3 trigger`.
type triggerOptions struct {
	common commonFlags
	url    string
	repr   bool
}

// parseTrigger parses the arguments of `l3 trigger`.
func parseTrigger(args []string, s streams) (*triggerOptions, error) {
	o := &triggerOptions{}
	fs := newFlagSet("trigger", "ACTION_URL [--representation]", s.err)
	o.common.register(fs)
	fs.BoolVar(&o.repr, "representation", false, "ask for the changed state in the answer instead of a 303 (prefer: return=representation)")
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, usagef("trigger: want exactly one ACTION_URL, got %d arguments", len(pos))
	}
	o.url = pos[0]
	return o, nil
}

func triggerCmd(ctx context.Context, args []string, s streams) error {
	o, err := parseTrigger(args, s)
	if err != nil {
		return err
	}
	return runTrigger(ctx, o, s)
}

// runTrigger POSTs to the action and prints what it answered: 204, or the
// changed state a 303 pointed to.
func runTrigger(ctx context.Context, o *triggerOptions, s streams) error {
	opts := &level3.RequestOptions{}
	if o.repr {
		opts.Return = "representation"
	}
	client, err := o.common.client(s.err)
	if err != nil {
		return err
	}
	ctx, cancel := o.common.context(ctx)
	defer cancel()
	res, err := client.Trigger(ctx, o.url, opts)
	if err != nil {
		return err
	}
	return printResult(s, res)
}
