// This file holds a small ready-made Level 3 API (a shop with orders) that
// `l3 serve`, `l3 demo`, examples and tests use, so they need not build one.

package mocks

import (
	"net/http"
	"strconv"

	"github.com/l3go/level3/profiles"
)

// Catalog paths installed by [Server.AddCatalog].
const (
	PathHome        = "/"
	PathOrders      = "/orders"
	PathOrdersPage2 = "/orders/page/2"
	PathOrder1      = "/orders/1"
	PathOrder2      = "/orders/2"
	PathOrder3      = "/orders/3"
	PathShip        = "/orders/1/ship" // order 1's; each order N has /orders/N/ship
	PathOrderForm   = "/orders/new"
	PathFindOrder   = "/orders/find"
	PathStats       = "/stats"
	PathReport      = "/files/report.csv"
	PathUploads     = "/uploads"
	PathOldOrders   = "/old-orders"
	PathLatest      = "/latest-report"
	PathProducts    = "/products" // first of 4 pages, 10 entries (AddPagedList)
)

// CatalogReport is the body of the Content resource at [PathReport]: 64 KiB
// of CSV rows, deterministic so tests can compare bytes.
func CatalogReport() []byte {
	const row = "2026-11-25,order,42.00,EUR,shipped\n" // 35 bytes
	out := make([]byte, 0, 64<<10)
	out = append(out, "date,kind,amount,currency,state\n"...)
	for len(out)+len(row) <= 64<<10 {
		out = append(out, row...)
	}
	return out
}

// AddCatalog installs a small shop API covering every profile:
//
//	/                 Home: links to everything below
//	/orders           Nexus, list of orders (list-entry links, page#next)
//	/orders/page/2    second page (page#previous)
//	/orders/{1,2,3}   Data + Entity orders, {"id":N,"state":"open"}
//	/orders/N/ship    Action: sets the order's state to "shipped" and
//	                  answers 303 to it; 409 Conflict when it is shipped
//	                  already ([Transition])
//	/orders/new       Form (idempotency-key optional)
//	/orders/find      Lookup: 303 to the order whose members match the
//	                  query ({"id":2}, {"state":"open"}), 404 when none
//	                  does ([LookupIn])
//	/stats            Info
//	/files/report.csv Content + Entity, 64 KiB
//	/uploads          Upload, 1 MiB limit, with Preflight and Async
//	/old-orders       Alias 308 to /orders
//	/latest-report    Alias 307 to /files/report.csv
//	/products         paged List, 10 entries on 4 pages (AddPagedList)
func (s *Server) AddCatalog() {
	s.Handle(PathHome, Home(
		Link{Href: PathOrders, Rel: profiles.RelListEntry + " collection", Title: "Orders"},
		Link{Href: PathStats, Rel: "https://level3.rest/patterns/metadata#metadata", Title: "Shop statistics"},
		Link{Href: PathReport, Rel: "describedby", Title: "Daily report"},
		Link{Href: PathUploads, Rel: profiles.RelAddEntry, Title: "Upload an attachment"},
		Link{Href: PathOrderForm, Rel: "create-form", Title: "New order"},
		Link{Href: PathFindOrder, Rel: "search", Title: "Find an order"},
		Link{Href: PathOldOrders, Rel: "alternate", Title: "Orders (old address)"},
		Link{Href: PathLatest, Rel: "latest-version", Title: "Latest report"},
	))
	orders := Nexus(`{"orders":3}`,
		Link{Href: PathOrder1, Rel: profiles.RelListEntry, Title: "Order 1"},
		Link{Href: PathOrder2, Rel: profiles.RelListEntry, Title: "Order 2 – café"},
		Link{Href: PathOrdersPage2, Rel: profiles.RelPageNext + " next", Title: "Page 2"},
		Link{Href: PathOrderForm, Rel: profiles.RelAddEntry, Title: "New order"},
	)
	orders.With(profiles.RoleList, profiles.RolePaged)
	s.Handle(PathOrders, orders)
	page2 := Nexus(`{"orders":3,"page":2}`,
		Link{Href: PathOrder3, Rel: profiles.RelListEntry, Title: "Order 3"},
		Link{Href: PathOrders, Rel: profiles.RelPagePrevious + " prev", Title: "Page 1"},
	)
	page2.With(profiles.RoleList, profiles.RolePaged)
	s.Handle(PathOrdersPage2, page2)
	orderPaths := []string{PathOrder1, PathOrder2, PathOrder3}
	for i, p := range orderPaths {
		d := Data(`{"id":` + strconv.Itoa(i+1) + `,"state":"open"}`)
		d.Links = []Link{
			{Href: PathOrders, Rel: profiles.RelList, Title: "All orders"},
			{Href: p + "/ship", Rel: "https://level3.rest/patterns/process#activity", Title: "Ship it"},
		}
		s.Handle(p, d)
		s.Handle(p+"/ship", Transition(p, "state", "shipped"))
	}
	form := Form(`{"item":"","quantity":1}`)
	form.IdempotencyKey = "optional"
	s.Handle(PathOrderForm, form)
	s.Handle(PathFindOrder, LookupIn(`{"id":0}`, orderPaths...))
	s.Handle(PathStats, Info(`{"orders":3,"revenue":"126.00 EUR"}`))
	report := Content(CatalogReport(), "text/csv")
	report.Header = http.Header{"Content-Disposition": {`attachment; filename="report.csv"`}}
	s.Handle(PathReport, report)
	up := Upload().With(profiles.Preflight, profiles.Async)
	up.MaxBody = 1 << 20
	s.Handle(PathUploads, up)
	s.AliasTo(PathOldOrders, http.StatusPermanentRedirect, PathOrders)
	s.AliasTo(PathLatest, http.StatusTemporaryRedirect, PathReport)
	s.AddPagedList(PathProducts, 10, 3)
}
