package profiles_test

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/l3go/level3/profiles"
)

// A client reads the profile header of a HEAD or GET response to learn what
// the resource offers.
func ExampleParse() {
	h := http.Header{}
	h.Add("Profile", "<https://level3.rest/profiles/data>, <https://level3.rest/profiles/mixins/entity>")
	h.Add("Profile", "<https://level3.rest/patterns/list#list-resource>")

	set, err := profiles.Parse(h.Values("profile")...)
	if err != nil {
		fmt.Println("error:", err)
	}
	fmt.Println(set.Base().Name())
	fmt.Println(set.Has(profiles.Entity), set.Has(profiles.Preflight))
	fmt.Println(set.Has(profiles.RoleList))
	// Output:
	// data
	// true false
	// true
}

// Malformed entries are skipped and reported; the well-formed ones are
// still returned.
func ExampleParse_malformed() {
	set, err := profiles.Parse("<https://level3.rest/profiles/info>, </relative>, <urn:a")
	fmt.Println(set)
	fmt.Println(errors.Is(err, profiles.ErrNotAbsolute), errors.Is(err, profiles.ErrUnterminated))

	var se *profiles.SyntaxError
	if errors.As(err, &se) {
		fmt.Printf("%q at offset %d\n", se.Entry, se.Offset)
	}
	// Output:
	// <https://level3.rest/profiles/info>
	// true true
	// "</relative>" at offset 37
}

// Servers built to the older draft use http URIs and call the entry point
// Root; they compare equal to the later draft's constants.
func ExampleProfile_Equal() {
	old := profiles.Profile("http://level3.rest/profiles/root")
	fmt.Println(old.Equal(profiles.Home))
	fmt.Println(old.Canonical())
	fmt.Println(old.Name())
	fmt.Println(profiles.Profile("HTTP://Level3.Rest/profiles/data").Equal(profiles.Data))
	// Output:
	// true
	// https://level3.rest/profiles/home
	// home
	// true
}

func ExampleSameURI() {
	fmt.Println(profiles.SameURI("http://level3.rest/patterns/page#next", profiles.RelPageNext))
	fmt.Println(profiles.SameURI("NEXT", "next"))
	fmt.Println(profiles.SameURI("next", profiles.RelPageNext))
	// Output:
	// true
	// true
	// false
}

// A server (or a test double) writes the profile header with Set.String.
func ExampleSet_String() {
	s := profiles.Set{profiles.Form, profiles.Preflight}
	fmt.Println(s)
	// Output:
	// <https://level3.rest/profiles/form>, <https://level3.rest/profiles/mixins/preflight>
}
