// This file holds `l3 send METHOD URL [FILE]`: send any request, optionally
// asynchronously (--async, --wait, --detach; shared with other commands in
// async.go), and print the final status, location and validators.

package main

import (
	"context"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/l3go/level3"
)

// sendOptions are the parsed arguments of `l3 send`.
type sendOptions struct {
	common      commonFlags
	async       asyncFlags
	method      string
	url         string
	file        string // "" for no body, "-" for stdin
	contentType string
}

// parseSend parses the arguments of `l3 send`.
func parseSend(args []string, s streams) (*sendOptions, error) {
	o := &sendOptions{}
	fs := newFlagSet("send", "METHOD URL [FILE] [--async] [--wait SECONDS] [--detach] [--content-type TYPE] [--json]", s.err)
	o.common.register(fs)
	o.async.register(fs)
	fs.StringVar(&o.contentType, "content-type", "", "content-type of FILE (default: from its extension, else application/octet-stream)")
	fs.BoolVar(&o.async.json, "json", false, `print the outcome as JSON: {"status","location","etag","last_modified","polls","token"}`)
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) < 2 || len(pos) > 3 {
		return nil, usagef("send: want METHOD URL [FILE], got %d arguments", len(pos))
	}
	o.method, o.url = strings.ToUpper(pos[0]), pos[1]
	if len(pos) == 3 {
		o.file = pos[2]
	}
	if !validMethod(o.method) {
		return nil, usagef("send: %q is not an HTTP method", pos[0])
	}
	if o.async.enabled() {
		switch o.method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			return nil, usagef("send: %s cannot be asynchronous; --async, --wait and --detach are for POST, PUT, PATCH and DELETE", o.method)
		}
	}
	return o, nil
}

// validMethod reports whether m is a token, as methods must be.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return false
		}
	}
	return true
}

func sendCmd(ctx context.Context, args []string, s streams) error {
	o, err := parseSend(args, s)
	if err != nil {
		return err
	}
	return runSend(ctx, o, s)
}

// runSend sends the request: the body streams from FILE (rewound for a
// retry, never read into memory), and -H headers go on the request itself
// as well as being the Client's defaults, so that If-Match, say, tells an
// async PUT what to watch (polls drop such headers).
func runSend(ctx context.Context, o *sendOptions, s streams) error {
	client, err := o.common.client(s.err)
	if err != nil {
		return err
	}
	ctx, cancel := o.common.context(ctx)
	defer cancel()
	var body io.Reader
	switch o.file {
	case "":
	case "-":
		body = s.in
		if f, ok := s.in.(*os.File); ok {
			if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
				// A pipe or terminal cannot seek: hide Seek so that the body
				// is sent once rather than failing to rewind.
				body = struct{ io.Reader }{f}
			}
		}
	default:
		f, err := os.Open(o.file)
		if err != nil {
			return err
		}
		defer f.Close()
		body = f
	}
	req, err := level3.NewRequest(ctx, o.method, o.url, body)
	if err != nil {
		return err
	}
	for _, h := range o.common.headers {
		req.Header.Add(h[0], h[1])
	}
	if ct := o.bodyType(); ct != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", ct)
	}
	if o.async.enabled() {
		return o.async.do(ctx, client, req, s)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close() // unread: the outcome is in the header, and l3 exits
	return printOutcome(s.out, resp, nil, o.async.json)
}

// bodyType is the content-type to send: --content-type, or one from the
// file's extension, or application/octet-stream for a body of unknown type.
func (o *sendOptions) bodyType() string {
	switch {
	case o.contentType != "":
		return o.contentType
	case o.file == "":
		return ""
	}
	if t := mime.TypeByExtension(filepath.Ext(o.file)); t != "" {
		return t
	}
	return "application/octet-stream"
}
