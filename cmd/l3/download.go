// This file holds `l3 download URL [-o FILE_OR_DIR]`: a resumable, verified
// download (level3.Client.Download), with a progress bar on a terminal.

package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/l3go/level3"
	"golang.org/x/term"
)

// downloadOptions are the parsed arguments of `l3 download`.
type downloadOptions struct {
	common      commonFlags
	url         string
	output      string
	connections int
	sha256      string
	failFast    bool
	keepPartial bool
	noResume    bool
	overwrite   bool
	json        bool
	progress    bool // draw a progress bar (stderr is a terminal)
}

const downloadUsage = "URL [-o FILE_OR_DIR] [--connections N] [--sha256 HEX] [--fail-fast] [--no-resume] [--overwrite] [--json]"

// parseDownload parses the arguments of `l3 download`.
func parseDownload(args []string, s streams) (*downloadOptions, error) {
	o := &downloadOptions{}
	fs := newFlagSet("download", downloadUsage, s.err)
	o.common.register(fs)
	fs.StringVar(&o.output, "o", "", "save to FILE, or into DIR under the name the server suggests (default: the current directory)")
	fs.IntVar(&o.connections, "connections", 1, fmt.Sprintf("fetch ranges over up to N connections at once (1-%d)", level3.MaxConnections))
	fs.StringVar(&o.sha256, "sha256", "", "check the content against this SHA-256 digest (hexadecimal)")
	fs.BoolVar(&o.failFast, "fail-fast", false, "resume with If-Match: fail if the content changed instead of starting over")
	fs.BoolVar(&o.keepPartial, "keep-partial", false, "with --fail-fast, keep the partial file when the content changed")
	fs.BoolVar(&o.noResume, "no-resume", false, "discard a partial file from an earlier attempt")
	fs.BoolVar(&o.overwrite, "overwrite", false, "replace an existing file")
	fs.BoolVar(&o.json, "json", false, "print a JSON summary {path, bytes, sha256, resumed, restarts, connections, connections_opened, connections_reused} on stdout")
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, usagef("download: want exactly one URL, got %d arguments", len(pos))
	}
	o.url = pos[0]
	switch {
	case o.output == "-":
		return nil, usagef("download: -o -: downloads go to files (they resume); use 'l3 get' to write to stdout")
	case o.connections < 1 || o.connections > level3.MaxConnections:
		return nil, usagef("download: --connections %d: want 1 to %d", o.connections, level3.MaxConnections)
	case o.keepPartial && !o.failFast:
		return nil, usagef("download: --keep-partial only applies with --fail-fast")
	}
	if o.sha256 != "" {
		if sum, err := hex.DecodeString(o.sha256); err != nil || len(sum) != 32 {
			return nil, usagef("download: --sha256 %q: want 64 hexadecimal digits", o.sha256)
		}
	}
	o.progress = isTerminal(s.err)
	return o, nil
}

func downloadCmd(ctx context.Context, args []string, s streams) error {
	o, err := parseDownload(args, s)
	if err != nil {
		return err
	}
	return runDownload(ctx, o, s)
}

// downloadJSON is the --json summary. The connections are counted, not
// asked for: the most at once, and those opened and reused in all.
type downloadJSON struct {
	Path              string `json:"path"`
	Bytes             int64  `json:"bytes"`
	SHA256            string `json:"sha256"`
	Resumed           bool   `json:"resumed"`
	Restarts          int    `json:"restarts"`
	Connections       int    `json:"connections"`
	ConnectionsOpened int    `json:"connections_opened"`
	ConnectionsReused int    `json:"connections_reused"`
}

// options turns the flags into download options.
func (o *downloadOptions) options(progress func(level3.Progress)) *level3.DownloadOptions {
	opts := &level3.DownloadOptions{
		Connections:         o.connections,
		StallTimeout:        o.common.stallTimeout, // 0: the library's default
		SHA256:              o.sha256,
		ComputeSHA256:       o.sha256 == "" && o.json,
		FailFast:            o.failFast,
		KeepPartialOnChange: o.keepPartial,
		NoResume:            o.noResume,
		Overwrite:           o.overwrite,
	}
	if progress != nil {
		opts.Progress, opts.ProgressInterval = progress, 250*time.Millisecond
	}
	return opts
}

// runDownload downloads o.url and reports the result.
func runDownload(ctx context.Context, o *downloadOptions, s streams) error {
	var extra []level3.Option
	if o.connections == 1 && s.procs != nil {
		extra = append(extra, level3.WithMiddleware(oneProcOverHTTP2(s.procs)))
	}
	client, err := o.common.client(s.err, extra...)
	if err != nil {
		return err
	}
	ctx, cancel := o.common.context(ctx)
	defer cancel()
	var bar *downloadBar
	var progress func(level3.Progress)
	if o.progress {
		bar = &downloadBar{w: s.err}
		progress = bar.update
	}
	res, err := client.Download(ctx, o.url, o.output, o.options(progress))
	bar.done()
	if err != nil {
		return explainDownloadError(err)
	}
	if o.json {
		enc := newJSONEncoder(s.out)
		enc.SetIndent("", "  ")
		return enc.Encode(downloadJSON{
			Path: res.Path, Bytes: res.Bytes, SHA256: res.SHA256,
			Resumed: res.Resumed, Restarts: res.Restarts, Connections: res.Connections,
			ConnectionsOpened: res.ConnectionsOpened, ConnectionsReused: res.ConnectionsReused,
		})
	}
	var notes []string
	if res.Resumed {
		notes = append(notes, "resumed")
	}
	if res.Restarts > 0 {
		notes = append(notes, fmt.Sprintf("%d restarts", res.Restarts))
	}
	if note := connectionsNote(o.connections, res); note != "" {
		notes = append(notes, note)
	}
	if res.SHA256 != "" {
		verified := ""
		if o.sha256 != "" {
			verified = " (verified)"
		}
		notes = append(notes, "sha256 "+res.SHA256+verified)
	}
	fmt.Fprintf(s.err, "saved %s: %d bytes", inert(res.Path), res.Bytes)
	if len(notes) > 0 {
		fmt.Fprintf(s.err, ", %s", strings.Join(notes, ", "))
	}
	fmt.Fprintln(s.err)
	return nil
}

// connectionsNote says over how many TCP connections the download ran, as
// counted: the most at once, against those asked for when they differ, and
// how many in all when cuts replaced some: "4 connections (6 in all)",
// "1 connection of 4 asked". It says nothing of one connection when one was
// asked for, nor when none was counted (a transport that reports none).
func connectionsNote(asked int, res *level3.DownloadResult) string {
	if asked <= 1 && res.Connections <= 1 || res.Connections == 0 {
		return ""
	}
	note := fmt.Sprintf("%d connection", res.Connections)
	if res.Connections != 1 {
		note += "s"
	}
	if asked != res.Connections {
		note += fmt.Sprintf(" of %d asked", asked)
	}
	if all := res.ConnectionsOpened + res.ConnectionsReused; all > res.Connections {
		note += fmt.Sprintf(" (%d in all)", all)
	}
	return note
}

// explainDownloadError adds the flag that changes the outcome to the
// errors a flag can change.
func explainDownloadError(err error) error {
	var changed *level3.ContentChangedError
	var pe *fs.PathError
	switch {
	case errors.Is(err, level3.ErrFileExists) && errors.As(err, &pe):
		return fmt.Errorf("%s exists; use --overwrite to replace it", pe.Path)
	case errors.As(err, &changed):
		return fmt.Errorf("%w\n(run again without --fail-fast to download the new content)", err)
	case errors.Is(err, level3.ErrTooManyRestarts), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w\n(the partial file is kept: run the same command again to resume)", err)
	}
	return err
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	// A character device is not enough: /dev/null is one too, and drawing a
	// bar there costs an upload its sendfile(2) for nothing.
	return ok && term.IsTerminal(int(f.Fd()))
}

// downloadBar draws one line of download progress, redrawn in place.
type downloadBar struct {
	w     io.Writer
	drawn bool
}

// update redraws the bar; it is the download's Progress function.
func (b *downloadBar) update(p level3.Progress) {
	b.drawn = true
	fmt.Fprint(b.w, "\r"+renderProgress(p, 30)+"\x1b[K")
}

// done ends the bar's line.
func (b *downloadBar) done() {
	if b != nil && b.drawn {
		fmt.Fprintln(b.w)
	}
}

// renderProgress returns a progress line with a bar width characters wide:
// "  42% [############..................]  12.5 MiB / 30.0 MiB  4.1 MiB/s  ETA 4s".
func renderProgress(p level3.Progress, width int) string {
	if p.Total <= 0 {
		return fmt.Sprintf("%s  %s/s", formatBytes(p.Bytes), formatBytes(int64(p.Rate)))
	}
	frac := min(max(float64(p.Bytes)/float64(p.Total), 0), 1)
	full := int(frac * float64(width))
	eta := "--"
	switch {
	case p.Bytes >= p.Total:
		eta = "0s"
	case p.Rate > 0:
		eta = time.Duration(float64(p.Total-p.Bytes) / p.Rate * float64(time.Second)).Round(time.Second).String()
	}
	return fmt.Sprintf("%4.0f%% [%s%s] %s / %s  %s/s  ETA %s", frac*100,
		strings.Repeat("#", full), strings.Repeat(".", width-full),
		formatBytes(p.Bytes), formatBytes(p.Total), formatBytes(int64(p.Rate)), eta)
}

// formatBytes writes n in B, KiB, MiB or GiB.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}
