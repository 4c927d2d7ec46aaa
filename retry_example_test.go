package level3_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
)

// A Check of one's own decides which outcomes are retried, here a 500 as
// well as what DefaultCheckRetry retries. The zero fields of the Schedule
// keep their defaults: 3 retries, waits doubling up to 10s.
func ExampleWithRetry() {
	srv := startShop()
	defer srv.Close()
	srv.Fail(mocks.PathStats, mocks.Status(http.StatusInternalServerError).Times(2))

	retry500 := func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if err == nil && resp.StatusCode == http.StatusInternalServerError {
			return true, nil
		}
		return level3.DefaultCheckRetry(ctx, resp, err)
	}
	client, err := level3.New(level3.WithRetry(level3.RetryPolicy{
		Schedule: level3.Schedule{Initial: time.Millisecond}, // the first wait; quick for the example
		Check:    retry500,
	}))
	if err != nil {
		log.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+mocks.PathStats, nil)
	resp, err := client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, "after", srv.Count(mocks.PathStats), "requests")
	// Output:
	// 200 after 3 requests
}

// Retries can be turned off for the whole Client (a negative Attempts), or
// for one request with RequestOptions.NoRetry.
func ExampleRetryPolicy() {
	client, err := level3.New(level3.WithRetry(level3.RetryPolicy{Schedule: level3.Schedule{Attempts: -1}}))
	if err != nil {
		log.Fatal(err)
	}
	_ = client
	// Output:
}
