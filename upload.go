// This file holds single uploads: Upload and UploadFile (POST to an Upload
// resource), Put and PutFile (replace a Content resource's bytes), their
// Resource forms, the options and the result. The headers they send are
// worked out in uploadhdr.go, progress is counted in progress.go, and the
// preflight that guards large bodies is the pipeline layer in preflight.go.
// Many files at once: bulk.go.

package level3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/l3go/level3/profiles"
)

// UploadOptions are the per-call options of [Client.Upload], [Client.Put]
// and their variants. A nil *UploadOptions means all defaults.
type UploadOptions struct {
	// ContentType is sent as content-type. Empty: detected from the name's
	// extension (the file's, or Slug's), else from the first 512 bytes of
	// the body (http.DetectContentType), read without consuming them.
	ContentType string
	// Slug is the name hint sent with a POST (RFC 5023 §9.7); characters
	// outside printable ASCII are percent-encoded as UTF-8. Empty: the base
	// name of the file (of an *os.File body too). Ignored by PUT.
	Slug string
	// NoSlug sends no slug at all.
	NoSlug bool
	// Length is the number of bytes a body of unknown length (a plain
	// io.Reader) will yield; 0 means unknown, and the body is then sent
	// chunked: a server that demands content-length answers 411, returned
	// as a *LengthRequiredError that says so. Files, io.Seekers and byte
	// readers have a known length; Length must then agree with it.
	Length int64
	// Preflight overrides the Client's [PreflightPolicy] for this call.
	// The Resource forms preflight whenever the resource advertises the
	// Preflight mixin and this is PreflightAuto.
	Preflight PreflightMode
	// IfMatch is sent as if-match: the entity tag the resource must still
	// have (RFC 9110 §13.1.1). A bare tag is quoted. A mismatch fails with
	// *PreconditionFailedError, before any body byte when preflighted.
	IfMatch string
	// IfUnmodifiedSince is sent as if-unmodified-since when not zero.
	IfUnmodifiedSince time.Time
	// Force sends if-match: *, replacing whatever the resource holds but
	// failing if it does not exist (Entity mixin). It excludes IfMatch.
	Force bool
	// IdempotencyKey is sent as idempotency-key (quoted, as Level 3 writes
	// it). With one, a POST is retried like a PUT.
	IdempotencyKey string
	// Header holds further request headers.
	Header http.Header
	// Progress, when not nil, is called as the body goes out: at most every
	// 100ms, and once more when the whole body has been taken. It is called
	// from the transport's goroutine, so it must return quickly.
	Progress func(Progress)
	// FetchValidators sends a HEAD to the result's location when the answer
	// carried neither etag nor last-modified (as WebDAV servers do after a
	// PUT), to fill them in. A failing HEAD leaves them empty. The location
	// is the server's choice: the HEAD carries credentials only to the
	// origin of the upload's URL (or to origins allowed with
	// [WithCredentialOrigins]).
	FetchValidators bool
}

// UploadResult is the outcome of a successful upload.
type UploadResult struct {
	// Status is the final status: 201 for a new resource, 200 or 204 for a
	// replaced one, 202 when the server accepted it for later (Async).
	Status int
	// Location is the absolute URL of the resource now holding the bytes:
	// the location (else content-location) header, resolved against the
	// request URL; for a PUT that names none, the URL put to. Nil when a
	// POST's answer names none.
	Location *url.URL
	// ETag and LastModified are the new validators, when the server sent
	// them (or FetchValidators found them).
	ETag         string
	LastModified time.Time
	// Bytes is how many body bytes the last attempt sent: the length of
	// the body, unless the server answered before it had all of it.
	Bytes int64
	// Header is the whole response header.
	Header http.Header
}

// Upload sends body to the Upload resource at url by POST (the Upload
// profile: raw bytes with content-length, content-type and slug) and returns
// where the server put it. A body whose length is known is preflighted as
// the Client's [PreflightPolicy] says (by default from 1 MiB): a server that
// refuses it from the headers (413, 415, 411...) gets no body byte.
//
// Files (*os.File, from their current offset), io.ReadSeekers and byte readers
// are sent without buffering, and can be sent again for a retry or a 417;
// any other io.Reader is sent once, chunked unless opts.Length is set. The
// caller keeps ownership of body: Upload never closes it. A status of 400 or
// more is returned as its typed error ([*PayloadTooLargeError],
// [*UnsupportedMediaTypeError], [*LengthRequiredError]...). A regular file
// whose size or modification time is not the same after the upload as
// before fails with a [*SourceChangedError]. opts may be nil.
func (c *Client) Upload(ctx context.Context, url string, body io.Reader, opts *UploadOptions) (*UploadResult, error) {
	if err := c.check(ctx, "Client.Upload"); err != nil {
		return nil, err
	}
	res, _, err := c.upload(ctx, http.MethodPost, url, body, nameOf(body), opts)
	return res, err
}

// Put replaces the bytes of the Content resource at url with body by PUT,
// with the Entity conditions of opts (IfMatch, IfUnmodifiedSince, Force). It
// handles body as [Client.Upload] does; opts may be nil.
func (c *Client) Put(ctx context.Context, url string, body io.Reader, opts *UploadOptions) (*UploadResult, error) {
	if err := c.check(ctx, "Client.Put"); err != nil {
		return nil, err
	}
	res, _, err := c.upload(ctx, http.MethodPut, url, body, nameOf(body), opts)
	return res, err
}

// UploadFile is [Client.Upload] of the regular file at path, whose base name
// is the default slug. It opens and closes the file itself. Anything but a
// regular file (a named pipe, a device) fails at once with
// [ErrNotRegularFile]; a file that changes while it is sent, or is replaced
// under its name, fails with a [*SourceChangedError].
func (c *Client) UploadFile(ctx context.Context, url, path string, opts *UploadOptions) (*UploadResult, error) {
	if err := c.check(ctx, "Client.UploadFile"); err != nil {
		return nil, err
	}
	res, _, err := c.uploadFile(ctx, http.MethodPost, url, path, opts)
	return res, err
}

// PutFile is [Client.Put] of the regular file at path.
func (c *Client) PutFile(ctx context.Context, url, path string, opts *UploadOptions) (*UploadResult, error) {
	if err := c.check(ctx, "Client.PutFile"); err != nil {
		return nil, err
	}
	res, _, err := c.uploadFile(ctx, http.MethodPut, url, path, opts)
	return res, err
}

// Upload is [Client.Upload] to this resource, told by what it advertised:
// the body is preflighted whatever its size when the resource has the
// Preflight mixin (unless opts.Preflight says otherwise), and a POST carries
// a fresh idempotency key, so it can be retried, when the resource accepts
// one (idempotency-key: optional or required).
func (r *Resource) Upload(ctx context.Context, body io.Reader, opts *UploadOptions) (*UploadResult, error) {
	if _, err := r.requester(ctx, "Resource.Upload"); err != nil {
		return nil, err
	}
	o := r.advised(opts)
	if o.IdempotencyKey == "" && acceptsIdempotencyKey(r.IdempotencyKey) {
		o.IdempotencyKey = NewIdempotencyKey()
	}
	res, _, err := r.client.upload(r.scoped(ctx), http.MethodPost, r.URL.String(), body, nameOf(body), o)
	return res, err
}

// Put is [Client.Put] to this resource, told by what it advertised: the body
// is preflighted when the resource has the Preflight mixin, and, unless opts
// sets a condition or Force, the change is conditional on the validators seen
// at discovery (if-match with a strong etag, else if-unmodified-since), so it
// fails with [*PreconditionFailedError] if someone changed the resource since.
func (r *Resource) Put(ctx context.Context, body io.Reader, opts *UploadOptions) (*UploadResult, error) {
	if _, err := r.requester(ctx, "Resource.Put"); err != nil {
		return nil, err
	}
	o := r.advised(opts)
	if o.IfMatch == "" && o.IfUnmodifiedSince.IsZero() && !o.Force {
		switch {
		case r.ETag != "" && !r.Weak():
			o.IfMatch = r.ETag
		case !r.LastModified.IsZero():
			o.IfUnmodifiedSince = r.LastModified
		}
	}
	res, _, err := r.client.upload(r.scoped(ctx), http.MethodPut, r.URL.String(), body, nameOf(body), o)
	return res, err
}

// advised copies opts, forcing a preflight when the resource advertises the
// Preflight mixin and the caller left the choice to the Client.
func (r *Resource) advised(opts *UploadOptions) *UploadOptions {
	var o UploadOptions
	if opts != nil {
		o = *opts
	}
	if o.Preflight == PreflightAuto && r.Has(profiles.Preflight) {
		o.Preflight = PreflightAlways
	}
	return &o
}

// uploadFile opens path and uploads it; it also returns the bytes sent.
func (c *Client) uploadFile(ctx context.Context, method, url, path string, opts *UploadOptions) (*UploadResult, int64, error) {
	f, st, err := openUpload(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	return c.upload(ctx, method, url, &fileBody{f: f, path: path, info: st}, filepath.Base(path), opts)
}

// openUpload opens the regular file at path and stats it. Anything else
// (a named pipe, a device, a directory) is ErrNotRegularFile, found by
// stat before any open that could block or have effects.
func openUpload(path string) (*os.File, fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("level3: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, nil, notRegular("upload", path, st.Mode())
	}
	f, st, err := openRegular("upload", path, os.O_RDONLY, func(flag int) (*os.File, error) { return os.OpenFile(path, flag, 0) })
	if err != nil && !errors.Is(err, ErrNotRegularFile) {
		err = fmt.Errorf("level3: %w", err)
	}
	return f, st, err
}

// NewUploadRequest builds, without sending it, the request that UploadFile
// (method POST) or PutFile (method PUT) sends for the regular file at path:
// content-length, content-type, slug, the Entity conditions and headers of
// opts, and a body that can be replayed without buffering. Send it with
// [Client.DoAsync] to upload asynchronously (prefer: respond-async), or with
// [Client.Do]. The caller closes the returned file once the response has
// arrived; opts.Progress is not called for requests built this way.
func NewUploadRequest(ctx context.Context, method, url, path string, opts *UploadOptions) (*http.Request, io.Closer, error) {
	if ctx == nil {
		return nil, nil, misuse("NewUploadRequest", "nil Context")
	}
	f, st, err := openUpload(path)
	if err != nil {
		return nil, nil, err
	}
	body := &fileBody{f: f, path: path, info: st}
	var o UploadOptions
	if opts != nil {
		o = *opts
	}
	o.Progress = nil
	req, _, err := newUploadRequest(ctx, method, url, body, filepath.Base(path), &o)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return req, f, nil
}

// upload sends one upload request, for a body named name ("" if it has none),
// and reads the result. It also returns how many body bytes the last attempt
// sent, which bulk.go uses to judge whether a failed POST may be sent again.
func (c *Client) upload(ctx context.Context, method, target string, body io.Reader, name string, opts *UploadOptions) (*UploadResult, int64, error) {
	ctx = withCallOriginOf(ctx, target) // for FetchValidators' HEAD of the location the server chose
	var o UploadOptions
	if opts != nil {
		o = *opts
	}
	src := sourceOf(body)
	req, counter, err := newUploadRequest(ctx, method, target, body, name, &o)
	if err != nil {
		return nil, 0, err
	}
	resp, err := c.Do(req)
	sent := counter.sent.Load()
	if counter.uncounted && err == nil {
		sent = req.ContentLength // sent whole: the server answered
	}
	if err != nil {
		var lr *LengthRequiredError
		if errors.As(err, &lr) && req.ContentLength <= 0 && req.Body != nil && req.Body != http.NoBody {
			err = fmt.Errorf("level3: %s %s: the server requires content-length, and the body's length is unknown "+
				"(upload a file or an io.Seeker, or set UploadOptions.Length): %w", method, redactURL(req.URL), err)
		}
		if errors.Is(err, ErrSourceChanged) {
			return nil, sent, err // found when a retry reopened the file
		}
		return nil, sent, src.check(nil, err)
	}
	drainAndClose(resp.Body)
	res := uploadResult(resp, sent)
	if err := src.check(res, nil); err != nil {
		return nil, sent, err
	}
	if o.FetchValidators && res.ETag == "" && res.LastModified.IsZero() && res.Location != nil {
		if r, err := c.Discover(ctx, res.Location.String()); err == nil {
			res.ETag, res.LastModified = r.ETag, r.LastModified
		}
	}
	return res, sent, nil
}

// uploadResult reads the result of an upload from its response.
func uploadResult(resp *http.Response, sent int64) *UploadResult {
	res := &UploadResult{Status: resp.StatusCode, ETag: resp.Header.Get("Etag"), Bytes: sent, Header: resp.Header}
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		res.LastModified, _ = http.ParseTime(lm)
	}
	var base *url.URL
	if resp.Request != nil {
		base = resp.Request.URL
	}
	for _, name := range []string{"Location", "Content-Location"} {
		if v := resp.Header.Get(name); v != "" && base != nil {
			if u, err := base.Parse(v); err == nil {
				res.Location = u
				return res
			}
		}
	}
	if resp.Request != nil && resp.Request.Method == http.MethodPut {
		res.Location = base
	}
	return res
}
