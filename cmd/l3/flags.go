// This file holds the flags every command shares (-H, --credentials-to,
// --timeout, --connect-timeout, --stall-timeout, -v, --no-cache, --store),
// the construction of a Client from them (cache.go gives it its caches),
// the hints that name the flag to change after a timeout, and interleaved
// flag parsing.

package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/l3go/level3"
)

// errHelp reports that -h was asked for and usage was printed.
var errHelp = errors.New("help requested")

// stringList collects a repeated flag's values.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// headerFlags collects repeated -H 'Name: value' flags.
type headerFlags [][2]string

func (h *headerFlags) String() string { return fmt.Sprint(*h) }

func (h *headerFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want 'Name: value', got %q", v)
	}
	*h = append(*h, [2]string{strings.TrimSpace(name), strings.TrimSpace(value)})
	return nil
}

// Defaults of the common flags that bound a silent server.
const (
	defaultConnectTimeout = 10 * time.Second
	defaultStallTimeout   = 30 * time.Second // what a download waits by default (level3.DownloadOptions.StallTimeout)
)

// commonFlags are the flags of every command that sends requests.
type commonFlags struct {
	headers        headerFlags
	credentialsTo  stringList // origins besides the URL's that get -H credentials
	timeout        time.Duration
	connectTimeout time.Duration // 0: net/http's own bounds
	stallTimeout   time.Duration // 0: no stall watch (downloads keep theirs)
	verbose        bool
	noCache        bool   // keep no cache: no 308 memory, no response cache (cache.go)
	store          string // --store: the Redis URL that keeps both caches (cache.go)
	cacert         string // --cacert: PEM file of the CAs to trust instead of the system's
	inMemory       bool   // keep the caches in memory, never on disk (the demo; wins over noCache)

	release []func()     // close what client opened (the Redis connection); run by context's cancel
	vlog    *slog.Logger // the -v log, once made
}

// register adds the common flags to fs.
func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.Var(&c.headers, "H", "add a request header 'Name: value' (repeatable)")
	fs.Var(&c.credentialsTo, "credentials-to", "also send credentials (Authorization, Cookie...) to this origin, scheme://host[:port], when a link or redirect leads there (repeatable); by default they stay on the origin of the URL given")
	fs.DurationVar(&c.timeout, "timeout", 0, "give up after this long (e.g. 30s; 0 means no limit)")
	fs.DurationVar(&c.connectTimeout, "connect-timeout", defaultConnectTimeout, "give up connecting (TCP and TLS handshakes) after this long (0: net/http's defaults)")
	fs.DurationVar(&c.stallTimeout, "stall-timeout", defaultStallTimeout, "fail when the server sends nothing for this long, after retrying where safe (0: no limit)")
	fs.BoolVar(&c.verbose, "v", false, "log requests and retries to stderr")
	fs.BoolVar(&c.noCache, "no-cache", false, noCacheUsage)
	fs.StringVar(&c.store, "store", "", storeUsage)
	fs.StringVar(&c.cacert, "cacert", "", "verify servers' certificates against the CA certificates in this PEM `FILE` instead of the system's, as curl --cacert does")
}

// client builds a Client from the flags, with extra options after theirs
// (the polite layer's, polite.go). Logs go to errOut. What it opens (a
// connection to --store's Redis) is closed by the cancel function context
// returns, which every command defers.
func (c *commonFlags) client(errOut io.Writer, extra ...level3.Option) (*level3.Client, error) {
	if c.connectTimeout < 0 || c.stallTimeout < 0 {
		return nil, usagef("--connect-timeout and --stall-timeout must not be negative")
	}
	if c.store != "" {
		if err := checkStoreURL(c.store); err != nil {
			return nil, err
		}
	}
	var roots *x509.CertPool
	if c.cacert != "" {
		var err error
		if roots, err = loadCAs(c.cacert); err != nil {
			return nil, err // before cacheOptions dials --store: nothing to close
		}
	}
	opts := c.cacheOptions(errOut)
	if c.connectTimeout > 0 {
		opts = append(opts, level3.WithConnectTimeout(c.connectTimeout))
	}
	if c.stallTimeout > 0 {
		opts = append(opts, level3.WithStallWatch(c.stallTimeout))
	}
	if roots != nil {
		opts = append(opts, level3.WithRootCAs(roots))
	}
	for _, h := range c.headers {
		opts = append(opts, level3.WithHeader(h[0], h[1]))
	}
	if len(c.credentialsTo) > 0 {
		opts = append(opts, level3.WithCredentialOrigins(c.credentialsTo...))
	}
	if c.verbose {
		opts = append(opts, level3.WithLogger(c.verboseLogger(errOut)))
	}
	cl, err := level3.New(append(opts, extra...)...)
	if err != nil {
		c.close()
		return nil, usagef("%v (check the -H and --credentials-to flags)", err)
	}
	return cl, nil
}

// loadCAs reads the PEM certificates of --cacert into a pool.
func loadCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--cacert: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, usagef("--cacert %s: no PEM certificate in it", inert(path))
	}
	return pool, nil
}

// close closes what client opened.
func (c *commonFlags) close() {
	for _, f := range c.release {
		f()
	}
	c.release = nil
}

// timeoutHint adds to an error caused by a silent server the flag that
// changes the bound it met: --stall-timeout, or --connect-timeout for a
// connection that could not be made in time.
func timeoutHint(err error) error {
	const connect = "%w\n(no connection within the connect timeout: use --connect-timeout to wait longer)"
	var (
		dial *net.OpError
		ne   net.Error
	)
	switch {
	case errors.Is(err, level3.ErrStalled):
		return fmt.Errorf("%w\n(the server sent nothing for the stall timeout: use --stall-timeout to wait longer, 0 for no limit)", err)
	case errors.As(err, &dial) && dial.Op == "dial" && dial.Timeout():
		return fmt.Errorf(connect, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return err // --timeout, or an interrupt
	case errors.As(err, &ne) && ne.Timeout(): // the TLS handshake
		return fmt.Errorf(connect, err)
	}
	return err
}

// context applies --timeout to ctx. Its cancel function also closes what
// client opened, whichever of the two a command calls first.
func (c *commonFlags) context(ctx context.Context) (context.Context, context.CancelFunc) {
	var cancel context.CancelFunc
	if c.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	return ctx, func() { cancel(); c.close() }
}

// newFlagSet returns a FlagSet that reports errors instead of exiting. It
// prints nothing itself: parse writes the command's usage to out when -h is
// given, and a flag error reaches the user once, through report.
func newFlagSet(name, usage string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintln(out, strings.TrimSpace("usage: l3 "+name+" "+usage))
		flags := 0
		fs.VisitAll(func(*flag.Flag) { flags++ })
		if flags > 0 {
			fmt.Fprint(out, "\nflags:\n")
			fs.SetOutput(out)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
		}
	}
	return fs
}

// parse parses args with flags and positional arguments in any order, as
// users type them ("l3 discover URL --json"), and returns the positional ones.
// Everything after "--" is positional.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var tail []string
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	var positional []string
	help := fs.Usage
	fs.Usage = func() {} // the flag package calls it on errors too
	defer func() { fs.Usage = help }()
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				help()
				return nil, errHelp
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		if args = fs.Args(); len(args) == 0 {
			return append(positional, tail...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}
