// This file holds what UploadAll (bulk.go) needs for targets that take files
// by PUT, such as WebDAV on nginx or Apache and object stores: the URL of each
// file below the target (putURL), and the creation of missing collections
// with MKCOL (RFC 4918 §9.3) for servers that do not make them on PUT.

package level3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// putURL returns the URL of the file named name (relative, slash-separated)
// below the collection base: each segment of name percent-encoded as a path
// segment, so that spaces, "%", "?", "#" and non-ASCII names arrive intact.
// base must end with a slash.
func putURL(base *url.URL, name string) *url.URL {
	u := *base
	segs := strings.Split(name, "/")
	escaped := make([]string, len(segs))
	for i, s := range segs {
		escaped[i] = url.PathEscape(s)
	}
	u.RawPath = base.EscapedPath() + strings.Join(escaped, "/")
	u.Path = base.Path + name
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	return &u
}

// parentCollections returns the URLs of the collections that hold the file
// named name below base, outermost first: base itself, then each directory
// of name, each with its trailing slash (which nginx's MKCOL requires).
func parentCollections(base *url.URL, name string) []*url.URL {
	segs := strings.Split(name, "/")
	out := []*url.URL{putURL(base, "")}
	for i := 1; i < len(segs); i++ {
		u := putURL(base, strings.Join(segs[:i], "/")+"/")
		out = append(out, u)
	}
	return out
}

// hasTrailingSlash reports whether u's path ends with a slash.
func hasTrailingSlash(u *url.URL) bool { return strings.HasSuffix(u.EscapedPath(), "/") }

// collections makes each missing collection once, however many files of an
// UploadAll need it at the same time. The zero value is ready to use.
type collections struct {
	made sync.Map // URL string -> *collectionOnce
}

type collectionOnce struct {
	once sync.Once
	err  error
}

// make creates the collections that hold name below base (base included),
// outermost first. A collection that exists already (405 Method Not
// Allowed, RFC 4918 §9.3.1) is fine.
func (cs *collections) make(ctx context.Context, c *Client, base *url.URL, name string) error {
	for _, u := range parentCollections(base, name) {
		v, _ := cs.made.LoadOrStore(u.String(), &collectionOnce{})
		co := v.(*collectionOnce)
		co.once.Do(func() { co.err = mkcol(ctx, c, u) })
		if co.err != nil {
			return co.err
		}
	}
	return nil
}

// mkcol sends MKCOL to u. 201 Created and 405 (it exists) are success.
func mkcol(ctx context.Context, c *Client, u *url.URL) error {
	req, err := http.NewRequestWithContext(ctx, "MKCOL", u.String(), nil)
	if err == nil {
		// Sent once, as every request of UploadAll: it retries files.
		req, err = (&RequestOptions{NoRetry: true}).Apply(req)
	}
	if err != nil {
		return fmt.Errorf("level3: %w", err)
	}
	resp, err := c.Do(req)
	var re *ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusMethodNotAllowed {
		return nil
	}
	if err != nil {
		return fmt.Errorf("level3: creating collection %s: %w", redactURL(u), err)
	}
	drainAndClose(resp.Body)
	return nil
}
