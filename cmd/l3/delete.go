// This file holds `l3 delete URL [--if-match ETAG | --force]`.

package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/l3go/level3"
)

// deleteOptions are the parsed arguments of `l3 delete`.
type deleteOptions struct {
	common  commonFlags
	url     string
	ifMatch string
	force   bool
}

// parseDelete parses the arguments of `l3 delete`.
func parseDelete(args []string, s streams) (*deleteOptions, error) {
	o := &deleteOptions{}
	fs := newFlagSet("delete", "URL [--if-match ETAG | --force]", s.err)
	o.common.register(fs)
	fs.StringVar(&o.ifMatch, "if-match", "", "delete only if the resource still has this entity tag (else 412)")
	fs.BoolVar(&o.force, "force", false, "send If-Match: * (delete whatever version is there)")
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, usagef("delete: want exactly one URL, got %d arguments", len(pos))
	}
	if o.force && o.ifMatch != "" {
		return nil, usagef("delete: --if-match and --force exclude each other")
	}
	o.url = pos[0]
	return o, nil
}

func deleteCmd(ctx context.Context, args []string, s streams) error {
	o, err := parseDelete(args, s)
	if err != nil {
		return err
	}
	return runDelete(ctx, o, s)
}

// runDelete deletes o.url.
func runDelete(ctx context.Context, o *deleteOptions, s streams) error {
	opts := &level3.RequestOptions{Force: o.force, IfVersion: level3.Validators{ETag: o.ifMatch}}
	client, err := o.common.client(s.err)
	if err != nil {
		return err
	}
	ctx, cancel := o.common.context(ctx)
	defer cancel()
	res, err := client.Delete(ctx, o.url, opts)
	if err != nil {
		return hint(err)
	}
	return printResult(s, res)
}

// hint adds what to do next to the errors a conditional change meets.
func hint(err error) error {
	var stale *level3.PreconditionFailedError
	var required *level3.PreconditionRequiredError
	switch {
	case errors.As(err, &stale):
		return fmt.Errorf("%w\nthe resource changed since that etag was read: run 'l3 discover' for the current one, or use --force", err)
	case errors.As(err, &required):
		return fmt.Errorf("%w\nthe server demands a precondition: pass --if-match with the etag from 'l3 discover'", err)
	}
	return err
}
