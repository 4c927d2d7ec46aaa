// This file holds AddPagedList, a paged List (List and Page patterns) of any
// length, whose next links use every spelling a client meets. catalog.go
// installs one at /products.

package mocks

import (
	"fmt"
	"strconv"

	"github.com/l3go/level3/profiles"
)

// olderPageNext is the page#next relation as the older draft spells it.
const olderPageNext = "http://level3.rest/patterns/page#next"

// AddPagedList installs a paged List at path with entries Data resources
// (Entity mixin), perPage to a page, and returns the URLs of the pages in
// order. The first page is at path, page k at path+"/page/k"; entry n (from
// 1) is at path+"/n", with the body {"id":n,"name":"Item n"} (taking both
// PATCH formats), and is linked
// with list#list-entry in order. Each page links back with page#previous
// and prev. The next links rotate through three spellings: page#next with
// the registered next, the registered next alone, and the older draft's
// http://level3.rest/patterns/page#next, so one walk meets them all. With
// entries < 1 there is one empty page; perPage < 1 counts as 1.
func (s *Server) AddPagedList(path string, entries, perPage int) []string {
	perPage = max(perPage, 1)
	pages := max((entries+perPage-1)/perPage, 1)
	pagePath := func(k int) string {
		if k == 1 {
			return path
		}
		return path + "/page/" + strconv.Itoa(k)
	}
	urls := make([]string, 0, pages)
	for k := 1; k <= pages; k++ {
		var links []Link
		for n := (k-1)*perPage + 1; n <= min(k*perPage, entries); n++ {
			entry := path + "/" + strconv.Itoa(n)
			d := Data(fmt.Sprintf(`{"id":%d,"name":"Item %d"}`, n, n))
			d.AcceptPatch = []string{MergePatch, JSONPatch}
			d.Links = []Link{{Href: path, Rel: profiles.RelList, Title: "The list"}}
			s.Handle(entry, d)
			links = append(links, Link{Href: entry, Rel: profiles.RelListEntry, Title: "Item " + strconv.Itoa(n)})
		}
		if k < pages {
			rel := [...]string{profiles.RelPageNext + " next", "next", olderPageNext}[(k-1)%3]
			links = append(links, Link{Href: pagePath(k + 1), Rel: rel, Title: fmt.Sprintf("Page %d", k+1)})
		}
		if k > 1 {
			links = append(links, Link{Href: pagePath(k - 1), Rel: profiles.RelPagePrevious + " prev", Title: fmt.Sprintf("Page %d", k-1)})
		}
		page := Nexus(fmt.Sprintf(`{"page":%d,"pages":%d,"entries":%d}`, k, pages, entries), links...)
		page.With(profiles.RoleList, profiles.RolePaged)
		urls = append(urls, s.Handle(pagePath(k), page))
	}
	return urls
}
