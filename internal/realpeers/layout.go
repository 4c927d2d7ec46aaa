// This file holds what a server instance finds on disk: its private
// directories (layout), the files tests put there (WriteFile, with its
// backdated modification times), the unprivileged worker account that owns
// them when the tests run as root, and the MIME types all servers send.
// realpeers.go holds the Server and starts it.

package realpeers

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// WriteFile writes data to dir/name (name may contain slashes; missing
// directories are made) and returns the file's path. The file and the
// directories it makes are readable by the servers' worker user, and owned
// by it when the tests run as root, so the WebDAV locations may replace them.
//
// WriteFile also sets the file's modification time two minutes in the past,
// and always at least a second later than the time the file had before. So:
//   - Apache sends a strong ETag at once (it makes the ETag weak while the
//     file is less than a second old);
//   - Apache honours If-Range with the Last-Modified date (RFC 9110 13.1.5:
//     it treats a date as strong only once it is 60 s older than Date; nginx
//     compares dates as they are);
//   - rewriting a file with data of the same length still changes both
//     servers' ETag (nginx's has a resolution of one second) and
//     Last-Modified (HTTP dates have one too).
//
// A test writing one file more than about sixty times in two minutes loses
// the second point; tests that want a fresh file use os.Chtimes.
func WriteFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(name))
	if err := mkdirAll(filepath.Dir(path)); err != nil {
		t.Fatalf("realpeers.WriteFile: %v", err)
	}
	mtime := backdated(path)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatalf("realpeers.WriteFile: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // the file may have existed with other bits
		t.Fatalf("realpeers.WriteFile: %v", err)
	}
	if err := giveToWorker(path); err != nil {
		t.Fatalf("realpeers.WriteFile: %v", err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatalf("realpeers.WriteFile: %v", err)
	}
	return path
}

// backdate is how far in the past WriteFile puts a new file's mtime.
const backdate = 2 * time.Minute

// backdated returns the modification time WriteFile gives path: backdate
// ago in whole seconds, or a second after its current one if that is later.
func backdated(path string) time.Time {
	mtime := time.Now().Truncate(time.Second).Add(-backdate)
	if fi, err := os.Stat(path); err == nil && !fi.ModTime().Before(mtime) {
		mtime = fi.ModTime().Truncate(time.Second).Add(time.Second)
	}
	return mtime
}

// mkdirAll is os.MkdirAll(dir, 0o755) that also gives every directory it
// makes to the worker user.
func mkdirAll(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	if err := os.Chmod(dir, 0o755); err != nil { // umask
		return err
	}
	return giveToWorker(dir)
}

// account is the unprivileged user the servers' workers run as when the
// tests run as root. Apache refuses to serve as root; nginx runs as the same
// user so that both see the same file permissions.
type account struct {
	user, group string
	uid, gid    int
}

// worker returns the worker account, or nil when the tests do not run as
// root (then the servers run as the current user and User/user are omitted).
var worker = sync.OnceValues(func() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"www-data", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 != nil || err2 != nil {
			continue
		}
		return &account{user: u.Username, group: g.Name, uid: uid, gid: gid}, nil
	}
	return nil, errors.New("running as root, but neither user www-data nor nobody exists to run the servers' workers")
})

// giveToWorker makes path owned by the worker user when running as root.
func giveToWorker(path string) error {
	w, err := worker()
	if err != nil || w == nil {
		return err
	}
	return os.Lchown(path, w.uid, w.gid)
}

// layout makes the private directory tree of one instance, removed in
// t.Cleanup after the server stopped:
//
//	base/files     DocRoot
//	base/dav       DAVRoot (owned by the worker)
//	base/internal  id.txt, home.json, problem bodies
//	base/conf      configuration, mime.types; tls/ca.pem, cert.pem, key.pem
//	base/logs      error.log, access.log, stderr.log
//	base/run       pid file, Apache's runtime dir
//	base/empty     the servers' document root: nothing is served at /
//	base/tmp       nginx's temp paths, Apache's DavLockDB (owned by the worker)
func layout(t testing.TB, name string) (*Server, error) {
	if _, err := worker(); err != nil {
		return nil, err
	}
	base, err := os.MkdirTemp("", "realpeers-"+name+"-")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(base); err != nil {
			t.Logf("realpeers: removing %s: %v", base, err)
		}
	})
	if strings.ContainsAny(base, "\"'$\\;{}#\n\r\t ") {
		return nil, fmt.Errorf("temp dir %q has characters the server configs cannot quote; set TMPDIR to a plain path", base)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		return nil, err
	}
	if err := checkTraversable(base); err != nil {
		return nil, err
	}
	for _, d := range []string{"files", "internal", "conf", "conf/tls", "logs", "run", "empty"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := writeTLSFiles(filepath.Join(base, "conf", "tls")); err != nil {
		return nil, err
	}
	for _, d := range []string{"dav", "tmp"} {
		if err := mkdirAll(filepath.Join(base, d)); err != nil {
			return nil, err
		}
	}
	internal := filepath.Join(base, "internal")
	home := filepath.Join(internal, "home.json")
	mtime := backdated(home) // for a strong ETag on Apache too
	if err := os.WriteFile(home, []byte(HomeBody), 0o644); err != nil {
		return nil, err
	}
	if err := os.Chtimes(home, mtime, mtime); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(base, "conf", "mime.types"), []byte(mimeTypesFile()), 0o644); err != nil {
		return nil, err
	}
	return &Server{
		Name:     name,
		DocRoot:  filepath.Join(base, "files"),
		DAVRoot:  filepath.Join(base, "dav"),
		CAFile:   filepath.Join(base, "conf", "tls", "ca.pem"),
		ErrorLog: filepath.Join(base, "logs", "error.log"),
		base:     base,
	}, nil
}

// checkTraversable reports an error when the worker user (tests running as
// root) cannot reach dir because an ancestor is closed to others, as with a
// private TMPDIR.
func checkTraversable(dir string) error {
	if w, _ := worker(); w == nil {
		return nil
	}
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("the servers' worker user cannot enter %s (mode %v); set TMPDIR to a directory like /tmp", d, fi.Mode().Perm())
		}
		if filepath.Dir(d) == d {
			return nil
		}
	}
}

// mimeTypes maps file extensions to the content types all servers send;
// anything else is application/octet-stream.
var mimeTypes = []struct{ typ, exts string }{
	{"text/plain", "txt text"},
	{"text/html", "html htm"},
	{"text/css", "css"},
	{"text/csv", "csv"},
	{"application/json", "json"},
	{"application/problem+json", "problem"},
	{"application/xml", "xml"},
	{"application/pdf", "pdf"},
	{"application/zip", "zip"},
	{"application/gzip", "gz"},
	{"application/x-tar", "tar"},
	{"application/octet-stream", "bin"},
	{"image/png", "png"},
	{"image/jpeg", "jpg jpeg"},
	{"image/gif", "gif"},
	{"image/svg+xml", "svg"},
}

// mimeTypesFile renders mimeTypes in the mime.types format Apache reads.
func mimeTypesFile() string {
	var b strings.Builder
	for _, m := range mimeTypes {
		fmt.Fprintf(&b, "%s\t%s\n", m.typ, m.exts)
	}
	return b.String()
}
