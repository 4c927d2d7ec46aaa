package level3_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
)

func ExampleClient_Upload() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()
	ctx := context.Background()

	res, err := client.Upload(ctx, srv.URL+mocks.PathUploads, strings.NewReader("date,total\n2026-11-25,42\n"),
		&level3.UploadOptions{Slug: "totals.csv"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Status, res.Location.Path, res.Validators.ETag != "", res.Sent)

	// The shop takes at most 1 MiB: a bigger upload is preflighted and
	// refused before any body byte leaves.
	_, err = client.Upload(ctx, srv.URL+mocks.PathUploads, io.LimitReader(zeros{}, 5<<20),
		&level3.UploadOptions{Length: 5 << 20, ContentType: "application/octet-stream"})
	var tooLarge *level3.PayloadTooLargeError
	fmt.Println(errors.As(err, &tooLarge), srv.BodyBytes(mocks.PathUploads) == 25)
	// Output:
	// 201 /uploads/1 true 25
	// true true
}

func ExampleClient_Put() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()
	ctx := context.Background()

	report, err := client.Discover(ctx, srv.URL+mocks.PathReport)
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Put(ctx, report.URL.String(), strings.NewReader("a,b\n"), &level3.UploadOptions{
		RequestOptions: level3.RequestOptions{IfVersion: level3.Validators{ETag: `"not-the-etag"`}},
	})
	var stale *level3.PreconditionFailedError
	fmt.Println("stale:", errors.As(err, &stale))

	// Resource.Put makes the change conditional on the etag seen.
	res, err := report.Put(ctx, strings.NewReader("a,b\n"), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Status, res.Validators.ETag != report.ETag)
	// Output:
	// stale: true
	// 204 true
}

func ExampleClient_UploadAll() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()

	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	for _, name := range []string{"a.txt", "docs/b.txt"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte("content of "+name), 0o644)
	}
	// Set Journal to a file path to make an interrupted run resumable.
	sum, err := client.UploadAll(context.Background(), srv.URL+mocks.PathUploads, []string{dir}, &level3.BulkOptions{
		Concurrency: 2,
		OnResult: func(r level3.FileResult) {
			if r.Err != nil {
				fmt.Println(r.Name, r.Err)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d uploaded, %d bytes\n", sum.Uploaded, sum.Bytes)
	// Output:
	// 2 uploaded, 37 bytes
}

func ExampleClient_Preflight() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()
	h := map[string][]string{"Content-Type": {"video/mp4"}}

	// Ask before reading a 2 GiB file from tape: would the server take it?
	err := client.Preflight(context.Background(), "POST", srv.URL+mocks.PathUploads, h, 2<<30)
	var tooLarge *level3.PayloadTooLargeError
	fmt.Println(errors.As(err, &tooLarge))
	// Output:
	// true
}

// zeros reads endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
