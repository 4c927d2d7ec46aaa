// This file holds the demo stages for controls and state (demo.go lists
// them): a GET revalidated with 304, a 412 recovered by Update, a form
// submission that survives a lost answer thanks to its idempotency key, a
// merge patch, an action and a lookup with their 303s, and a paged list
// walked with an iterator. They complement the "Links" stage (a hand-written
// loop over two pages) and the "Typed errors" stage (the 412 as an error).

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

func demoRevalidate(ctx context.Context, d *demo) error {
	url := d.srv.URL + mocks.PathReport
	for i := 1; i <= 2; i++ {
		resp, err := d.client.Get(ctx, url, nil)
		if err != nil {
			return err
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		sent := d.srv.Requests()[i-1].Header.Get("If-None-Match")
		switch {
		case i == 1:
			d.say("GET 1: %d bytes from the server, etag %s kept in the cache", n, resp.Header.Get("ETag"))
		case !level3.FromCache(resp):
			return fmt.Errorf("the second GET was not answered from the cache (Cache-Status %q)", resp.Header.Get("Cache-Status"))
		default:
			d.say("GET 2: sent If-None-Match: %s, the server answered 304 Not Modified", sent)
			d.say("       %d bytes served from the cache (Cache-Status: %s)", n, resp.Header.Get("Cache-Status"))
		}
	}
	return nil
}

func demoOptimistic(ctx context.Context, d *demo) error {
	url := d.srv.URL + mocks.PathOrder2
	attempt := 0
	res, err := level3.Update(ctx, d.client, url, func(order *map[string]any) error {
		attempt++
		d.say("attempt %d: read state %q", attempt, (*order)["state"])
		if attempt == 1 {
			// Another client writes between our GET and our PUT.
			d.srv.SetBody(mocks.PathOrder2, []byte(`{"id":2,"state":"packed"}`))
			d.say("           meanwhile someone else sets it to \"packed\": our PUT will get 412")
		}
		(*order)["note"] = "gift wrap"
		return nil
	}, nil)
	if err != nil {
		return err
	}
	stored, _ := d.srv.Resource(mocks.PathOrder2)
	d.say("attempt %d: PUT with If-Match succeeded: %d, new etag %s", attempt, res.Status, res.Validators.ETag)
	d.say("stored: %s", stored.Body)
	if attempt != 2 || !strings.Contains(string(stored.Body), `"packed"`) {
		return fmt.Errorf("want the other write kept and two attempts, got %d attempts and %s", attempt, stored.Body)
	}
	return nil
}

func demoIdempotency(ctx context.Context, d *demo) error {
	form := mocks.Form(`{"item":"","quantity":1}`)
	form.IdempotencyKey = "optional"
	form.Processing = 1 // the first submission outlives its lost answer by one request
	d.srv.Handle(mocks.PathOrderForm, form)
	d.srv.Fail(mocks.PathOrderForm, mocks.DropResponse().OnlyFor(http.MethodPost))
	before := len(d.srv.Paths())

	res, err := d.client.Submit(ctx, d.srv.URL+mocks.PathOrderForm, map[string]any{"item": "lamp"}, nil)
	if err != nil {
		return err
	}
	var posts []mocks.Request
	for _, r := range d.srv.Requests() {
		if r.Method == http.MethodPost {
			posts = append(posts, r)
		}
	}
	if len(posts) == 0 {
		return errors.New("no POST reached the server")
	}
	key := posts[0].Header.Get("Idempotency-Key")
	d.say("GET the form: idempotency-key: optional, so the submission gets the key %s", key)
	d.say("POST 1: the server creates the order, but the answer is lost (connection dropped)")
	d.say("POST 2: sent again with the same key: 409, the first is still being processed")
	d.say("POST 3: after a backoff, same key: %d %s, location %s (the first answer, replayed)",
		res.Status, http.StatusText(res.Status), res.Location.Path)
	for _, p := range posts {
		if p.Header.Get("Idempotency-Key") != key {
			return errors.New("a retry used another key")
		}
	}
	if n, _ := d.srv.Submissions(mocks.PathOrderForm, key); n != 3 || len(posts) != 3 {
		return fmt.Errorf("want 3 POSTs with the key, server saw %d of %d", n, len(posts))
	}
	if created := len(d.srv.Paths()) - before; created != 1 {
		return fmt.Errorf("want exactly one order created, got %d", created)
	}
	d.say("one order created for three POSTs")
	return nil
}

func demoDataActionLookup(ctx context.Context, d *demo) error {
	type change struct {
		Note string `json:"note,omitempty"`
	}
	p, err := level3.MergePatchOf(change{Note: "leave at the door"})
	if err != nil {
		return err
	}
	res, err := d.client.Patch(ctx, d.srv.URL+mocks.PathOrder3, p, nil)
	if err != nil {
		return err
	}
	d.say("PATCH %s (application/merge-patch+json): %d, new etag %s", mocks.PathOrder3, res.Status, res.Validators.ETag)

	ship := mocks.PathOrder3 + "/ship"
	res, err = d.client.Trigger(ctx, d.srv.URL+ship, nil)
	if err != nil {
		return err
	}
	d.say("POST %s (Action, no body): 303 See Other, followed to %s: %s", ship, res.Location.Path, res.Body)
	if !strings.Contains(string(res.Body), "shipped") {
		return fmt.Errorf("the action's 303 did not lead to the changed state: %s", res.Body)
	}

	res, err = d.client.Lookup(ctx, d.srv.URL+mocks.PathFindOrder, map[string]int{"id": 1}, nil)
	if err != nil {
		return err
	}
	d.say("POST %s (Lookup) {\"id\":1}: 303, GET %s: %s", mocks.PathFindOrder, res.URL.Path, res.Body)

	_, err = d.client.Lookup(ctx, d.srv.URL+mocks.PathFindOrder, map[string]int{"id": 99}, nil)
	var nf *level3.NotFoundError
	if !errors.As(err, &nf) {
		return fmt.Errorf("want *NotFoundError for no match, got %v", err)
	}
	d.say("a lookup with no match: %T (%d)", nf, nf.StatusCode)
	return nil
}

func demoPaging(ctx context.Context, d *demo) error {
	pages, entries := 0, 0
	for page, err := range d.client.Pages(ctx, d.srv.URL+mocks.PathProducts) {
		if err != nil {
			return err
		}
		pages++
		var titles []string
		for _, l := range page.Links.All(profiles.RelListEntry) {
			titles = append(titles, l.Title)
			entries++
		}
		how := "last page"
		for _, l := range page.Links {
			if l.HasRel(profiles.RelPageNext) || l.HasRel("next") {
				how = "next by rel=\"" + strings.Join(l.Rel, " ") + "\""
				break
			}
		}
		d.say("%-17s %-24s %s", page.URL.Path, strings.Join(titles, ", "), how)
	}
	if pages != 4 || entries != 10 {
		return fmt.Errorf("want 10 entries on 4 pages, got %d on %d", entries, pages)
	}
	d.say("%d entries on %d pages, in link order; a break in the loop stops the requests", entries, pages)
	return nil
}
