// This file holds the async stage of `l3 demo`: an upload answered 202
// Accepted, followed from its resume token by a second Poller with the
// server's Retry-After, and a DELETE polled with backoff until the resource
// is gone. demo.go lists the stages.

package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

// Paths of the resources the async stage adds to the demo server.
const (
	demoAsyncUploads = "/async-uploads"
	demoAsyncOrder   = "/async-orders/7"
)

func demoAsync(ctx context.Context, d *demo) error {
	up := mocks.Upload().With(profiles.Async)
	up.AsyncPolls, up.RetryAfter = 1, "1"
	d.srv.Handle(demoAsyncUploads, up)

	p, err := d.client.SendAsync(ctx, http.MethodPost, d.srv.URL+demoAsyncUploads, "text/csv",
		bytes.NewReader(mocks.CatalogReport()[:4096]), nil)
	if err != nil {
		return err
	}
	acc := p.Accepted()
	if acc == nil {
		return fmt.Errorf("want 202 Accepted, the server answered synchronously")
	}
	d.say("POST %s with prefer: respond-async -> %s, retry-after %s", demoAsyncUploads, acc.Status, acc.Header.Get("Retry-After"))
	d.say("  preference-applied: %s; watching %s", strings.Join(p.PreferenceApplied(), ", "), p.Location().Path)
	token, err := p.ResumeToken()
	if err != nil {
		return err
	}
	d.say("  resume token %s… (%d bytes), continued by a second Poller:", token[:24], len(token))
	resumed, err := d.client.ResumePoller(token, nil)
	if err != nil {
		return err
	}
	if err := d.follow(ctx, resumed); err != nil {
		return err
	}
	resp, err := resumed.Result()
	if err != nil {
		return err
	}
	resp.Body.Close()
	d.say("  the upload exists: %s, etag %s", resp.Status, resp.Header.Get("ETag"))
	log := d.srv.Requests()
	for i, r := range log {
		d.say("  server saw %-4s %-18s at +%s", r.Method, r.Path, r.Time.Sub(log[0].Time).Round(10*time.Millisecond))
		if i > 0 && r.Time.Sub(log[i-1].Time) < time.Second {
			return fmt.Errorf("poll %d came %v after the request before, sooner than Retry-After: 1", i, r.Time.Sub(log[i-1].Time))
		}
	}

	order := mocks.Data(`{"id":7,"state":"cancelled"}`).With(profiles.Async)
	order.AsyncAfter = 400 * time.Millisecond
	d.srv.Handle(demoAsyncOrder, order)
	fast := level3.Schedule{Initial: 150 * time.Millisecond, Max: time.Second, Multiplier: 2, Jitter: 0.2, Attempts: 3}
	p, err = d.client.SendAsync(ctx, http.MethodDelete, d.srv.URL+demoAsyncOrder, "", nil, &level3.AsyncOptions{Poll: fast})
	if err != nil {
		return err
	}
	d.say("DELETE %s -> %s; no retry-after, so backoff from %s:", demoAsyncOrder, p.Accepted().Status, fast.Initial)
	if err := d.follow(ctx, p); err != nil {
		return err
	}
	resp, err = p.Result()
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("want 404 once deleted, got %s", resp.Status)
	}
	d.say("  gone after %d polls", p.Polls())
	return nil
}

// follow polls p to the end, one line per poll.
func (d *demo) follow(ctx context.Context, p *level3.Poller) error {
	start := time.Now()
	for n := 0; !p.Done(); n++ {
		if n == 20 { // bounded: a lying server cannot keep the demo polling
			return fmt.Errorf("still not done after %d polls", n)
		}
		resp, err := p.Poll(ctx)
		if err != nil {
			return err
		}
		verdict := "not yet"
		if p.Done() {
			verdict = "done"
		} else {
			resp.Body.Close()
		}
		d.say("    poll %d at +%-6s %-14s %s", p.Polls(), time.Since(start).Round(10*time.Millisecond), resp.Status, verdict)
	}
	return nil
}
