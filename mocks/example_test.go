package mocks_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"

	"github.com/l3go/level3/mocks"
)

// noFollow is a client that shows redirects instead of following them.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// Start runs the server outside a test, as `l3 serve` does; the caller
// closes it. In a test, NewServer(t) closes it when the test ends.
func ExampleStart() {
	srv, err := mocks.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.AddCatalog()

	resp, err := http.Get(srv.URL + mocks.PathOrder1)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, resp.Header.Get("Profile"))
	fmt.Println(string(body))
	// Output:
	// 200 OK <https://level3.rest/profiles/data>, <https://level3.rest/profiles/mixins/entity>
	// {"id":1,"state":"open"}
}

// A Transition changes the state of a resource, and is refused from that
// state: shipping an order twice conflicts.
func ExampleTransition() {
	srv, _ := mocks.Start()
	defer srv.Close()
	srv.Handle("/orders/7", mocks.Data(`{"id":7,"state":"open"}`))
	srv.Handle("/orders/7/ship", mocks.Transition("/orders/7", "state", "shipped"))

	for range 2 {
		resp, err := noFollow.Post(srv.URL+"/orders/7/ship", "", nil)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Printf("%s, location %q\n", resp.Status, resp.Header.Get("Location"))
	}
	order, _ := srv.Resource("/orders/7")
	fmt.Println(string(order.Body))
	// Output:
	// 303 See Other, location "/orders/7"
	// 409 Conflict, location ""
	// {"id":7,"state":"shipped"}
}

// A LookupIn searches resources by the members of the query: 303 to the
// first that matches, 404 when none does.
func ExampleLookupIn() {
	srv, _ := mocks.Start()
	defer srv.Close()
	srv.Handle("/people/1", mocks.Data(`{"name":"Ann","city":"Oslo"}`))
	srv.Handle("/people/2", mocks.Data(`{"name":"Bob","city":"Rome"}`))
	srv.Handle("/people/find", mocks.LookupIn(`{"name":""}`, "/people/1", "/people/2"))

	for _, query := range []string{`{"city":"Rome"}`, `{"name":"Eve"}`} {
		resp, err := noFollow.Post(srv.URL+"/people/find", "application/json", strings.NewReader(query))
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Printf("%s: %s %s\n", query, resp.Status, resp.Header.Get("Location"))
	}
	// Output:
	// {"city":"Rome"}: 303 See Other /people/2
	// {"name":"Eve"}: 404 Not Found
}
