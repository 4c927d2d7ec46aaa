package mocks_test

import (
	"fmt"
	"io"
	"log"
	"net/http"

	"github.com/l3go/level3/mocks"
)

// BytesSent and Connections count what the server sent and over how many
// connections: here a range of 100 bytes and a body cut at byte 300 over a
// kept-alive connection, then 100 bytes over a new one.
func ExampleServer_BytesSent() {
	srv, err := mocks.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	url := srv.Handle("/f.bin", mocks.Content(make([]byte, 1000), "application/octet-stream"))
	srv.Fail("/f.bin", mocks.DropAt(300))
	c := srv.Client()
	defer c.CloseIdleConnections()

	get := func(rng string) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := c.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		fmt.Println(resp.Status, n, err != nil)
	}
	get("bytes=0-99")
	get("") // cut at byte 300
	get("bytes=900-999")
	fmt.Println(srv.BytesSent("/f.bin"), "bytes over", srv.Connections(), "connections")
	// Output:
	// 206 Partial Content 100 false
	// 200 OK 300 true
	// 206 Partial Content 100 false
	// 500 bytes over 2 connections
}
