package l3redis_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/l3go/level3"
	"github.com/l3go/level3/l3redis"
)

// A bulk upload shared by any number of processes: each one adds the same
// directory (the files are added once) and works until the run is drained.
// Another process can join with Queue.Open and Run.Work, or watch with
// Run.Status. (Not run as a test: it needs a Redis server at localhost.)
func Example_bulkRun() {
	ctx := context.Background()
	rdb, err := l3redis.Dial(ctx, "redis://localhost:6379/0")
	if err != nil {
		log.Fatal(err)
	}
	defer rdb.Close()
	client, err := level3.New(level3.WithHeader("Authorization", "Bearer ..."))
	if err != nil {
		log.Fatal(err)
	}

	q := l3redis.NewQueue(rdb)
	run, err := q.Create(ctx, "photos-2026", "https://dav.example.com/photos/", &l3redis.RunOptions{Put: true})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := run.Add(ctx, "/mnt/shared/photos"); err != nil {
		log.Fatal(err)
	}
	sum, err := run.Work(ctx, client, &l3redis.WorkOptions{Concurrency: 8})
	switch {
	case errors.Is(err, level3.ErrBulkFailed):
		for it, err := range run.Items(ctx) {
			if err == nil && it.State == l3redis.ItemFailed {
				fmt.Println(it.Path, it.Status, it.Error)
			}
		}
	case err != nil:
		log.Fatal(err)
	}
	fmt.Printf("%d uploaded here; run: %+v\n", sum.Uploaded, sum.Run)
}

// Status reads a run's counts, from any process, while it is worked on
// and after.
func ExampleRun_Status() {
	ctx := context.Background()
	rdb, err := l3redis.Dial(ctx, "redis://localhost:6379/0")
	if err != nil {
		log.Fatal(err)
	}
	defer rdb.Close()
	run, err := l3redis.NewQueue(rdb).Open(ctx, "photos-2026")
	if err != nil {
		log.Fatal(err) // wraps l3redis.ErrNoRun when there is no such run
	}
	st, err := run.Status(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d of %d done, %d failed, %d in flight\n", st.Done, st.Total, st.Failed, st.InFlight)
}
