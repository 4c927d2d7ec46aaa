// This file holds the last states of a download (download.go): verify and
// finish, which publish the file, and the endings without one: notModified,
// changed, stop and discardAndStop.

package level3

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime"
)

// verify checks the complete partial file: its length against the
// content's, and the SHA-256 digest when asked. Next: finish, or stop.
func (t *transfer) verify(ctx context.Context) stateFn {
	total := t.sc.Total
	if total < 0 || t.have != total {
		return t.stop(fmt.Errorf("%w: %s: have %d bytes of %d", ErrUnexpectedResponse, t.redacted, t.have, total))
	}
	if err := truncate(t.part, total); err != nil {
		return t.stop(err)
	}
	if t.hash == nil {
		return t.finish
	}
	if err := t.hash.catchUp(t.part, total, t.buffer()); err != nil {
		return t.stop(fmt.Errorf("level3: download: reading the partial file: %w", err))
	}
	if sum := t.hash.sum(); t.cfg.wantSHA256 != nil && !bytes.Equal(sum, t.cfg.wantSHA256) {
		return t.discardAndStop(&ChecksumError{
			Path: t.dst.path(), Algorithm: "sha256",
			Want: hex.EncodeToString(t.cfg.wantSHA256), Got: hex.EncodeToString(sum),
		})
	}
	return t.finish
}

// renameOpenFiles is false where an open file cannot be renamed.
var renameOpenFiles = runtime.GOOS != "windows"

// finish moves the verified file into place and removes the sidecar.
// Next: none.
func (t *transfer) finish(ctx context.Context) stateFn {
	if t.cfg.sync {
		if err := t.part.Sync(); err != nil {
			return t.stop(fmt.Errorf("level3: download: %w", err))
		}
	}
	if !renameOpenFiles {
		t.part.Close()
		t.part = nil
	}
	if err := t.dst.publish(t.cfg.overwrite); err != nil {
		if t.part == nil {
			t.err = err
			t.meter.finish(false)
			return nil
		}
		t.checkpoint(true)
		return t.stop(err)
	}
	_ = t.dst.root.Remove(t.dst.sidecarName())
	t.result = &DownloadResult{
		Validators: t.sc.validators(), Path: t.dst.path(), Bytes: t.have, Resumed: t.resumed,
		Restarts: t.restarts, ContentType: t.contentType,
	}
	t.result.Connections, t.result.ConnectionsOpened, t.result.ConnectionsReused = t.conns.stats()
	if t.hash != nil {
		t.result.SHA256 = hex.EncodeToString(t.hash.sum())
	}
	t.meter.finish(true)
	return nil
}

// notModified ends a KnownVersion download that the server answered with
// 304. Next: none.
func (t *transfer) notModified(h http.Header) stateFn {
	if t.part != nil && !t.hasData() {
		t.dst.removePartial()
	}
	v := ValidatorsOf(h)
	if v.ETag == "" {
		v.ETag = t.cfg.known.ETag
	}
	t.result = &DownloadResult{Validators: v, Path: t.dst.path(), NotModified: true}
	t.result.Connections, t.result.ConnectionsOpened, t.result.ConnectionsReused = t.conns.stats()
	t.meter.finish(true)
	return nil
}

// changed ends a fail-fast download whose content changed, keeping or
// removing the partial file as asked. Next: none.
func (t *transfer) changed(reason string, serverErr error) stateFn {
	t.closeResponse()
	err := &ContentChangedError{URL: t.redacted, Reason: reason, Err: serverErr, PartialKept: t.cfg.keepOnChange}
	if t.cfg.keepOnChange {
		return t.stop(err)
	}
	return t.discardAndStop(err)
}

// stop ends the download with err, keeping the partial file and saving its
// sidecar when it holds any byte, removing both otherwise. Next: none.
func (t *transfer) stop(err error) stateFn {
	t.closeResponse()
	t.err = err
	if t.part != nil {
		if t.hasData() {
			t.checkpoint(true)
		} else {
			t.dst.removePartial()
		}
	}
	t.meter.finish(false)
	return nil
}

// discardAndStop ends the download with err and removes the partial file
// and sidecar. Next: none.
func (t *transfer) discardAndStop(err error) stateFn {
	t.closeResponse()
	t.err = err
	if t.part != nil {
		t.dst.removePartial()
	}
	t.meter.finish(false)
	return nil
}
