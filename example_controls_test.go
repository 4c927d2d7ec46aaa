package level3_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

// Every GET goes to the server, but an unchanged resource costs a 304: the
// Client's cache sends If-None-Match and serves the body it kept.
func ExampleFromCache() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New() // a MemoryCache by default; WithCache(nil) for none
	for i := 0; i < 2; i++ {
		resp, err := client.Get(context.Background(), srv.URL+mocks.PathReport, nil)
		if err != nil {
			log.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Println(n, "bytes, from the cache:", level3.FromCache(resp))
	}
	// Output:
	// 65517 bytes, from the cache: false
	// 65517 bytes, from the cache: true
}

// Update is optimistic concurrency in one call: GET, modify, PUT with
// If-Match, and start again from a fresh GET when someone else won the race.
func ExampleUpdate() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()

	type order struct {
		ID    int    `json:"id"`
		State string `json:"state"`
	}
	res, err := level3.Update(context.Background(), client, srv.URL+mocks.PathOrder1, func(o *order) error {
		if o.State != "open" {
			return errors.New("only open orders can be paid")
		}
		o.State = "paid"
		return nil
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	stored, _ := srv.Resource(mocks.PathOrder1)
	fmt.Println(res.Status, string(stored.Body), res.Validators.ETag == stored.ETag)
	// Output:
	// 204 {"id":1,"state":"paid"} true
}

// IfVersion makes a change apply only to the version that was read (Entity
// mixin: If-Match); a stale one gets a typed 412.
func ExampleRequestOptions_ifVersion() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()
	ctx := context.Background()

	order, _ := client.GetJSON(ctx, srv.URL+mocks.PathOrder2, nil, nil)
	srv.SetBody(mocks.PathOrder2, []byte(`{"id":2,"state":"packed"}`)) // someone else writes

	_, err := client.Delete(ctx, srv.URL+mocks.PathOrder2, &level3.RequestOptions{IfVersion: order.Validators})
	var stale *level3.PreconditionFailedError
	fmt.Println(errors.As(err, &stale))
	// Output:
	// true
}

// PutJSON replaces the state of a Data resource; with IfVersion it does so
// only if nobody changed it since it was read, and the Result carries the
// new validators for the next change.
func ExampleClient_PutJSON() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()
	ctx := context.Background()

	var order map[string]any
	read, err := client.GetJSON(ctx, srv.URL+mocks.PathOrder2, &order, nil)
	if err != nil {
		log.Fatal(err)
	}
	order["state"] = "packed"
	res, err := client.PutJSON(ctx, srv.URL+mocks.PathOrder2, order, &level3.RequestOptions{IfVersion: read.Validators})
	if err != nil {
		log.Fatal(err)
	}
	stored, _ := srv.Resource(mocks.PathOrder2)
	fmt.Println(res.Status, string(stored.Body), res.Validators.ETag == stored.ETag)
	// Output:
	// 204 {"id":2,"state":"packed"} true
}

// Return: "representation" asks a server with the Representation mixin to
// answer a change with the resulting state (200 and a body) instead of 204.
func ExampleRequestOptions_return() {
	srv, err := mocks.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.Handle("/notes/1", mocks.Data(`{"text":"draft"}`).With(profiles.Representation))
	client, _ := level3.New()

	res, err := client.PutJSON(context.Background(), srv.URL+"/notes/1", map[string]string{"text": "final"},
		&level3.RequestOptions{Return: "representation"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Status, string(res.Body))
	// Output:
	// 200 {"text":"final"}
}

// A merge patch built from a Go value; the format is chosen from the
// server's accept-patch, and translated into a JSON Patch for a server that
// takes only that.
func ExampleClient_Patch() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()

	patch, _ := level3.MergePatchOf(map[string]any{"state": "cancelled"})
	res, err := client.Patch(context.Background(), srv.URL+mocks.PathOrder3, patch, nil)
	if err != nil {
		log.Fatal(err)
	}
	stored, _ := srv.Resource(mocks.PathOrder3)
	fmt.Println(res.Status, string(stored.Body))
	// Output:
	// 204 {"id":3,"state":"cancelled"}
}

// Submit fetches the form afresh, fills its JSON template, and posts it with
// an idempotency key when the form asks for one. A 409 for a submission
// still being processed is waited out as WithBusyWait says.
func ExampleClient_Submit() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New(level3.WithBusyWait(level3.Schedule{Attempts: 3})) // other fields: the defaults

	res, err := client.Submit(context.Background(), srv.URL+mocks.PathOrderForm, map[string]any{"item": "lamp"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	created, _ := srv.Resource(res.Location.Path)
	fmt.Println(res.Status, res.Location.Path, string(created.Body))
	// Output:
	// 201 /orders/new/1 {"item":"lamp","quantity":1}
}

// A key chosen by the caller (kept, say, in a job's state) makes a
// submission safe to repeat after a restart: the server answers the same
// key and body with the first submission's answer instead of creating
// another order.
func ExampleClient_SubmitForm() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()
	ctx := context.Background()
	opts := &level3.RequestOptions{IdempotencyKey: "job-42"} // or level3.NewIdempotencyKey(), stored

	var created []string
	for range 2 {
		form, err := client.FetchForm(ctx, srv.URL+mocks.PathOrderForm)
		if err != nil {
			log.Fatal(err)
		}
		doc, _ := form.Fill(map[string]any{"item": "desk"})
		res, err := client.SubmitForm(ctx, form, doc, opts)
		if err != nil {
			log.Fatal(err)
		}
		created = append(created, res.Location.Path)
	}
	fmt.Println(created)
	// Output:
	// [/orders/new/1 /orders/new/1]
}

// Trigger posts to an Action and follows its 303 to the changed state (a
// 204 from an older server is just as fine).
func ExampleClient_Trigger() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()

	res, err := client.Trigger(context.Background(), srv.URL+mocks.PathShip, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Status, res.Location.Path, string(res.Body))
	// Output:
	// 200 /orders/1 {"id":1,"state":"shipped"}
}

// Lookup posts a query and follows the 303 to the single result; no match is
// a *NotFoundError.
func ExampleClient_Lookup() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()

	res, err := client.Lookup(context.Background(), srv.URL+mocks.PathFindOrder, map[string]int{"id": 1}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.URL.Path, string(res.Body))
	// Output:
	// /orders/1 {"id":1,"state":"open"}
}

// Entries walks a paged list, following page#next (or next) and yielding
// the list-entry links in order; breaking out of the loop stops the walk.
func ExampleClient_Entries() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()

	for entry, err := range client.Entries(context.Background(), srv.URL+mocks.PathProducts) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(entry.Title, entry.Href.Path)
		if entry.Title == "Item 4" {
			break
		}
	}
	// Output:
	// Item 1 /products/1
	// Item 2 /products/2
	// Item 3 /products/3
	// Item 4 /products/4
}
