// This file holds `l3 send METHOD URL [FILE]`: send any request, optionally
// asynchronously (--async, --wait, --detach; shared with other commands in
// async.go), and print the final status, location and validators, with the
// body on stdout when the body is what the request asked for (a GET's, as
// `l3 get` prints it).

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
	"github.com/l3go/level3/internal/prefer"
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

// sendUsage is the usage line of `l3 send` and what it prints where.
const sendUsage = `METHOD URL [FILE] [--async] [--wait SECONDS] [--detach] [--content-type TYPE] [--json]

When the answer's body is what the request asked for (the answer to a GET,
including the GET a 303 See Other leads to, or to a request sent with
-H 'Prefer: return=representation'), l3 send writes the body to stdout, as
l3 get does, and the status, location and validators to stderr. Otherwise,
and with --async, it writes the status, location and validators to stdout.
--json writes them to stdout as one JSON object instead, never the body.`

// parseSend parses the arguments of `l3 send`.
func parseSend(args []string, s streams) (*sendOptions, error) {
	o := &sendOptions{}
	fs := newFlagSet("send", sendUsage, s.err)
	o.common.register(fs)
	o.async.register(fs)
	fs.StringVar(&o.contentType, "content-type", "", "content-type of FILE (default: from its extension, else application/octet-stream)")
	fs.BoolVar(&o.async.json, "json", false, `print the outcome as JSON on stdout instead of the body: {"status","location","etag","last_modified","polls","token"}`)
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
	defer resp.Body.Close()
	if o.async.json || !bodyAskedFor(req, resp) {
		// The body stays unread: the outcome is in the header, and l3 exits.
		return printOutcome(s.out, resp, nil, o.async.json)
	}
	if err := printOutcome(s.err, resp, nil, false); err != nil {
		return err
	}
	_, err = io.Copy(s.out, resp.Body)
	return err
}

// bodyAskedFor reports whether the body of resp, the final answer to req, is
// what req asked for: the answer to a GET (req itself, or the GET that a 303
// See Other leads to), or any answer to a request that asked for prefer:
// return=representation (RFC 7240, section 4.2). Other bodies (a status
// message, say) are not printed, and not waited for.
func bodyAskedFor(req *http.Request, resp *http.Response) bool {
	if req.Method == http.MethodGet || resp.Request != nil && resp.Request.Method == http.MethodGet {
		return true
	}
	prefs, err := prefer.Parse(req.Header.Values("Prefer")...)
	if err != nil {
		return false
	}
	ret, ok := prefs.Get(prefer.ReturnName)
	return ok && strings.EqualFold(ret.Value, "representation")
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
