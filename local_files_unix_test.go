//go:build unix

package level3

// Local files are never a trap: a named pipe, device or symbolic link where
// a download keeps its files, or an upload reads its source, gives an
// immediate error, and an upload whose source changes while it is sent
// fails. Hostile servers for downloads are in download_claims_test.go.

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/mocks"
)

// plant makes a file of kind at path: "fifo", "device" (a character device
// like /dev/null, skipped where it cannot be made), "symlink" (to a file
// named victim beside it) or "dir".
func plant(t *testing.T, path, kind string) {
	t.Helper()
	switch kind {
	case "fifo":
		require.NoError(t, syscall.Mkfifo(path, 0o600))
	case "device":
		if err := syscall.Mknod(path, syscall.S_IFCHR|0o600, 1<<8|3); err != nil {
			t.Skipf("cannot make a device node here: %v", err)
		}
	case "symlink":
		victim := filepath.Join(filepath.Dir(path), "victim")
		require.NoError(t, os.WriteFile(victim, []byte("precious"), 0o644))
		require.NoError(t, os.Symlink("victim", path))
	case "dir":
		require.NoError(t, os.Mkdir(path, 0o755))
	default:
		t.Fatalf("unknown kind %q", kind)
	}
}

// unblock opens the other end of a FIFO at path, so that a call blocked in
// open(2) on it returns.
func unblock(path string) {
	for _, flag := range []int{os.O_RDONLY | syscall.O_NONBLOCK, os.O_WRONLY | syscall.O_NONBLOCK} {
		if f, err := os.OpenFile(path, flag, 0); err == nil {
			f.Close()
		}
	}
}

// bounded runs call and returns how long it took and its error, failing
// the test if it is still running after 10 s (having first unblocked the
// FIFO at trap, for 10 s more at most, so that the call can return and leak
// nothing).
func bounded(t *testing.T, trap string, call func(ctx context.Context) error) (time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- call(ctx) }()
	select {
	case err := <-done:
		return time.Since(start), err
	case <-time.After(10 * time.Second):
	}
	cancel()
	giveUp := time.After(10 * time.Second)
	for {
		unblock(trap)
		select {
		case <-done:
			t.Fatalf("blocked on %s for more than 10s (the context was not honoured)", trap)
		case <-giveUp:
			t.Fatalf("blocked on %s for more than 10s, and still blocked once unblocked", trap)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestDownloadRefusesNonRegularLocalFiles(t *testing.T) {
	body := content(10_000, 50)
	for _, at := range []string{"", partSuffix, partSuffix + sidecarSuffix, partSuffix + sidecarSuffix + ".tmp"} {
		for _, kind := range []string{"fifo", "device", "symlink", "dir"} {
			if at == "" && (kind == "symlink" || kind == "dir") {
				// The final name may be a link (Overwrite replaces the
				// link itself) or a directory (the file goes into it).
				continue
			}
			for _, overwrite := range []bool{false, true} {
				name := "f.bin" + at + " is a " + kind
				if overwrite {
					name += ", Overwrite"
				}
				t.Run(name, func(t *testing.T) {
					srv, url := contentServer(t, body)
					dir := t.TempDir()
					dst := filepath.Join(dir, "f.bin")
					plant(t, dst+at, kind)
					opts := quick(&DownloadOptions{Overwrite: overwrite})
					c := downloadClient(t)
					took, err := bounded(t, dst+at, func(ctx context.Context) error {
						_, err := c.Download(ctx, url, dst, opts)
						return err
					})
					t.Logf("failed after %v", took)
					require.ErrorIs(t, err, ErrNotRegularFile)
					var pe *fs.PathError
					require.ErrorAs(t, err, &pe)
					assert.Equal(t, dst+at, pe.Path)
					assert.Empty(t, srv.Requests(), "refused before any request")
					fi, err := os.Lstat(dst + at)
					require.NoError(t, err, "left where it was")
					assert.False(t, fi.Mode().IsRegular())
					if kind == "symlink" {
						data, _ := os.ReadFile(filepath.Join(dir, "victim"))
						assert.Equal(t, "precious", string(data))
					}
				})
			}
		}
	}
}

// TestDownloadRefusesAPipeNamedByTheServer checks the same in directory
// mode, where the name is learned from the HEAD.
func TestDownloadRefusesAPipeNamedByTheServer(t *testing.T) {
	srv := mocks.NewServer(t)
	res := mocks.Content([]byte("data"), "text/plain")
	res.Header = http.Header{"Content-Disposition": {mocks.Attachment("named.txt")}}
	url := srv.Handle("/f", res)
	dir := t.TempDir()
	plant(t, filepath.Join(dir, "named.txt"+partSuffix+sidecarSuffix), "fifo")
	c := downloadClient(t)
	_, err := bounded(t, filepath.Join(dir, "named.txt"+partSuffix+sidecarSuffix), func(ctx context.Context) error {
		_, err := c.Download(ctx, url, dir+"/", quick(nil))
		return err
	})
	require.ErrorIs(t, err, ErrNotRegularFile)
	assert.NoFileExists(t, filepath.Join(dir, "named.txt"))
}

// TestDownloadRefusesAPipeAsItsDirectory checks a destination directory
// that is a named pipe, which os.OpenRoot would wait on.
func TestDownloadRefusesAPipeAsItsDirectory(t *testing.T) {
	srv, url := contentServer(t, []byte("data"))
	fifo := filepath.Join(t.TempDir(), "dir")
	plant(t, fifo, "fifo")
	c := downloadClient(t)
	for _, dst := range []string{fifo + "/", filepath.Join(fifo, "f.bin")} {
		_, err := bounded(t, fifo, func(ctx context.Context) error {
			_, err := c.Download(ctx, url, dst, quick(nil))
			return err
		})
		require.ErrorIs(t, err, errNotDirectory, dst)
	}
	assert.Empty(t, srv.Requests())
}

func TestUploadRefusesNonRegularSources(t *testing.T) {
	srv := mocks.NewServer(t)
	srv.AddCatalog()
	c := newTestClient(t, srv)
	for _, kind := range []string{"fifo", "device", "dir"} {
		path := filepath.Join(t.TempDir(), "src")
		plant(t, path, kind)
		for name, call := range map[string]func(ctx context.Context) error{
			"UploadFile": func(ctx context.Context) error {
				_, err := c.UploadFile(ctx, srv.URL+mocks.PathUploads, path, nil)
				return err
			},
			"PutFile": func(ctx context.Context) error {
				_, err := c.PutFile(ctx, srv.URL+mocks.PathReport, path, nil)
				return err
			},
			"NewUploadRequest": func(ctx context.Context) error {
				_, _, err := NewUploadRequest(ctx, http.MethodPut, srv.URL+mocks.PathReport, path, nil)
				return err
			},
		} {
			t.Run(kind+"/"+name, func(t *testing.T) {
				took, err := bounded(t, path, call)
				t.Logf("failed after %v", took)
				require.ErrorIs(t, err, ErrNotRegularFile)
			})
		}
	}
	assert.Zero(t, srv.Count(mocks.PathUploads)+srv.Count(mocks.PathReport))
}

// changes are the ways a source file can change while it is sent.
var changes = map[string]func(t *testing.T, path string){
	"grows": func(t *testing.T, path string) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		_, err = f.WriteString("more")
		require.NoError(t, err)
		require.NoError(t, f.Close())
	},
	"rewritten in place": func(t *testing.T, path string) {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		require.NoError(t, err)
		_, err = f.WriteAt([]byte("CHANGED"), 100_000)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		// The clock may not have ticked at the file system's resolution.
		later := time.Now().Add(time.Hour)
		require.NoError(t, os.Chtimes(path, later, later))
	},
	"replaced": func(t *testing.T, path string) {
		tmp := path + ".new"
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(tmp, data, 0o644))
		require.NoError(t, os.Rename(tmp, path))
	},
}

// changingServer answers uploads with 201 (POST) or 204 (PUT) after reading
// the whole body, and calls change once it has read the first bytes.
func changingServer(t *testing.T, change func()) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 1024)
		if _, err := io.ReadFull(r.Body, buf); err == nil {
			change()
		}
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Method == http.MethodPost {
			w.Header().Set("Location", "/files/1")
			w.WriteHeader(http.StatusCreated)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestUploadFailsWhenTheSourceChangesWhileSent(t *testing.T) {
	data := content(256<<10, 51)
	calls := map[string]func(t *testing.T, ctx context.Context, c *Client, url, path string) error{
		"UploadFile": func(t *testing.T, ctx context.Context, c *Client, url, path string) error {
			_, err := c.UploadFile(ctx, url, path, nil)
			return err
		},
		"PutFile (sendfile)": func(t *testing.T, ctx context.Context, c *Client, url, path string) error {
			_, err := c.PutFile(ctx, url, path, nil)
			return err
		},
		"Upload of an *os.File": func(t *testing.T, ctx context.Context, c *Client, url, path string) error {
			f, err := os.Open(path)
			require.NoError(t, err)
			defer f.Close()
			_, err = c.Upload(ctx, url, f, nil)
			return err
		},
		"Put of an *os.File": func(t *testing.T, ctx context.Context, c *Client, url, path string) error {
			f, err := os.Open(path)
			require.NoError(t, err)
			defer f.Close()
			_, err = c.Put(ctx, url, f, nil)
			return err
		},
		"UploadAll": func(t *testing.T, ctx context.Context, c *Client, url, path string) error {
			var results []FileResult
			_, err := c.UploadAll(ctx, url, []string{path}, &BulkOptions{OnResult: func(r FileResult) { results = append(results, r) }})
			require.ErrorIs(t, err, ErrBulkFailed)
			require.Len(t, results, 1)
			assert.Equal(t, 1, results[0].Attempts, "not sent again")
			return results[0].Err
		},
		"UploadAll with Put": func(t *testing.T, ctx context.Context, c *Client, url, path string) error {
			var results []FileResult
			_, err := c.UploadAll(ctx, url+"/dav/", []string{path}, &BulkOptions{Put: true, OnResult: func(r FileResult) { results = append(results, r) }})
			require.ErrorIs(t, err, ErrBulkFailed)
			require.Len(t, results, 1)
			return results[0].Err
		},
	}
	for callName, call := range calls {
		for changeName, change := range changes {
			t.Run(callName+"/"+changeName, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "src.bin")
				require.NoError(t, os.WriteFile(path, data, 0o644))
				url := changingServer(t, func() { change(t, path) })
				if changeName == "replaced" && strings.Contains(callName, "*os.File") {
					t.Skip("an open file given by the caller is read whatever its name now points to")
				}
				tr := &http.Transport{}
				defer tr.CloseIdleConnections()
				c, err := New(WithRetry(fastRetry), WithHTTPClient(&http.Client{Transport: tr}))
				require.NoError(t, err)
				err = call(t, context.Background(), c, url, path)
				require.ErrorIs(t, err, ErrSourceChanged)
				var sc *SourceChangedError
				require.ErrorAs(t, err, &sc)
				assert.Equal(t, path, sc.Path)
				assert.NotEmpty(t, sc.Reason)
			})
		}
	}
}

func TestUploadOfAnUnchangedFileSucceeds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "src.bin")
	require.NoError(t, os.WriteFile(path, content(256<<10, 52), 0o644))
	url := changingServer(t, func() {})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c, err := New(WithRetry(fastRetry), WithHTTPClient(&http.Client{Transport: tr}))
	require.NoError(t, err)
	res, err := c.PutFile(context.Background(), url, path, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(256<<10), res.Sent)
	_, err = c.UploadFile(context.Background(), url, path, nil)
	require.NoError(t, err)
	assert.False(t, errors.Is(err, ErrSourceChanged))
}
