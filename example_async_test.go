package level3_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

// quickPolls keeps the examples fast; real servers usually send Retry-After,
// and the default schedule starts at 500ms. Its zero fields (Multiplier,
// Jitter, Attempts) take the defaults.
var quickPolls = &level3.AsyncOptions{Poll: level3.Schedule{Initial: 10 * time.Millisecond, Max: time.Second}}

// An upload accepted with 202 is polled at its location until it exists.
func ExampleClient_SendAsync() {
	srv, err := mocks.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	up := mocks.Upload().With(profiles.Async)
	up.AsyncPolls = 1 // the upload shows at the second poll
	srv.Handle("/uploads", up)

	client, _ := level3.New()
	ctx := context.Background()
	p, err := client.SendAsync(ctx, http.MethodPost, srv.URL+"/uploads", "text/plain",
		strings.NewReader("hello"), &level3.AsyncOptions{
			Wait: 2 * time.Second, // prefer: respond-async, wait=2
			Poll: quickPolls.Poll,
		})
	if err != nil {
		log.Fatal(err) // a rejection (415, 413...) is a typed error here
	}
	fmt.Println("accepted:", p.Accepted() != nil, "| preference-applied:", p.PreferenceApplied())

	resp, err := p.Wait(ctx) // bound it with a context deadline in real code
	if err != nil {
		log.Fatal(err) // e.g. *level3.UnprocessableEntityError if processing failed
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body), "after", p.Polls(), "polls")
	// Output:
	// accepted: true | preference-applied: [respond-async]
	// 200 hello after 2 polls
}

// A resume token carries an operation to another process, which polls it
// with its own Client (and credentials).
func ExampleClient_ResumePoller() {
	srv, err := mocks.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	order := mocks.Data(`{"id":7}`).With(profiles.Async)
	order.AsyncPolls = 2
	srv.Handle("/orders/7", order)

	first, _ := level3.New()
	p, err := first.SendAsync(context.Background(), http.MethodDelete, srv.URL+"/orders/7", "", nil, quickPolls)
	if err != nil {
		log.Fatal(err)
	}
	token, err := p.ResumeToken() // save it; it holds no credentials
	if err != nil {
		log.Fatal(err)
	}

	second, _ := level3.New(level3.WithHeader("Authorization", "Bearer other-process"))
	resumed, err := second.ResumePoller(token, quickPolls)
	if err != nil {
		log.Fatal(err) // errors.Is(err, level3.ErrInvalidResumeToken)
	}
	for !resumed.Done() {
		resp, err := resumed.Poll(context.Background())
		if err != nil && !resumed.Done() {
			continue // 408, 429, 5xx or a failed connection: poll again on schedule
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(resp.Request.Method, resp.Status)
		resp.Body.Close()
	}
	// Output:
	// HEAD 200 OK
	// HEAD 200 OK
	// HEAD 404 Not Found
}
