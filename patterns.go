// This file holds the pattern helpers: iterating a paged resource (Pages)
// and the entries of a paged list (Entries), a tree node's children
// (Resource.Children) and following a chain of relations (FollowPath).
// Relation constants are in the profiles package; Follow is in resource.go.

package level3

import (
	"context"
	"crypto/sha256"
	"fmt"
	"iter"
	"net/url"

	"github.com/l3go/level3/profiles"
)

// MaxPages bounds [Client.Pages] and [Client.Entries]: a server whose next
// links never end stops the iteration with [ErrTooManyPages] after this many
// pages.
const MaxPages = 10_000

// nextPage returns the link to the page after r: the Page pattern's
// page#next, or else the registered relation next (RFC 8288, IANA), which
// servers outside Level 3 use for the same thing.
func nextPage(r *Resource) (Link, bool) {
	if l, ok := r.Link(profiles.RelPageNext); ok {
		return l, true
	}
	return r.Link("next")
}

// Pages iterates over a paged resource (Page pattern) from the page at url,
// following page#next (or next) links until a page has none. Each page is
// discovered ([Client.Discover]: HEAD, or GET when HEAD is refused), which
// gives its links and profiles; GET a page's URL to read its body.
//
// The iteration yields (page, nil) for each page and stops cleanly at the
// last one, or when the loop body breaks. A failure ends it with one
// (nil, err): the request's error (typed, as from Do), the context's error,
// [ErrPageLoop] when a next link leads back to a visited page, or
// [ErrTooManyPages] after [MaxPages] pages.
//
// The next links are chosen by the servers: every page is asked with
// credentials only when it is on the origin of url (or on an origin allowed
// with [WithCredentialOrigins]). Loop detection keeps a 32-byte digest per
// page, however long the URLs.
//
//	for page, err := range client.Pages(ctx, url) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(page.URL)
//	}
func (c *Client) Pages(ctx context.Context, url string) iter.Seq2[*Resource, error] {
	return func(yield func(*Resource, error) bool) {
		if err := c.check(ctx, "Client.Pages"); err != nil {
			yield(nil, err)
			return
		}
		ctx := withCallOriginOf(ctx, url)
		seen := make(map[[sha256.Size]byte]bool)
		next := url
		for n := 0; ; n++ {
			if n == MaxPages {
				yield(nil, fmt.Errorf("%w: stopped after %d", ErrTooManyPages, MaxPages))
				return
			}
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			page, err := c.Discover(ctx, next)
			if err != nil {
				yield(nil, err)
				return
			}
			seen[pageKey(page.URL)] = true
			if !yield(page, nil) {
				return
			}
			l, ok := nextPage(page)
			if !ok {
				return
			}
			if seen[pageKey(l.Href)] {
				yield(nil, fmt.Errorf("%w: %s links to %s", ErrPageLoop, redactURL(page.URL), redactURL(l.Href)))
				return
			}
			next = l.Href.String()
		}
	}
}

// pageKey is what Pages remembers of a visited page: a digest of its URL
// without the fragment, the same size whatever the URL's length.
func pageKey(u *url.URL) [sha256.Size]byte {
	return sha256.Sum256([]byte(cacheKey(u)))
}

// Entries iterates over the entries of a list (List pattern), page after
// page ([Client.Pages]): the list#list-entry links of each page in link
// order, which is list order. It yields links, not resources, so iterating
// costs one request per page; discover or GET the entries you need. It stops
// as Pages does, with one (Link{}, err) on failure.
func (c *Client) Entries(ctx context.Context, url string) iter.Seq2[Link, error] {
	return func(yield func(Link, error) bool) {
		if err := c.check(ctx, "Client.Entries"); err != nil {
			yield(Link{}, err)
			return
		}
		for page, err := range c.Pages(ctx, url) {
			if err != nil {
				yield(Link{}, err)
				return
			}
			for _, l := range page.Links.All(profiles.RelListEntry) {
				if !yield(l, nil) {
					return
				}
			}
		}
	}
}

// Children iterates over the children of a Tree or tree node (Tree pattern):
// it discovers the target of each tree#child link, in link order (sibling
// order), yielding (child, nil). A failure ends the iteration with one
// (nil, err). A resource without a Client (from [ResourceFromResponse])
// yields an error. Children are asked in r's credential scope, as
// [Resource.Follow] asks.
func (r *Resource) Children(ctx context.Context) iter.Seq2[*Resource, error] {
	return func(yield func(*Resource, error) bool) {
		if r == nil || r.client == nil {
			yield(nil, errNoClient("Resource.Children"))
			return
		}
		if err := r.client.check(ctx, "Resource.Children"); err != nil {
			yield(nil, err)
			return
		}
		for _, l := range r.Links.All(profiles.RelTreeChild) {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			child, err := r.client.Discover(r.scoped(ctx), l.Href.String())
			if !yield(child, err) || err != nil {
				return
			}
		}
	}
}

// FollowPath follows a chain of relations from r: the first link with
// rels[0], then from there the first with rels[1], and so on, discovering
// each resource on the way, and returns the last. With no rels it returns r.
// A missing link fails with an error wrapping [ErrNoLink] that says which
// step it was.
//
//	order, err := home.FollowPath(ctx, profiles.RelListEntry, profiles.RelPageNext, profiles.RelListEntry)
func (r *Resource) FollowPath(ctx context.Context, rels ...string) (*Resource, error) {
	if _, err := r.requester(ctx, "Resource.FollowPath"); err != nil {
		return nil, err
	}
	cur := r
	for i, rel := range rels {
		next, err := cur.Follow(ctx, rel)
		if err != nil {
			return nil, fmt.Errorf("level3: FollowPath step %d of %d: %w", i+1, len(rels), err)
		}
		cur = next
	}
	return cur, nil
}
