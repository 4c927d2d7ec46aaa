// This file holds `l3 poll TOKEN`: continue following an asynchronous
// operation from the resume token `l3 send --async` printed, in this or
// another process (async.go does the following).

package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"
)

// pollOptions are the parsed arguments of `l3 poll`.
type pollOptions struct {
	common commonFlags
	token  string // "-": read from stdin
	json   bool
}

// parsePoll parses the arguments of `l3 poll`.
func parsePoll(args []string, s streams) (*pollOptions, error) {
	o := &pollOptions{}
	fs := newFlagSet("poll", "TOKEN [--json]   (TOKEN - reads it from stdin)", s.err)
	o.common.register(fs)
	fs.BoolVar(&o.json, "json", false, `print the outcome as JSON: {"status","location","etag","last_modified","polls"}`)
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, usagef("poll: want exactly one resume token, got %d arguments", len(pos))
	}
	o.token = pos[0]
	return o, nil
}

func pollCmd(ctx context.Context, args []string, s streams) error {
	o, err := parsePoll(args, s)
	if err != nil {
		return err
	}
	return runPoll(ctx, o, s)
}

// runPoll resumes the operation and follows it to the end.
func runPoll(ctx context.Context, o *pollOptions, s streams) error {
	if o.token == "-" {
		line, err := bufio.NewReader(s.in).ReadString('\n')
		if err != nil && line == "" {
			return usagef("poll: no token on stdin")
		}
		o.token = strings.TrimSpace(line)
	}
	client, err := o.common.client(s.err)
	if err != nil {
		return err
	}
	ctx, cancel := o.common.context(ctx)
	defer cancel()
	p, err := client.ResumePoller(o.token, nil)
	if err != nil {
		return usagef("poll: %v (pass the token 'l3 send --async' printed)", err)
	}
	if loc := p.Location(); loc != nil {
		fmt.Fprintf(s.err, "watching %s\n", inert(loc.String()))
	}
	if err := follow(ctx, p, s); err != nil {
		return err
	}
	a := asyncFlags{json: o.json}
	return a.finish(p, o.token, s)
}
