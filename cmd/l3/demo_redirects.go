// This file holds the redirect stage of `l3 demo`: a 308 alias asked once,
// then skipped thanks to the Client's memory, with the requests the fake
// server counted (and net/http's Client for comparison); a 307 asked every
// time; a 303 from an Action; and discovery of the alias. demo.go runs the
// stages.

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/l3go/level3/mocks"
)

func demoRedirects(ctx context.Context, d *demo) error {
	alias, target := mocks.PathOldOrders, mocks.PathOrders
	counts := func() (int, int) { return d.srv.Count(alias), d.srv.Count(target) }
	get := func(url string) error {
		resp, err := d.client.Get(ctx, url, nil)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return err
	}

	for call := 1; call <= 2; call++ {
		if err := get(d.srv.URL + alias); err != nil {
			return err
		}
		na, nt := counts()
		d.say("GET %s, call %d: the server saw %s %d time(s), %s %d time(s)", alias, call, alias, na, target, nt)
		if na != 1 || nt != call {
			return fmt.Errorf("call %d: want the alias asked once and the target %d times, got %d and %d", call, call, na, nt)
		}
	}
	d.say("after the first 308 every call is one request, straight to the target")

	d.srv.ResetLog()
	plain := &http.Client{Transport: d.client.HTTPClient().Transport}
	for range 2 {
		resp, err := plain.Get(d.srv.URL + alias)
		if err != nil {
			return err
		}
		resp.Body.Close()
	}
	na, nt := counts()
	d.say("net/http's own Client, 2 calls: %s %d, %s %d (2 requests per call)", alias, na, target, nt)

	d.srv.ResetLog()
	for range 2 {
		if err := get(d.srv.URL + mocks.PathLatest); err != nil {
			return err
		}
	}
	if n := d.srv.Count(mocks.PathLatest); n != 2 {
		return fmt.Errorf("a 307 alias must be asked on every call; asked %d times in 2", n)
	}
	d.say("GET %s (307 Temporary Redirect) twice: the alias is asked every time", mocks.PathLatest)

	resp, err := d.client.Send(ctx, http.MethodPost, d.srv.URL+mocks.PathShip, "", nil, nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	d.say("POST %s -> 303 See Other -> GET %s: %d %s", mocks.PathShip, resp.Request.URL.Path, resp.StatusCode, http.StatusText(resp.StatusCode))

	res, err := d.client.Discover(ctx, d.srv.URL+alias)
	if err != nil {
		return err
	}
	a, ok := res.Alias()
	if !ok {
		return fmt.Errorf("discover does not show %s as an alias", alias)
	}
	d.say("discover %s: %d %s -> %s (its profiles: %s)", alias, a.Status, http.StatusText(a.Status), res.URL.Path, profileNames(a.Profiles()))
	return nil
}
