package level3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
)

// With a negative Threshold every body is preflighted (expect:
// 100-continue): a server that refuses the request answers before the body
// is sent, so a 2 MiB upload to a 1 MiB limit costs no body byte. The zero
// PreflightPolicy preflights bodies from 1 MiB, and those of unknown length.
func ExampleWithPreflight() {
	srv := startShop() // /uploads takes at most 1 MiB
	defer srv.Close()
	client, err := level3.New(level3.WithPreflight(level3.PreflightPolicy{Threshold: -1}))
	if err != nil {
		log.Fatal(err)
	}
	req, err := level3.NewRequest(context.Background(), "POST", srv.URL+mocks.PathUploads, bytes.NewReader(make([]byte, 2<<20)))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	_, err = client.Do(req)
	var tooLarge *level3.PayloadTooLargeError
	fmt.Println("413:", errors.As(err, &tooLarge), "| body bytes the server got:", srv.BodyBytes(mocks.PathUploads))
	// Output:
	// 413: true | body bytes the server got: 0
}
