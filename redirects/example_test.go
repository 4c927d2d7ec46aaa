package redirects_test

import (
	"fmt"
	"net/url"

	"github.com/l3go/level3/redirects"
)

func ExampleKey() {
	for _, raw := range []string{"HTTPS://API.example/old?page=2#top", "http://ann:secret@api.example:8080/old", "/relative"} {
		u, _ := url.Parse(raw)
		fmt.Printf("%q\n", redirects.Key(u))
	}
	// Output:
	// "https://api.example:443/old?page=2"
	// "http://api.example:8080/old"
	// ""
}

func ExampleMemory() {
	m := redirects.NewMemory(2) // at most 2 entries, least recently used evicted
	for _, p := range []string{"a", "b", "c"} {
		_ = m.Put(redirects.Entry{From: "https://api.example:443/" + p, To: "https://api.example/new/" + p})
	}
	entries, _ := m.Entries()
	for _, e := range entries {
		fmt.Println(e.From, "->", e.To)
	}
	_, ok, _ := m.Get("https://api.example:443/a")
	fmt.Println("a remembered:", ok)
	// Output:
	// https://api.example:443/c -> https://api.example/new/c
	// https://api.example:443/b -> https://api.example/new/b
	// a remembered: false
}
