// This file holds `l3 serve`: run the fake Level 3 server (package mocks)
// with its shop catalog until interrupted.

package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/l3go/level3/mocks"
)

// serveOptions are the parsed arguments of `l3 serve`.
type serveOptions struct {
	addr string
}

// parseServe parses the arguments of `l3 serve`.
func parseServe(args []string, s streams) (*serveOptions, error) {
	o := &serveOptions{}
	fs := newFlagSet("serve", "[--addr ADDR]", s.err)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 0 {
		return nil, usagef("serve: unexpected argument %q", pos[0])
	}
	return o, nil
}

func serveCmd(ctx context.Context, args []string, s streams) error {
	o, err := parseServe(args, s)
	if err != nil {
		return err
	}
	return runServe(ctx, o, s)
}

// runServe serves until ctx ends (Ctrl-C).
func runServe(ctx context.Context, o *serveOptions, s streams) error {
	srv, err := mocks.Start(mocks.WithAddr(o.addr))
	if err != nil {
		return fmt.Errorf("serve: %w (use --addr to pick another address)", err)
	}
	defer srv.Close()
	srv.AddCatalog()
	fmt.Fprintf(s.out, "fake Level 3 server at %s (Ctrl-C to stop)\n", srv.URL)
	for _, p := range srv.Paths() {
		r, _ := srv.Resource(p)
		names := make([]string, len(r.Profiles))
		for i, prof := range r.Profiles {
			if names[i] = prof.Name(); names[i] == "" {
				// Pattern roles have no short name: show pattern#role.
				names[i] = shortRels([]string{string(prof)})
			}
		}
		fmt.Fprintf(s.out, "  %-40s %s\n", srv.URL+p, strings.Join(names, ", "))
	}
	<-ctx.Done()
	fmt.Fprintln(s.out, "stopped")
	return nil
}
