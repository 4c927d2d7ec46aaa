// This file holds the download stage of `l3 demo` (demo.go lists the
// stages): the fake server cuts the connection twice, and the download
// resumes from where it was each time and still verifies.

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
)

func demoDownload(ctx context.Context, d *demo) error {
	dir, err := os.MkdirTemp("", "l3-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	want := mocks.CatalogReport()
	sum := sha256.Sum256(want)
	wantHex := hex.EncodeToString(sum[:])
	d.srv.Fail(mocks.PathReport, mocks.DropAt(20_000), mocks.DropAt(45_000))
	d.say("the server will cut the connection at bytes 20000 and 45000 of %d", len(want))

	res, err := d.client.Download(ctx, d.srv.URL+mocks.PathReport, dir+string(os.PathSeparator), &level3.DownloadOptions{SHA256: wantHex})
	if err != nil {
		return err
	}
	for _, r := range d.srv.Requests() {
		switch {
		case r.Method != http.MethodGet:
			d.say("%-4s %s", r.Method, r.Path)
		case r.Header.Get("Range") == "":
			d.say("GET  %s (the whole content)", r.Path)
		default:
			d.say("GET  %s range: %s, if-range: %s", r.Path, r.Header.Get("Range"), r.Header.Get("If-Range"))
		}
	}
	d.say("saved %s (named by content-disposition): %d bytes after %d restarts", filepath.Base(res.Path), res.Bytes, res.Restarts)
	d.say("sha256 %s", res.SHA256)
	d.say("wanted %s: match", wantHex)
	got, err := os.ReadFile(res.Path)
	switch {
	case err != nil:
		return err
	case res.Restarts != 2:
		return fmt.Errorf("want 2 restarts, got %d", res.Restarts)
	case res.SHA256 != wantHex || string(got) != string(want):
		return fmt.Errorf("the file is not the server's content")
	}
	return nil
}
