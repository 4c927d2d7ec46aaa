package level3_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"

	"github.com/l3go/level3"
	"github.com/l3go/level3/redirects"
)

// After the first 308 Permanent Redirect, the Client goes straight to the
// target: one request per call, where net/http's Client makes two.
func ExampleWithRedirectStore() {
	srv := startShop() // /old-orders answers 308 to /orders
	defer srv.Close()
	client, err := level3.New(level3.WithRedirectStore(redirects.NewMemory(100)))
	if err != nil {
		log.Fatal(err)
	}
	for range 3 {
		resp, err := client.Get(context.Background(), srv.URL+"/old-orders", nil)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}
	fmt.Println("the server saw /old-orders", srv.Count("/old-orders"), "time(s), /orders", srv.Count("/orders"), "times")
	entries, _ := client.RedirectStore().Entries()
	fmt.Println("remembered:", len(entries), "redirect(s)")
	// Output:
	// the server saw /old-orders 1 time(s), /orders 3 times
	// remembered: 1 redirect(s)
}

// The l3 command keeps its memory in a file, so it survives restarts and is
// shared by processes.
func ExampleWithRedirectStore_file() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := redirects.OpenFile(filepath.Join(dir, "redirects.json"), 0) // or redirects.DefaultPath()
	if err != nil {
		log.Fatal(err) // the file holds something else: errors.Is(err, redirects.ErrBadFile)
	}
	client, err := level3.New(level3.WithRedirectStore(store))
	if err != nil {
		log.Fatal(err)
	}
	_ = client
	// Output:
}

func ExampleResource_Alias() {
	srv := startShop()
	defer srv.Close()
	client, _ := level3.New()
	res, err := client.Discover(context.Background(), srv.URL+"/old-orders")
	if err != nil {
		log.Fatal(err)
	}
	if alias, ok := res.Alias(); ok {
		fmt.Println(alias.URL.Path, alias.Status, "->", alias.Location.Path)
		fmt.Println("alias profiles:", alias.Profiles()[:2])
	}
	fmt.Println("resource:", res.URL.Path, res.Profiles[0].Name(), res.Allow)
	// Output:
	// /old-orders 308 -> /orders
	// alias profiles: <https://level3.rest/profiles/alias>, <https://level3.rest/profiles/nexus>
	// resource: /orders nexus [GET HEAD DELETE]
}

func ExampleRedirectError() {
	srv := startShop()
	defer srv.Close()
	loop := srv.Loop(http.StatusTemporaryRedirect, "/a", "/b")
	client, _ := level3.New()
	_, err := client.Get(context.Background(), loop, nil)
	var re *level3.RedirectError
	if errors.Is(err, level3.ErrRedirectLoop) && errors.As(err, &re) {
		for _, h := range re.Hops {
			fmt.Println(h.Method, h.URL.Path, h.Status, "->", h.Location.Path)
		}
	}
	// Output:
	// GET /a 307 -> /b
	// GET /b 307 -> /a
}

func ExampleRedirectPolicy() {
	client, err := level3.New(level3.WithRedirectPolicy(level3.RedirectPolicy{
		MaxRedirects:     5,
		CrossOrigin:      level3.TrustCrossOrigin, // also remember 308s to other origins
		SensitiveHeaders: []string{"X-Api-Key"},   // like Authorization: never sent to another origin
	}))
	if err != nil {
		log.Fatal(err)
	}
	_ = client
	// Output:
}

// A negative MaxRedirects follows none: the 308 of a Level 3 Alias is the
// answer, for the caller to read.
func ExampleRedirectPolicy_followNone() {
	srv := startShop() // /old-orders answers 308 to /orders
	defer srv.Close()
	client, err := level3.New(level3.WithRedirectPolicy(level3.RedirectPolicy{MaxRedirects: -1}))
	if err != nil {
		log.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/old-orders", nil)
	resp, err := client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Location"))
	// Output:
	// 308 /orders
}
