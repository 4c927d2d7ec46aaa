// This file holds uploader, the typed side of internal/bulkhook in this
// package: the per-file upload of level3's Client.UploadAll, which a worker
// uses for every item, so that an item is sent exactly as UploadAll sends a
// file. It also holds jsonString.

package l3redis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/bulkhook"
)

// uploader sends files to one target as Client.UploadAll does.
type uploader struct{ u bulkhook.Uploader }

// newUploader prepares uploads with c to target, with o (no journal).
func newUploader(ctx context.Context, c *level3.Client, target string, o *level3.BulkOptions) (*uploader, error) {
	u, err := bulkhook.NewUploader(ctx, c, target, o)
	if err != nil {
		return nil, err
	}
	return &uploader{u: u}, nil
}

// upload sends f and returns its result.
func (u *uploader) upload(ctx context.Context, f bulkhook.File) level3.FileResult {
	return u.u.Upload(ctx, f).(level3.FileResult)
}

// Close releases the uploader.
func (u *uploader) Close() error { return u.u.Close() }

// jsonString returns v as JSON text.
func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("l3redis: %w", err)
	}
	return string(b), nil
}
