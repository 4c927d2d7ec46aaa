// This file holds `l3 get URL... [-o FILE]`: fetch resources' bodies, in
// order, through one Client, so a URL given twice is revalidated from the
// cache (304); -v prints each response's validators and cache status.

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/l3go/level3"
)

// getOptions are the parsed arguments of `l3 get`.
type getOptions struct {
	common commonFlags
	url    string
	more   []string // further URLs, fetched in order with the same Client
	output string
}

// parseGet parses the arguments of `l3 get`.
func parseGet(args []string, s streams) (*getOptions, error) {
	o := &getOptions{}
	fs := newFlagSet("get", "URL... [-o FILE]", s.err)
	o.common.register(fs)
	fs.StringVar(&o.output, "o", "", "write the body to FILE instead of stdout")
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) == 0 {
		return nil, usagef("get: want a URL")
	}
	if len(pos) > 1 && o.output != "" && o.output != "-" {
		return nil, usagef("get: -o takes one URL, got %d", len(pos))
	}
	o.url, o.more = pos[0], pos[1:]
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
	if o.output == "" || o.output == "-" {
		for _, url := range append([]string{o.url}, o.more...) {
			if err := getTo(ctx, client, url, s, o.common.verbose); err != nil {
				return err
			}
		}
		return nil
	}
	resp, err := client.Get(ctx, o.url, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if o.common.verbose {
		describeResponse(s.err, resp)
	}
	tmp, err := createPart(o.output) // mode 0666 minus umask, as a download's (output.go)
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

// getTo fetches url to s.out, describing the response on s.err when verbose.
func getTo(ctx context.Context, client *level3.Client, url string, s streams, verbose bool) error {
	resp, err := client.Get(ctx, url, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if verbose {
		describeResponse(s.err, resp)
	}
	_, err = io.Copy(s.out, resp.Body)
	return err
}

// describeResponse prints the status, validators and cache status of resp.
func describeResponse(w io.Writer, resp *http.Response) {
	parts := []string{fmt.Sprintf("GET %s: %s", resp.Request.URL, resp.Status)}
	parts = append(parts, validatorText(level3.ValidatorsOf(resp.Header))...)
	if level3.FromCache(resp) {
		parts = append(parts, "304 Not Modified: body from the cache")
	}
	if cs := resp.Header.Values("Cache-Status"); len(cs) > 0 {
		parts = append(parts, "cache-status "+strings.Join(cs, ", "))
	}
	fmt.Fprintln(w, inert(strings.Join(parts, "; ")))
}
