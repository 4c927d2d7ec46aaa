package polite_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/l3go/level3"
	"github.com/l3go/level3/polite"
)

// A server that allows 3 requests per minute and says so: the polite Client
// sends 3, and the fourth waits for the next window instead of being refused,
// unless the wait is longer than MaxWait.
func ExampleLimiter() {
	var mu sync.Mutex
	left := 3
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("RateLimit-Policy", `"default";q=3;w=60`)
		if left == 0 {
			w.Header().Set("RateLimit", `"default";r=0;t=60`)
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		left--
		w.Header().Set("RateLimit", fmt.Sprintf(`"default";r=%d;t=60`, left))
	}))
	defer srv.Close()

	lim, err := polite.New(&polite.Options{MaxWait: 10 * time.Second}) // a wait of 60 s fails at once
	if err != nil {
		panic(err)
	}
	client, err := level3.New(lim.ClientOptions(level3.RetryPolicy{})...)
	if err != nil {
		panic(err)
	}
	for i := range 4 {
		resp, err := client.Get(context.Background(), srv.URL, nil)
		if errors.Is(err, polite.ErrWaitTooLong) {
			fmt.Println(i+1, "not sent: the quota comes back after MaxWait")
			continue
		} else if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(i+1, resp.StatusCode)
	}
	// Output:
	// 1 200
	// 2 200
	// 3 200
	// 4 not sent: the quota comes back after MaxWait
}
