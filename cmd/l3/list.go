// This file holds `l3 list URL`: walk a paged list and print its entries in
// order.

package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/l3go/level3/profiles"
)

// listOptions are the parsed arguments of `l3 list`.
type listOptions struct {
	common commonFlags
	url    string
	max    int
}

// parseList parses the arguments of `l3 list`.
func parseList(args []string, s streams) (*listOptions, error) {
	o := &listOptions{}
	fs := newFlagSet("list", "URL [--max N]", s.err)
	o.common.register(fs)
	fs.IntVar(&o.max, "max", 0, "stop after N entries (0: all)")
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, usagef("list: want exactly one URL, got %d arguments", len(pos))
	}
	if o.max < 0 {
		return nil, usagef("list: --max must not be negative")
	}
	o.url = pos[0]
	return o, nil
}

func listCmd(ctx context.Context, args []string, s streams) error {
	o, err := parseList(args, s)
	if err != nil {
		return err
	}
	return runList(ctx, o, s)
}

// runList prints the list#list-entry links of every page, following
// page#next (or next): the number, the target and the title of each entry.
func runList(ctx context.Context, o *listOptions, s streams) error {
	client, err := o.common.client(s.err)
	if err != nil {
		return err
	}
	ctx, cancel := o.common.context(ctx)
	defer cancel()
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	n, pages := 0, 0
pages:
	for page, err := range client.Pages(ctx, o.url) {
		if err != nil {
			tw.Flush()
			return err
		}
		pages++
		for _, l := range page.Links.All(profiles.RelListEntry) {
			n++
			fmt.Fprintf(tw, "%d\t%s\t%s\n", n, inert(relativeTo(page, l)), inert(l.Title))
			if n == o.max {
				break pages
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(s.err, "%d %s on %d %s\n", n, plural(n, "entry", "entries"), pages, plural(pages, "page", "pages"))
	return nil
}

// plural picks the form for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
