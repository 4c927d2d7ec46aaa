// This file holds `l3 demo`: a tour of the SDK against the fake server
// (package mocks) on loopback. Each stage shows one Level 3 feature and checks
// its result, so the demo fails loudly if the SDK misbehaves. Later features
// add a stage to demoStages.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

// demo is the state the stages share.
type demo struct {
	srv    *mocks.Server
	client *level3.Client
	out    io.Writer
}

// demoStage is one step of the tour.
type demoStage struct {
	title string
	run   func(ctx context.Context, d *demo) error
}

// demoStages lists the tour in order.
func demoStages() []demoStage {
	return []demoStage{
		{"Discovery: HEAD the entry point", demoDiscover},
		{"Links: follow list entries and walk pages", demoLinks},
		{"Redirects: a 308 alias is remembered, a 307 asked every time, a 303 fetched", demoRedirects},
		{"Typed errors: 412 and problem details with errors.As", demoErrors},
		{"Retries: 503 with Retry-After, then success", demoRetries},
		{"Async: 202 Accepted, polled to completion", demoAsync},
		{"Entity: a cached GET revalidated with If-None-Match, answered 304", demoRevalidate},
		{"Entity: a 412 on a stale write, recovered by Update (re-read, redo)", demoOptimistic},
		{"Form: an idempotency key survives a lost answer, a 409 and the replay", demoIdempotency},
		{"Data, Action, Lookup: merge patch, 303 to the changed state, no match", demoDataActionLookup},
		{"Patterns: every entry of a 4-page list, with an iterator", demoPaging},
		{"Downloads: the connection drops twice, the download resumes and verifies", demoDownload},
		{"Uploads: a refused upload sends no body byte, an accepted one goes through", demoUploads},
	}
}

// parseDemo parses the (flagless) arguments of `l3 demo`.
func parseDemo(args []string, s streams) (*commonFlags, error) {
	var c commonFlags
	fs := newFlagSet("demo", "", s.err)
	c.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 0 {
		return nil, usagef("demo: unexpected argument %q", pos[0])
	}
	c.inMemory = true // the demo's server is gone when it ends: remember nothing on disk
	return &c, nil
}

func demoCmd(ctx context.Context, args []string, s streams) error {
	c, err := parseDemo(args, s)
	if err != nil {
		return err
	}
	return runDemo(ctx, c, s)
}

// runDemo starts the fake server on loopback and runs every stage.
func runDemo(ctx context.Context, c *commonFlags, s streams) error {
	ctx, cancel := c.context(ctx)
	defer cancel()
	srv, err := mocks.Start()
	if err != nil {
		return err
	}
	defer srv.Close()
	srv.AddCatalog()
	client, err := c.client(s.err)
	if err != nil {
		return err
	}
	d := &demo{srv: srv, client: client, out: s.out}
	fmt.Fprintf(s.out, "level3 demo: fake Level 3 server at %s\n", srv.URL)
	stages := demoStages()
	start := time.Now()
	for i, st := range stages {
		fmt.Fprintf(s.out, "\n[%d/%d] %s\n", i+1, len(stages), st.title)
		t0 := time.Now()
		srv.ResetLog()
		if err := st.run(ctx, d); err != nil {
			return fmt.Errorf("demo stage %q: %w", st.title, err)
		}
		fmt.Fprintf(s.out, "      ok (%d requests, %s)\n", len(srv.Requests()), time.Since(t0).Round(time.Millisecond))
	}
	fmt.Fprintf(s.out, "\nall %d stages passed in %s\n", len(stages), time.Since(start).Round(time.Millisecond))
	return nil
}

// say prints one indented line of a stage's output.
func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, "      "+format+"\n", args...)
}

func demoDiscover(ctx context.Context, d *demo) error {
	home, err := d.client.Discover(ctx, d.srv.URL+mocks.PathHome)
	if err != nil {
		return err
	}
	if !home.Has(profiles.Home) {
		return fmt.Errorf("entry point does not declare the Home profile: %v", home.Profiles)
	}
	d.say("profile  %s", home.Profiles)
	d.say("allow    %s", strings.Join(home.Allow, ", "))
	d.say("%d links:", len(home.Links))
	for _, l := range home.Links {
		d.say("  %-28s %-20s %s", shortRels(l.Rel), l.Href.Path, l.Title)
	}
	return nil
}

func demoLinks(ctx context.Context, d *demo) error {
	home, err := d.client.Discover(ctx, d.srv.URL+mocks.PathHome)
	if err != nil {
		return err
	}
	page, err := home.Follow(ctx, profiles.RelListEntry)
	if err != nil {
		return err
	}
	entries := 0
	for n := 1; n <= 10; n++ { // bounded: a lying server cannot loop us forever
		for _, e := range page.Links.All(profiles.RelListEntry) {
			entries++
			d.say("page %d  entry %-12s %s", n, e.Href.Path, e.Title)
		}
		page, err = page.Follow(ctx, profiles.RelPageNext)
		if errors.Is(err, level3.ErrNoLink) {
			break
		}
		if err != nil {
			return err
		}
	}
	if entries != 3 {
		return fmt.Errorf("want 3 orders over 2 pages, got %d", entries)
	}
	return nil
}

func demoErrors(ctx context.Context, d *demo) error {
	order, err := d.client.Discover(ctx, d.srv.URL+mocks.PathOrder1)
	if err != nil {
		return err
	}
	d.say("order 1 has etag %s", order.ETag)
	d.srv.SetBody(mocks.PathOrder1, []byte(`{"id":1,"state":"packed"}`)) // someone else changes it
	req, err := level3.NewRequest(ctx, http.MethodPut, order.URL.String(), strings.NewReader(`{"id":1,"state":"cancelled"}`))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("If-Match", order.ETag)
	_, err = d.client.Do(req)
	var stale *level3.PreconditionFailedError
	if !errors.As(err, &stale) {
		return fmt.Errorf("want *PreconditionFailedError, got %v", err)
	}
	d.say("PUT with a stale If-Match -> %T: %d", stale, stale.StatusCode)

	// The ship action changes the order's state, and is refused from it.
	ship := func() (*http.Response, error) {
		return d.client.Send(ctx, http.MethodPost, d.srv.URL+mocks.PathShip, "", nil, nil)
	}
	resp, err := ship()
	if err != nil {
		return err
	}
	resp.Body.Close()
	d.say("POST the ship action: order 1 is now shipped (%s after the 303)", resp.Status)
	if resp, err = ship(); err == nil {
		resp.Body.Close()
	}
	var conflict *level3.ConflictError
	if !errors.As(err, &conflict) || conflict.Problem == nil {
		return fmt.Errorf("want *ConflictError with problem details for shipping twice, got %v", err)
	}
	var state string
	conflict.Problem.Extension("state", &state)
	d.say("POST it again -> %T: shipping twice conflicts with the order's state", conflict)
	d.say("  title %q, detail %q, state %q", conflict.Problem.Title, conflict.Problem.Detail, state)
	d.say("  message: %v", err)
	var base *level3.ResponseError
	if !errors.As(err, &base) {
		return errors.New("a typed error does not unwrap to *ResponseError")
	}
	d.say("  the same error is also a *level3.ResponseError (status %d)", base.StatusCode)
	return nil
}

func demoRetries(ctx context.Context, d *demo) error {
	d.srv.Fail(mocks.PathStats, mocks.Problem(http.StatusServiceUnavailable, "Warming up", "try again shortly").
		WithRetryAfter("1").Times(2))
	t0 := time.Now()
	resp, err := d.client.Get(ctx, d.srv.URL+mocks.PathStats, nil)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	log := d.srv.Requests()
	for i, r := range log {
		d.say("attempt %d at +%s", i+1, r.Time.Sub(log[0].Time).Round(10*time.Millisecond))
	}
	d.say("got %d %s after %s: %s", resp.StatusCode, http.StatusText(resp.StatusCode), time.Since(t0).Round(10*time.Millisecond), body)
	if len(log) != 3 {
		return fmt.Errorf("want 3 attempts, server saw %d", len(log))
	}
	return nil
}
