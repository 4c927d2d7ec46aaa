// This file holds where l3 keeps its cache (the memory of 308 Permanent
// Redirects) and the Client option that uses it. flags.go adds --no-cache;
// redirects.go is the command that shows and edits the memory.

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

// redirectStore returns the option giving the Client its 308 memory: the
// file in the cache directory, so that a permanent redirect learned by one
// command saves a round trip in the next; with --no-cache, or when the file
// cannot be used (a warning says why), a memory for this run only.
func (c *commonFlags) redirectStore(errOut io.Writer) level3.Option {
	if c.noCache {
		return level3.WithRedirectStore(redirects.NewMemory(0))
	}
	f, err := openRedirects()
	if err != nil {
		fmt.Fprintf(errOut, "l3: warning: redirect memory not used: %v (delete the file, or use --no-cache)\n", err)
		return level3.WithRedirectStore(redirects.NewMemory(0))
	}
	return level3.WithRedirectStore(f)
}
