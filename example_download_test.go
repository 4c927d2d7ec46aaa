package level3_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
)

func ExampleClient_Download() {
	srv := startShop()
	defer srv.Close()
	srv.Fail(mocks.PathReport, mocks.DropAt(20_000)) // the server cuts the connection once
	client, _ := level3.New()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	// Into a directory: the name comes from content-disposition. The cut
	// is resumed with range + If-Range; the digest is checked as the bytes
	// arrive, and the file appears under its name only when verified.
	res, err := client.Download(context.Background(), srv.URL+mocks.PathReport, dir+string(os.PathSeparator), &level3.DownloadOptions{
		SHA256:      "c7f9f07106e0624dbc403234aec50e537a331e23d57b62d10b8e25fb27a54bfc",
		Connections: 4, // used when the content is large enough
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Base(res.Path), res.Bytes, "bytes,", res.Restarts, "restart")
	// Output: report.csv 65517 bytes, 1 restart
}

// A download cut short keeps NAME.part and its sidecar; the next call for
// the same URL and destination resumes from there. With FailFast it resumes
// with If-Match, and reports a change of the content instead of starting
// over.
func ExampleDownloadOptions_failFast() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	dst := filepath.Join(dir, "report.csv")

	// A first attempt is cut off and, allowed no restart, gives up,
	// keeping report.csv.part...
	srv.Fail(mocks.PathReport, mocks.DropAt(30_000))
	_, err := client.Download(context.Background(), srv.URL+mocks.PathReport, dst, &level3.DownloadOptions{Restarts: level3.Schedule{Attempts: -1}})
	fmt.Println(errors.Is(err, level3.ErrTooManyRestarts))

	// ...then the report changes on the server. Resuming fail-fast (If-Match)
	// reports the change instead of starting over.
	srv.SetBody(mocks.PathReport, []byte("date,kind,amount\n"))
	_, err = client.Download(context.Background(), srv.URL+mocks.PathReport, dst, &level3.DownloadOptions{FailFast: true})
	var changed *level3.ContentChangedError
	var conflict *level3.ConflictError
	fmt.Println(errors.As(err, &changed), errors.As(err, &conflict), changed.PartialKept)
	// Output:
	// true
	// true true false
}
