// This file holds helpers that install redirect resources: aliases that
// take the target's profiles, chains and loops. The Alias, Action and Lookup
// constructors are in resource.go; what they answer is in behaviour.go.

package mocks

import (
	"strings"

	"github.com/l3go/level3/profiles"
)

// AliasTo installs at path an Alias that redirects every method to target
// with status (307 or 308) and returns its URL. As the Level 3 specification
// asks, its profile header lists Alias plus the target's profiles and its
// allow header is the target's, when target is a path of this server with a
// resource (install the target first). target may also be an absolute URL,
// such as another Server's, for an alias to a second origin; the alias then
// lists Alias only.
func (s *Server) AliasTo(path string, status int, target string) string {
	alias := Alias(status, target)
	if strings.HasPrefix(target, "/") {
		if res, ok := s.Resource(target); ok {
			for _, p := range res.Profiles {
				if !p.Equal(profiles.Alias) {
					alias.Profiles = append(alias.Profiles, p)
				}
			}
			if len(res.Allow) > 0 {
				alias.Allow = append([]string(nil), res.Allow...)
			}
		}
	}
	return s.Handle(path, alias)
}

// Chain installs a chain of aliases answering status: paths[0] redirects to
// paths[1], and so on, and the last path to target. It returns the URL of
// paths[0]. Each alias takes the profiles of the one after it, so the first
// lists Alias plus the final target's profiles.
func (s *Server) Chain(status int, target string, paths ...string) string {
	if len(paths) == 0 {
		return ""
	}
	next := target
	var first string
	for i := len(paths) - 1; i >= 0; i-- {
		first = s.AliasTo(paths[i], status, next)
		next = paths[i]
	}
	return first
}

// Loop installs aliases answering status that redirect in a circle:
// paths[0] to paths[1], ..., the last back to paths[0]. It returns the URL of
// paths[0]. A client must stop with an error naming the circle.
func (s *Server) Loop(status int, paths ...string) string {
	if len(paths) == 0 {
		return ""
	}
	for i, p := range paths {
		s.Handle(p, Alias(status, paths[(i+1)%len(paths)]))
	}
	return s.URL + paths[0]
}
