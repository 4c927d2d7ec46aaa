// Command l3 is a command-line client for Level 3 REST APIs: discover what a
// URL is, fetch, change and transfer resources, run the fake server, and tour
// every profile with `l3 demo`.
//
// Usage:
//
//	l3 <command> [flags] [args]
//
// `l3 help` lists the commands and the flags they share; `l3 COMMAND -h`
// shows a command's own flags; `l3 version` prints the version. Exit status:
// 0 success, 1 the request failed, 2 usage.
//
// This file holds the table of commands (the usage text and the dispatch
// both come from it, so each command is listed once), the version and the
// reporting of errors. Each command has a file with an options struct, a
// parse function and a run function, so parsing and behaviour are tested
// apart.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// command is one subcommand of l3: its name and arguments as the usage text
// shows them, a summary (lines after the first are continuation lines), and
// the function that parses its arguments and runs it.
type command struct {
	name, args string
	summary    []string
	run        func(ctx context.Context, args []string, s streams) error
}

// commands lists every command once, in the order the usage text shows them.
func commands() []command {
	return []command{
		{"discover", "URL [--json]", []string{"show profiles, allowed methods, links and validators"}, discoverCmd},
		{"get", "URL... [-o FILE]", []string{"fetch URLs to stdout, in order (a repeated URL is revalidated: 304),", "or one URL to FILE"}, getCmd},
		{"send", "METHOD URL [FILE]", []string{"send a request; print a GET's body to stdout, the status to stderr;", "--async [--wait SECONDS] [--detach] asks for prefer: respond-async", "and polls a 202 to completion"}, sendCmd},
		{"poll", "TOKEN", []string{"continue an asynchronous operation from its resume token"}, pollCmd},
		{"patch", "URL FILE", []string{"PATCH with a merge patch or JSON Patch [--if-match ETAG] [--type merge|json]"}, patchCmd},
		{"delete", "URL", []string{"DELETE [--if-match ETAG | --force]"}, deleteCmd},
		{"submit", "FORM_URL FILE", []string{"fill and submit a Form (201) or Lookup (303 followed) [--key KEY]"}, submitCmd},
		{"trigger", "ACTION_URL", []string{"trigger an Action (303 followed, or 204)"}, triggerCmd},
		{"list", "URL", []string{"print a paged list's entries in order, walking page#next [--max N]"}, listCmd},
		{"redirects", "[--forget URL | --clear]", []string{"list (or forget) the permanent redirects remembered"}, redirectsCmd},
		{"download", "URL [-o PATH]", []string{"resumable, verified download to a file or directory", "(--connections N, --sha256 HEX, --fail-fast, --no-resume, --json)"}, downloadCmd},
		{"upload", "URL PATH...", []string{"upload files and directories (--put for WebDAV targets);", "--queue redis://HOST:PORT/DB --run NAME shares the run among processes", "(--worker, --status)"}, uploadCmd},
		{"put", "URL FILE", []string{"replace a resource's bytes (--if-match ETAG, --force)"}, putCmd},
		{"serve", "[--addr ADDR]", []string{"run the fake Level 3 server until interrupted"}, serveCmd},
		{"demo", "", []string{"tour every profile against the fake server"}, demoCmd},
		{"version", "", []string{"print the version of l3 (also --version)"}, versionCmd},
		{"help", "", []string{"print this text (also -h, --help)"}, nil},
	}
}

// commonUsage describes the flags every command that sends requests takes
// (flags.go registers them).
const commonUsage = `common flags:
  -H 'Name: value'         add a request header (repeatable)
  --timeout DURATION       give up after DURATION (e.g. 30s); default none
  --connect-timeout DURATION
                           give up connecting after DURATION; default 10s
  --stall-timeout DURATION fail when the server sends nothing for DURATION,
                           after retrying where safe; default 30s, 0 for none
  -v                       log requests and retries to stderr
  --no-cache               keep no cache: neither the permanent redirects l3
                           remembers (in the user's cache directory, or
                           $L3_CACHE_DIR) nor the responses it revalidates
                           (a repeated GET is sent without If-None-Match)
  --store redis://HOST:PORT/DB
                           keep the permanent redirects and the responses
                           to revalidate in Redis, shared by every l3 that
                           uses it (l3 redirects --store URL lists them)
  --cacert FILE            verify servers against the CA certificates in FILE
                           (PEM) instead of the system's, as curl does
`

// usage returns the usage text: the commands, then the common flags.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: l3 <command> [flags] [args]\n\ncommands:\n")
	const width = 25 // the column where summaries start
	for _, c := range commands() {
		left := strings.TrimSpace(c.name + " " + c.args)
		if len(left) < width-1 {
			fmt.Fprintf(&b, "  %-*s%s\n", width-1, left, c.summary[0])
		} else {
			fmt.Fprintf(&b, "  %s\n  %-*s%s\n", left, width-1, "", c.summary[0])
		}
		for _, more := range c.summary[1:] {
			fmt.Fprintf(&b, "  %-*s%s\n", width-1, "", more)
		}
	}
	b.WriteString("\n" + commonUsage + "\nRun 'l3 <command> -h' for a command's flags.\n")
	return b.String()
}

// streams are the standard streams, injected so tests can capture them,
// and what else a command may change in its process.
type streams struct {
	in       io.Reader
	out, err io.Writer
	// procs sets the process's GOMAXPROCS (runtime.GOMAXPROCS; procs.go).
	// It is nil where a command must leave them alone: in tests, which run
	// commands in the test binary's process, and when the environment sets
	// GOMAXPROCS.
	procs func(int) int
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct {
	msg string
	cmd string // the command whose -h to suggest; "" for l3 -h
}

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func main() {
	s := streams{in: os.Stdin, out: os.Stdout, err: os.Stderr, procs: procsSetter(os.Getenv)}
	limitProcs(os.Args[1:], s.procs)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], s)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, s streams) int {
	if len(args) == 0 {
		fmt.Fprint(s.err, usage())
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(s.out, usage())
		return exitOK
	case "--version", "-version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name && c.run != nil {
			err := c.run(ctx, rest, s)
			if ue := (*usageError)(nil); errors.As(err, &ue) && ue.cmd == "" {
				ue.cmd = name
			}
			return report(err, s)
		}
	}
	return report(usagef("unknown command %q", name), s)
}

// report prints err once, on stderr, and maps it to an exit status.
func report(err error, s streams) int {
	var (
		ue    *usageError
		shown *shownError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &shown):
		return exitFailed
	case errors.As(err, &ue):
		hint := "Run 'l3 -h' for usage."
		if ue.cmd != "" {
			hint = "Run 'l3 " + ue.cmd + " -h' for its usage."
		}
		fmt.Fprintf(s.err, "l3: %s\n%s\n", inertLines(message(ue)), hint)
		return exitUsage
	default:
		fmt.Fprintf(s.err, "l3: %s\n", inertLines(message(timeoutHint(err))))
		return exitFailed
	}
}

// shownError is a failure the command has already shown in its output (a
// --json record with an error member): report exits 1 without printing it
// again.
type shownError struct{ err error }

func (e *shownError) Error() string { return e.err.Error() }
func (e *shownError) Unwrap() error { return e.err }

// message is the text of err as l3 prints it after its own "l3: ": without
// the "level3: " that begins the library's errors, so no message reads
// "l3: level3: ...", nor "l3: poll: level3: ...".
func message(err error) string {
	msg := strings.TrimPrefix(err.Error(), "level3: ")
	return strings.ReplaceAll(msg, ": level3: ", ": ")
}

// buildVersion, when set at link time (go build -ldflags "-X
// main.buildVersion=v1.2.3"), is the version l3 reports.
var buildVersion string

// version returns the version of l3: buildVersion when set, else the module
// version the Go toolchain stamped into the binary (a tag, or a
// pseudo-version from the commit, +dirty for a modified tree), else "devel"
// and the commit (builds with -buildvcs=false, or from a git worktree, have
// none).
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := info.Main.Version
	if v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, st := range info.Settings {
		switch st.Key {
		case "vcs.revision":
			rev = st.Value
		case "vcs.modified":
			if st.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if rev != "" {
		return "devel " + rev[:min(len(rev), 12)] + modified
	}
	return "devel"
}

// versionCmd prints the version of l3, of its module and of Go.
func versionCmd(_ context.Context, args []string, s streams) error {
	pos, err := parse(newFlagSet("version", "", s.err), args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("version: unexpected argument %q", pos[0])
	}
	path := "github.com/l3go/level3"
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Path != "" {
		path = info.Main.Path
	}
	_, err = fmt.Fprintf(s.out, "l3 version %s (%s, %s %s/%s)\n", version(), path, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
