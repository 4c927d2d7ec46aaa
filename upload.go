// This file holds single uploads: Upload and UploadFile (POST to an Upload
// resource), Put and PutFile (replace a Content resource's bytes), their
// Resource forms, NewUploadRequest and the options; they return the Result
// of every change (change.go). The headers they send are worked out in
// uploadhdr.go, progress is counted in progress.go, the source file is
// watched by upload_source.go, and the preflight that guards large bodies
// is the pipeline layer in preflight.go. Many files at once: bulk.go.

package level3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/l3go/level3/internal/localfile"
	"github.com/l3go/level3/profiles"
)

// UploadOptions are the per-call options of [Client.Upload], [Client.Put],
// their File and [Resource] forms, and [NewUploadRequest]. A nil
// *UploadOptions means all defaults; so does the zero value of each field.
//
// The embedded [RequestOptions] carry what any request can: IfVersion (a
// conditional PUT: a mismatch fails with [*PreconditionFailedError], before
// any body byte when preflighted), Force (if-match: *, replacing whatever
// the resource holds but failing if it does not exist), IdempotencyKey (with
// one, a POST is retried like a PUT), Header, NoRetry. Header cannot
// replace the content-type and slug an upload sends: set ContentType and
// Slug.
type UploadOptions struct {
	RequestOptions

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
	// Preflight mixin and this is PreflightAuto (the zero value).
	Preflight PreflightMode
	// Progress, when not nil, is called as the body goes out: at most every
	// 100ms, and once more when the whole body has been taken. It is called
	// from the transport's goroutine, so it must return quickly. Nil: the
	// body is not counted, and a file can go by sendfile(2).
	Progress func(Progress)
	// FetchValidators sends a HEAD to the result's location when the answer
	// carried neither etag nor last-modified (as WebDAV servers do after a
	// PUT), to fill in [Result].Validators. A failing HEAD leaves them
	// empty. The location is the server's choice: the HEAD carries
	// credentials only to the origin of the upload's URL (or to origins
	// allowed with [WithCredentialOrigins]).
	FetchValidators bool
}

// Upload sends body to the Upload resource at url by POST (the Upload
// profile: raw bytes with content-length, content-type and slug) and returns
// where the server put it: [Result].Location, the new validators, and
// [Result].Sent, the body bytes sent. A body whose length is known is
// preflighted as the Client's [PreflightPolicy] says (by default from 1 MiB):
// a server that refuses it from the headers (413, 415, 411...) gets no body
// byte.
//
// Files (*os.File, from their current offset), io.ReadSeekers and byte readers
// are sent without buffering, and can be sent again for a retry or a 417;
// any other io.Reader is sent once, chunked unless opts.Length is set. The
// caller keeps ownership of body: Upload never closes it. A status of 400 or
// more is returned as its typed error ([*PayloadTooLargeError],
// [*UnsupportedMediaTypeError], [*LengthRequiredError]...). A regular file
// whose size or modification time is not the same after the upload as
// before fails with a [*SourceChangedError]. opts may be nil.
func (c *Client) Upload(ctx context.Context, url string, body io.Reader, opts *UploadOptions) (*Result, error) {
	if err := c.check(ctx, "Client.Upload"); err != nil {
		return nil, err
	}
	return c.upload(ctx, http.MethodPost, url, body, nameOf(body), opts)
}

// Put replaces the bytes of the Content resource at url with body by PUT,
// with the Entity conditions of opts (IfVersion, Force). It handles body as
// [Client.Upload] does; opts may be nil.
func (c *Client) Put(ctx context.Context, url string, body io.Reader, opts *UploadOptions) (*Result, error) {
	if err := c.check(ctx, "Client.Put"); err != nil {
		return nil, err
	}
	return c.upload(ctx, http.MethodPut, url, body, nameOf(body), opts)
}

// UploadFile is [Client.Upload] of the regular file at path, whose base name
// is the default slug. It opens and closes the file itself. Anything but a
// regular file (a named pipe, a device) fails at once with
// [ErrNotRegularFile]; a file that changes while it is sent, or is replaced
// under its name, fails with a [*SourceChangedError].
func (c *Client) UploadFile(ctx context.Context, url, path string, opts *UploadOptions) (*Result, error) {
	if err := c.check(ctx, "Client.UploadFile"); err != nil {
		return nil, err
	}
	res, _, err := c.uploadFile(ctx, http.MethodPost, url, path, opts)
	return res, err
}

// PutFile is [Client.Put] of the regular file at path.
func (c *Client) PutFile(ctx context.Context, url, path string, opts *UploadOptions) (*Result, error) {
	if err := c.check(ctx, "Client.PutFile"); err != nil {
		return nil, err
	}
	res, _, err := c.uploadFile(ctx, http.MethodPut, url, path, opts)
	return res, err
}

// Upload is [Client.Upload] to this resource, told by what it advertised:
// the body is preflighted whatever its size when the resource has the
// Preflight mixin (unless opts.Preflight says otherwise), and a POST carries
// a fresh idempotency key ([NewIdempotencyKey]), so it can be retried, when
// the resource accepts one (idempotency-key: optional or required).
func (r *Resource) Upload(ctx context.Context, body io.Reader, opts *UploadOptions) (*Result, error) {
	if _, err := r.requester(ctx, "Resource.Upload"); err != nil {
		return nil, err
	}
	o := r.advised(opts)
	if o.IdempotencyKey == "" && acceptsIdempotencyKey(r.IdempotencyKey) {
		o.IdempotencyKey = NewIdempotencyKey()
	}
	return r.client.upload(r.scoped(ctx), http.MethodPost, r.URL.String(), body, nameOf(body), o)
}

// Put is [Client.Put] to this resource, told by what it advertised: the body
// is preflighted when the resource has the Preflight mixin, and, unless opts
// sets IfVersion or Force, the change is conditional on the validators seen
// at discovery (if-match with a strong etag, else if-unmodified-since), so it
// fails with [*PreconditionFailedError] if someone changed the resource since.
// A resource seen with neither (or with a weak etag alone) is put
// unconditionally.
func (r *Resource) Put(ctx context.Context, body io.Reader, opts *UploadOptions) (*Result, error) {
	if _, err := r.requester(ctx, "Resource.Put"); err != nil {
		return nil, err
	}
	o := r.advised(opts)
	if o.IfVersion.IsZero() && !o.Force && (r.ETag != "" && !r.Weak() || !r.LastModified.IsZero()) {
		o.IfVersion = r.Validators
	}
	return r.client.upload(r.scoped(ctx), http.MethodPut, r.URL.String(), body, nameOf(body), o)
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

// uploadFile opens path and uploads it. It also returns the bytes the last
// attempt sent when the upload failed (and so has no Result), which bulk.go
// uses to judge whether a failed POST may be sent again.
func (c *Client) uploadFile(ctx context.Context, method, url, path string, opts *UploadOptions) (*Result, int64, error) {
	f, st, err := openUpload(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	return c.uploadSent(ctx, method, url, &fileBody{f: f, path: path, info: st}, filepath.Base(path), opts)
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
		return nil, nil, localfile.NotRegular("upload", path, st.Mode())
	}
	f, st, err := localfile.OpenRegular("upload", path, os.O_RDONLY, func(flag int) (*os.File, error) { return os.OpenFile(path, flag, 0) })
	if err != nil && !errors.Is(err, ErrNotRegularFile) {
		err = fmt.Errorf("level3: %w", err)
	}
	return f, st, err
}

// NewUploadRequest builds, without sending it, the request that UploadFile
// (method POST) or PutFile (method PUT) sends for the regular file at path:
// content-length, content-type, slug, the [RequestOptions] of opts (applied
// with [RequestOptions.Apply]), and a body that can be replayed without
// buffering. Send it with [Client.DoAsync] to upload asynchronously (prefer:
// respond-async), or with [Client.Do]. The caller closes the returned file
// once the response has arrived; opts.Progress is not called for requests
// built this way, and opts.FetchValidators is not done.
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
// and reads the result.
func (c *Client) upload(ctx context.Context, method, target string, body io.Reader, name string, opts *UploadOptions) (*Result, error) {
	res, _, err := c.uploadSent(ctx, method, target, body, name, opts)
	return res, err
}

// uploadSent is upload that also returns how many body bytes the last
// attempt sent (Result.Sent, when there is a Result).
func (c *Client) uploadSent(ctx context.Context, method, target string, body io.Reader, name string, opts *UploadOptions) (*Result, int64, error) {
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
	res, err := uploadResult(req, resp, sent)
	if err != nil {
		return nil, sent, src.check(nil, err)
	}
	if err := src.check(res, nil); err != nil {
		return nil, sent, err
	}
	if o.FetchValidators && res.Validators.IsZero() && res.Location != nil {
		if r, err := c.Discover(ctx, res.Location.String()); err == nil {
			res.Validators = r.Validators
		}
	}
	return res, sent, nil
}

// uploadResult reads the Result of an upload (req) from its response, as
// every change is read (readResult), with two differences: a PUT whose
// answer names no location is at the URL put to, and Sent is sent.
func uploadResult(req *http.Request, resp *http.Response, sent int64) (*Result, error) {
	res, err := readResult(req, resp)
	if err != nil {
		return nil, err
	}
	if res.Location == nil && res.URL != nil && req.Method == http.MethodPut {
		res.Location = res.URL
	}
	res.Sent = sent
	return res, nil
}
