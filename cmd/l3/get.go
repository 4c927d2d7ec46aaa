// This file holds `l3 get URL [-o FILE]`: fetch a resource's body.

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// getOptions are the parsed arguments of `l3 get`.
type getOptions struct {
	common commonFlags
	url    string
	output string
}

// parseGet parses the arguments of `l3 get`.
func parseGet(args []string, s streams) (*getOptions, error) {
	o := &getOptions{}
	fs := newFlagSet("get", "URL [-o FILE]", s.err)
	o.common.register(fs)
	fs.StringVar(&o.output, "o", "", "write the body to FILE instead of stdout")
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, usagef("get: want exactly one URL, got %d arguments", len(pos))
	}
	o.url = pos[0]
	return o, nil
}

func getCmd(ctx context.Context, args []string, s streams) error {
	o, err := parseGet(args, s)
	if err != nil {
		return err
	}
	return runGet(ctx, o, s)
}

// runGet fetches o.url. With -o the body goes to a temporary file beside the
// target that is renamed into place only when complete, so a failed transfer
// never leaves a truncated file under the target name.
func runGet(ctx context.Context, o *getOptions, s streams) error {
	client, err := o.common.client(s.err)
	if err != nil {
		return err
	}
	ctx, cancel := o.common.context(ctx)
	defer cancel()
	resp, err := client.Get(ctx, o.url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if o.output == "" || o.output == "-" {
		_, err = io.Copy(s.out, resp.Body)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(o.output), "."+filepath.Base(o.output)+".*.part")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename this is a no-op
	n, err := io.Copy(tmp, resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("body ended after %d of %d bytes", n, resp.ContentLength)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("get %s: %w", o.url, err)
	}
	if err := os.Rename(tmp.Name(), o.output); err != nil {
		return err
	}
	fmt.Fprintf(s.err, "wrote %d bytes to %s\n", n, o.output)
	return nil
}
