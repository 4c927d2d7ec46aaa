package l3redis_test

import (
	"context"
	"log"

	"github.com/l3go/level3"
	"github.com/l3go/level3/l3redis"
	"github.com/l3go/level3/polite"
)

// Every process of a fleet makes its Client this way, with the same Redis:
// a Retry-After pauses them all, and the quota a server announces is spent
// once by the fleet, not once per process.
func ExampleNewLimits() {
	ctx := context.Background()
	rc, err := l3redis.Dial(ctx, "redis://127.0.0.1:6379/0")
	if err != nil {
		log.Fatal(err)
	}
	defer rc.Close()
	lim, err := polite.New(&polite.Options{Store: l3redis.NewLimits(rc, "")})
	if err != nil {
		log.Fatal(err)
	}
	client, err := level3.New(lim.ClientOptions(level3.RetryPolicy{})...)
	if err != nil {
		log.Fatal(err)
	}
	_, _ = client.UploadAll(ctx, "https://api.example.com/uploads", []string{"photos/"}, &level3.BulkOptions{Concurrency: 8})
}
