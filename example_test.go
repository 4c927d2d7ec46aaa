package level3_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

// startShop starts the fake shop API that the examples talk to.
func startShop() *mocks.Server {
	srv, err := mocks.Start()
	if err != nil {
		log.Fatal(err)
	}
	srv.AddCatalog()
	return srv
}

func ExampleNew() {
	client, err := level3.New(
		level3.WithHeader("Authorization", "Bearer "+os.Getenv("API_TOKEN")),
		level3.WithUserAgent("acme-sync/1.0"),
		level3.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}),
		level3.WithRetry(level3.RetryPolicy{Schedule: level3.Schedule{Attempts: 5, Initial: 200 * time.Millisecond, Max: 5 * time.Second}}),
		level3.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
	)
	if err != nil {
		log.Fatal(err)
	}
	_ = client
	// Output:
}

func ExampleClient_Discover() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()

	home, err := client.Discover(context.Background(), srv.URL+"/")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("home:", home.Has(profiles.Home), "allow:", home.Allow)
	for _, l := range home.Links[:3] {
		fmt.Printf("%s -> %s\n", l.Title, l.Href.Path)
	}
	// Output:
	// home: true allow: [GET HEAD]
	// Orders -> /orders
	// Shop statistics -> /stats
	// Daily report -> /files/report.csv
}

func ExampleResource_Follow() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()
	ctx := context.Background()

	home, _ := client.Discover(ctx, srv.URL+"/")
	orders, err := home.Follow(ctx, profiles.RelListEntry)
	if err != nil {
		log.Fatal(err)
	}
	for _, entry := range orders.Links.All(profiles.RelListEntry) {
		fmt.Println(entry.Title, entry.Href.Path)
	}
	// Output:
	// Order 1 /orders/1
	// Order 2 – café /orders/2
}

// Every status of 400 or more is a typed error. Check the specific type you
// can handle, and fall back to the shared *ResponseError for the rest.
func Example_errorHandling() {
	srv := startShop()
	defer srv.Close()
	srv.Fail(mocks.PathOrder1, mocks.Problem(http.StatusConflict, "Order shipped", "order 1 left the warehouse").
		WithMember("shippedAt", "2026-11-25"))
	client, _ := level3.New()

	_, err := client.Send(context.Background(), http.MethodPut, srv.URL+mocks.PathOrder1,
		"application/json", strings.NewReader(`{"state":"cancelled"}`), nil)

	var conflict *level3.ConflictError
	var rerr *level3.ResponseError
	switch {
	case errors.As(err, &conflict):
		var when string
		conflict.Problem.Extension("shippedAt", &when)
		fmt.Println("conflict:", conflict.Problem.Title, "on", when)
	case errors.As(err, &rerr):
		fmt.Println("failed with", rerr.StatusCode)
	}
	// Output:
	// conflict: Order shipped on 2026-11-25
}

// NewRequest makes a file body replayable without reading it into memory, so
// the Client can retry the upload after a 503.
func ExampleNewRequest() {
	srv := startShop()
	defer srv.Close()
	srv.Fail(mocks.PathReport, mocks.Status(http.StatusServiceUnavailable).WithRetryAfter("0"))

	f, _ := os.CreateTemp("", "report-*.csv")
	defer os.Remove(f.Name())
	defer f.Close()
	f.WriteString("date,amount\n2026-11-25,42.00\n")
	f.Seek(0, 0)

	client, _ := level3.New()
	req, _ := level3.NewRequest(context.Background(), http.MethodPut, srv.URL+mocks.PathReport, f)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, "after", srv.Count(mocks.PathReport), "attempts")
	// Output:
	// 204 after 2 attempts
}
