package l3redis_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"

	"github.com/l3go/level3"
	"github.com/l3go/level3/l3redis"
)

// A fleet of Clients that share what each learns: the permanent redirects
// (one of them follows a 308, the others go straight to the target) and the
// response cache (one fetches a body, the others revalidate it with a 304).
// The example needs a Redis server, so it is compiled but not run by go
// test; the package's tests run the same steps against a real redis-server.
func Example() {
	ctx := context.Background()
	rdb, err := l3redis.Dial(ctx, "redis://127.0.0.1:6379/0")
	if err != nil {
		log.Fatal(err)
	}
	defer rdb.Close() // after the Clients are done

	warn := slog.New(slog.NewTextHandler(os.Stderr, nil)) // Redis outages, once each
	shared := l3redis.StoreOptions{Prefix: "acme-sync:", Logger: warn}
	redirects, err := l3redis.NewRedirectStore(rdb, &l3redis.RedirectStoreOptions{StoreOptions: shared})
	if err != nil {
		log.Fatal(err)
	}
	cache, err := l3redis.NewCache(rdb, &l3redis.CacheOptions{StoreOptions: shared, MaxBytes: 256 << 20})
	if err != nil {
		log.Fatal(err)
	}
	client, err := level3.New(level3.WithRedirectStore(redirects), level3.WithCache(cache))
	if err != nil {
		log.Fatal(err)
	}

	resp, err := client.Get(ctx, "https://api.example.com/old-orders", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, resp.Body)
	fmt.Println(resp.StatusCode, n, level3.FromCache(resp))
}
