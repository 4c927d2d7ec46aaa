// This file holds the upload stage of `l3 demo` (demo.go lists the stages):
// a 50 MiB upload refused from its headers alone sends no body byte, and an
// upload the server accepts goes through, preflighted because the resource
// advertises the Preflight mixin.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/l3go/level3"
	"github.com/l3go/level3/mocks"
	"github.com/l3go/level3/profiles"
)

// zeroReaderAt reads endless zero bytes: a big body that takes no memory.
type zeroReaderAt struct{}

func (zeroReaderAt) ReadAt(p []byte, _ int64) (int, error) { clear(p); return len(p), nil }

func demoUploads(ctx context.Context, d *demo) error {
	target := d.srv.URL + mocks.PathUploads
	up, err := d.client.Discover(ctx, target)
	if err != nil {
		return err
	}
	if !up.Has(profiles.Upload) || !up.Has(profiles.Preflight) {
		return fmt.Errorf("%s does not advertise Upload and Preflight: %v", mocks.PathUploads, up.Profiles)
	}
	var names []string
	for _, p := range up.Profiles {
		names = append(names, p.Name())
	}
	d.say("%s advertises %s; it takes at most 1 MiB", mocks.PathUploads, strings.Join(names, " + "))

	const size = 50 << 20
	big := io.NewSectionReader(zeroReaderAt{}, 0, size)
	_, err = up.Upload(ctx, big, &level3.UploadOptions{ContentType: "application/octet-stream", Slug: "backup.tar"})
	var tooLarge *level3.PayloadTooLargeError
	if !errors.As(err, &tooLarge) {
		return fmt.Errorf("want *PayloadTooLargeError for 50 MiB, got %v", err)
	}
	read := d.srv.BodyBytes(mocks.PathUploads)
	d.say("POST 50 MiB with expect: 100-continue -> %s before 100", tooLarge.Status)
	d.say("  body bytes the server received: %d of %d", read, size)
	if read != 0 {
		return fmt.Errorf("the server received %d body bytes of a refused upload", read)
	}

	report := strings.Repeat("2026-11-25,order,42.00,EUR,shipped\n", 300)
	res, err := up.Upload(ctx, strings.NewReader(report), &level3.UploadOptions{Slug: "café report.csv"})
	if err != nil {
		return err
	}
	log := d.srv.Requests()
	d.say("POST %d bytes, slug %q -> %d, preflighted: the resource asks for it", len(report), log[len(log)-1].Header.Get("Slug"), res.Status)
	d.say("  location %s", res.Location)
	d.say("  etag %s, %d body bytes sent", res.Validators.ETag, res.Sent)
	if got := d.srv.BodyBytes(mocks.PathUploads); got != int64(len(report)) {
		return fmt.Errorf("the server received %d body bytes, want %d", got, len(report))
	}
	stored, ok := d.srv.Resource(strings.TrimPrefix(res.Location.String(), d.srv.URL))
	if !ok || string(stored.Body) != report {
		return errors.New("the uploaded bytes are not what the server stored")
	}
	return nil
}
