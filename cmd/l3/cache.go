// This file holds the caches l3 keeps: where the memory of 308 Permanent
// Redirects lives, and the Client options for it and for the response
// cache, both of which --no-cache turns off. flags.go registers --no-cache;
// redirects.go is the command that shows and edits the redirect memory.

package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/l3go/level3"
	"github.com/l3go/level3/redirects"
)

// cacheDirEnv names the environment variable that puts l3's cache files in
// another directory than level3/ under the user's cache directory
// (os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on
// macOS, %LocalAppData% on Windows).
const cacheDirEnv = "L3_CACHE_DIR"

// redirectsPath returns the path of the file that remembers 308s.
func redirectsPath() (string, error) {
	if dir := os.Getenv(cacheDirEnv); dir != "" {
		return filepath.Join(dir, "redirects.json"), nil
	}
	return redirects.DefaultPath()
}

// openRedirects opens the file that remembers 308s.
func openRedirects() (*redirects.File, error) {
	path, err := redirectsPath()
	if err != nil {
		return nil, err
	}
	return redirects.OpenFile(path, 0)
}

// noCacheUsage describes --no-cache: every cache it turns off.
const noCacheUsage = "keep no cache: neither the permanent redirects remembered in the user's cache directory (or $" + cacheDirEnv + ") nor, for this run, the responses kept to revalidate a repeated GET (sent again without If-None-Match)"

// cacheOptions returns the options that give the Client its caches, which
// --no-cache turns off together:
//   - the 308 memory: the file in the cache directory, so that a permanent
//     redirect learned by one command saves a round trip in the next (a
//     memory for this run only when the file cannot be used, with a warning
//     saying why);
//   - the response cache (the library's default, in memory), so that a URL
//     fetched twice in one run (`l3 get URL URL`) is revalidated, 304 Not
//     Modified answered from it.
//
// The demo keeps both in memory (inMemory): its stages show them at work,
// and its server is gone when it ends.
func (c *commonFlags) cacheOptions(errOut io.Writer) []level3.Option {
	switch {
	case c.inMemory:
		return []level3.Option{level3.WithRedirectStore(redirects.NewMemory(0))}
	case c.noCache:
		return []level3.Option{level3.WithRedirectStore(nil), level3.WithCache(nil)}
	}
	f, err := openRedirects()
	if err != nil {
		fmt.Fprintf(errOut, "l3: warning: redirect memory not used: %v (delete the file, or use --no-cache)\n", err)
		return []level3.Option{level3.WithRedirectStore(redirects.NewMemory(0))}
	}
	return []level3.Option{level3.WithRedirectStore(f)}
}
