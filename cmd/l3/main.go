// Command l3 is a command-line client for Level 3 REST APIs: discover what a
// URL is, fetch it, run the fake server, and tour every profile with `l3 demo`.
//
// Usage:
//
//	l3 discover URL [--json]   profiles, allowed methods, links and validators of URL
//	l3 get URL [-o FILE]       fetch URL to stdout or FILE
//	l3 send METHOD URL [FILE]  send any request; --async polls a 202 to completion
//	l3 poll TOKEN              continue an asynchronous operation from its resume token
//	l3 get URL... [-o FILE]    fetch URLs to stdout (a repeated URL is revalidated: 304) or one to FILE
//	l3 patch URL FILE          PATCH a Data resource (merge patch or JSON Patch) [--if-match ETAG]
//	l3 delete URL              DELETE [--if-match ETAG | --force]
//	l3 submit FORM_URL FILE    fill and submit a Form (201) or Lookup (303 followed)
//	l3 trigger ACTION_URL      trigger an Action (303 followed, or 204)
//	l3 list URL                print a paged list's entries, walking page#next
//	l3 redirects [--forget URL | --clear]  the permanent redirects l3 remembers
//	l3 download URL [-o PATH]  resumable, verified download to a file or directory
//	l3 upload URL PATH...      upload files and directories (POST, or PUT with --put)
//	l3 put URL FILE            replace a Content resource's bytes
//	l3 serve [--addr ADDR]     run the fake Level 3 server (mocks) until interrupted
//	l3 demo                    a tour of the SDK against the fake server on loopback
//
// Common flags: -H 'Name: value' (repeatable), --timeout DURATION,
// --connect-timeout DURATION (default 10s), --stall-timeout DURATION (default
// 30s: fail when the server sends nothing for that long), -v (debug logging
// to stderr), --no-cache (do not use the memory of permanent redirects kept
// in the user's cache directory, or in $L3_CACHE_DIR).
// Exit status: 0 success, 1 the request failed, 2 usage.
//
// This file dispatches to one file per command; each has an options struct,
// a parse function and a run function, so parsing and behaviour are tested
// apart.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	usageFormat = `usage: l3 <command> [flags] [args]

commands:
  discover URL [--json]    show profiles, allowed methods, links and validators
  get URL [-o FILE]        fetch URL to stdout or FILE
  send METHOD URL [FILE]   send a request; --async [--wait SECONDS] [--detach] asks for
                           prefer: respond-async and polls a 202 to completion
  poll TOKEN               continue an asynchronous operation from its resume token
  get URL... [-o FILE]     fetch URLs to stdout (a repeated URL is revalidated: 304) or one to FILE
  patch URL FILE           PATCH with a merge patch or JSON Patch [--if-match ETAG] [--type merge|json]
  delete URL               DELETE [--if-match ETAG | --force]
  submit FORM_URL FILE     fill and submit a Form (201) or Lookup (303 followed) [--key KEY]
  trigger ACTION_URL       trigger an Action (303 followed, or 204)
  list URL                 print a paged list's entries in order, walking page#next [--max N]
  redirects [--forget URL | --clear]
                           list (or forget) the permanent redirects remembered
  download URL [-o PATH]   resumable, verified download to a file or directory
                           (--connections N, --sha256 HEX, --fail-fast, --no-resume, --json)
  upload URL PATH...       upload files and directories (--put for WebDAV targets)
  put URL FILE             replace a resource's bytes (--if-match ETAG, --force)
  serve [--addr ADDR]      run the fake Level 3 server until interrupted
  demo                     tour every profile against the fake server

common flags:
  -H 'Name: value'         add a request header (repeatable)
  --timeout DURATION       give up after DURATION (e.g. 30s); default none
  --connect-timeout DURATION
                           give up connecting after DURATION; default 10s
  --stall-timeout DURATION fail when the server sends nothing for DURATION,
                           after retrying where safe; default 30s, 0 for none
  -v                       log requests and retries to stderr
  --no-cache               do not use the remembered permanent redirects
                           (kept in the user's cache directory, or $L3_CACHE_DIR)

Run 'l3 <command> -h' for a command's flags.
`
)

// streams are the standard streams, injected so tests can capture them.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], streams{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, s streams) int {
	if len(args) == 0 {
		fmt.Fprint(s.err, usageFormat)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "discover":
		err = discoverCmd(ctx, rest, s)
	case "get":
		err = getCmd(ctx, rest, s)
	case "send":
		err = sendCmd(ctx, rest, s)
	case "poll":
		err = pollCmd(ctx, rest, s)
	case "patch":
		err = patchCmd(ctx, rest, s)
	case "delete":
		err = deleteCmd(ctx, rest, s)
	case "submit":
		err = submitCmd(ctx, rest, s)
	case "trigger":
		err = triggerCmd(ctx, rest, s)
	case "list":
		err = listCmd(ctx, rest, s)
	case "redirects":
		err = redirectsCmd(ctx, rest, s)
	case "download":
		err = downloadCmd(ctx, rest, s)
	case "upload":
		err = uploadCmd(ctx, rest, s)
	case "put":
		err = putCmd(ctx, rest, s)
	case "serve":
		err = serveCmd(ctx, rest, s)
	case "demo":
		err = demoCmd(ctx, rest, s)
	case "help", "-h", "--help":
		fmt.Fprint(s.out, usageFormat)
		return exitOK
	default:
		err = usagef("unknown command %q", cmd)
	}
	return report(err, s)
}

// report prints err and maps it to an exit status.
func report(err error, s streams) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(s.err, "l3: %s\nRun 'l3 -h' for usage.\n", inertLines(ue.msg))
		return exitUsage
	default:
		fmt.Fprintf(s.err, "l3: %s\n", inertLines(timeoutHint(err).Error()))
		return exitFailed
	}
}
