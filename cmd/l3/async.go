// This file holds what the commands that can start an asynchronous
// operation share: the --async, --wait and --detach flags (asyncFlags), and
// following a Poller with progress on stderr and the outcome on stdout
// (follow, printOutcome). send.go and poll.go use them; upload and put can
// take them the same way (o.async.register(fs), then o.async.do).

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/l3go/level3"
)

// waitFlag is --wait SECONDS: set or not, and how long.
type waitFlag struct {
	set  bool
	secs int
}

func (w *waitFlag) String() string {
	if !w.set {
		return ""
	}
	return strconv.Itoa(w.secs)
}

func (w *waitFlag) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return fmt.Errorf("want whole seconds ≥ 0, got %q", v)
	}
	w.set, w.secs = true, n
	return nil
}

// asyncFlags are --async, --wait and --detach.
type asyncFlags struct {
	async  bool
	wait   waitFlag
	detach bool
	json   bool
}

// register adds the flags to fs. The command registers --json itself if it
// has one; asyncFlags.json is set from it.
func (a *asyncFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&a.async, "async", false, "ask for asynchronous processing (prefer: respond-async) and poll a 202 to completion")
	fs.Var(&a.wait, "wait", "with prefer: respond-async, let the server take up to `SECONDS` before answering 202 (implies --async)")
	fs.BoolVar(&a.detach, "detach", false, "after a 202, print the resume token and exit without polling (implies --async; continue with 'l3 poll TOKEN')")
}

// enabled reports whether the request is to be sent asynchronously.
func (a *asyncFlags) enabled() bool { return a.async || a.wait.set || a.detach }

// options returns the AsyncOptions the flags ask for (--wait 0 sends no
// wait preference: the server answers 202 at once either way).
func (a *asyncFlags) options() *level3.AsyncOptions {
	return &level3.AsyncOptions{Wait: time.Duration(a.wait.secs) * time.Second}
}

// do sends req asynchronously and follows the operation: progress and the
// resume token on stderr, the outcome on stdout.
func (a *asyncFlags) do(ctx context.Context, client *level3.Client, req *http.Request, s streams) error {
	p, err := client.DoAsync(req, a.options())
	if err != nil {
		return err
	}
	acc := p.Accepted()
	if acc == nil {
		fmt.Fprintln(s.err, "answered synchronously (the server did not apply respond-async)")
		return a.finish(p, "", s)
	}
	tok, err := p.ResumeToken()
	if err != nil {
		return err
	}
	note := ""
	if ra := acc.Header.Get("Retry-After"); ra != "" {
		note = fmt.Sprintf(", retry-after %s", ra)
	}
	fmt.Fprintf(s.err, "%s%s; watching %s\n", inert(acc.Status), inert(note), inert(fmt.Sprint(p.Location())))
	fmt.Fprintf(s.err, "resume token: %s\n", inert(tok))
	if a.detach {
		if a.json {
			return writeJSON(s.out, outcome{Status: acc.StatusCode, Location: p.Location().String(), Token: tok})
		}
		fmt.Fprintln(s.out, inert(tok))
		return nil
	}
	if err := follow(ctx, p, s); err != nil {
		return err
	}
	return a.finish(p, tok, s)
}

// finish prints the outcome of a finished Poller.
func (a *asyncFlags) finish(p *level3.Poller, tok string, s streams) error {
	resp, err := p.Result()
	if err != nil {
		return err
	}
	defer resp.Body.Close() // unread: the outcome is in the header, and l3 exits
	return printOutcome(s.out, resp, p, a.json)
}

// maxPollFailures is how many polls in a row may get no answer before follow
// stops: the default of level3.AsyncOptions.Poll.Attempts, which
// Poller.Wait uses.
const maxPollFailures = 3

// follow polls p until it is done, printing one line per poll on stderr. It
// stops, naming the command that continues, when ctx ends or the server
// stops answering.
func follow(ctx context.Context, p *level3.Poller, s streams) error {
	start := time.Now()
	failures := 0
	for !p.Done() {
		resp, err := p.Poll(ctx)
		elapsed := time.Since(start).Seconds()
		var re *level3.ResponseError
		switch {
		case p.Done():
			if err != nil {
				fmt.Fprintf(s.err, "poll %d  +%.1fs  failed\n", p.Polls(), elapsed)
			} else {
				fmt.Fprintf(s.err, "poll %d  +%.1fs  %s: done\n", p.Polls(), elapsed, inert(resp.Status))
			}
		case err == nil:
			_ = resp.Body.Close()
			fmt.Fprintf(s.err, "poll %d  +%.1fs  %s: not yet; next in %s\n", p.Polls(), elapsed, inert(resp.Status), untilNext(p))
		case errors.As(err, &re):
			failures = 0
			fmt.Fprintf(s.err, "poll %d  +%.1fs  %s: try later; next in %s\n", p.Polls(), elapsed, inert(re.Status), untilNext(p))
		default:
			failures++
			if ctx.Err() != nil || failures >= maxPollFailures {
				tok, terr := p.ResumeToken()
				if terr == nil {
					fmt.Fprintf(s.err, "stopped; continue with: l3 poll %s\n", inert(tok))
				}
				return err
			}
			fmt.Fprintf(s.err, "poll failed: %s; next in %s\n", inertLines(err.Error()), untilNext(p))
		}
	}
	return nil
}

// untilNext says how long until p's next poll.
func untilNext(p *level3.Poller) time.Duration {
	return max(time.Until(p.NextPoll()), 0).Round(100 * time.Millisecond)
}

// outcome is the --json form of a result.
type outcome struct {
	Status       int    `json:"status"`
	Location     string `json:"location,omitempty"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	Polls        int    `json:"polls"`
	Token        string `json:"token,omitempty"`
}

// printOutcome writes the final status and what identifies the result: the
// location (created or changed resource) and its validators.
func printOutcome(w io.Writer, resp *http.Response, p *level3.Poller, asJSON bool) error {
	o := outcome{Status: resp.StatusCode, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	if p != nil {
		o.Polls = p.Polls()
		if loc := p.Location(); loc != nil {
			o.Location = loc.String()
		}
	}
	if loc, err := resp.Location(); err == nil && o.Location == "" {
		o.Location = loc.String()
	}
	if asJSON {
		return writeJSON(w, o)
	}
	fmt.Fprintf(w, "%d %s\n", resp.StatusCode, http.StatusText(resp.StatusCode))
	for _, kv := range [][2]string{{"location", o.Location}, {"etag", o.ETag}, {"last-modified", o.LastModified}} {
		if kv[1] != "" {
			fmt.Fprintf(w, "%s: %s\n", kv[0], inert(kv[1]))
		}
	}
	return nil
}

// writeJSON writes v as one line of inert JSON.
func writeJSON(w io.Writer, v any) error {
	return newJSONEncoder(w).Encode(v)
}
