// This file builds upload requests: the body made replayable (body.go) and
// counted (progress.go), and the headers worked out by small pure functions:
// content type (detectContentType, sniff) and slug (encodeSlug); the
// RequestOptions (conditions, idempotency key, headers) are put on by
// RequestOptions.Apply. upload.go sends the requests.

package level3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// sniffLen is how much of a body content-type detection reads, as
// http.DetectContentType does.
const sniffLen = 512

// newUploadRequest builds the request of one upload of a body named name: a
// replayable body (NewRequest), the RequestOptions of o (Apply: conditions,
// idempotency key, the caller's headers), then content-type and slug, the
// body counted for progress, and the per-call preflight mode in the
// context.
func newUploadRequest(ctx context.Context, method, target string, body io.Reader, name string, o *UploadOptions) (*http.Request, *sendCounter, error) {
	if err := checkUploadOptions(o); err != nil {
		return nil, nil, err
	}
	if body == nil {
		body = http.NoBody
	}
	file, isFile := body.(*fileBody)
	if isFile {
		body = io.NewSectionReader(file.f, 0, file.info.Size())
	}
	if o.Slug != "" {
		name = o.Slug
	}
	contentType := o.ContentType
	if contentType == "" {
		contentType = detectContentType(name, nil)
		if contentType == "" && body == http.NoBody {
			contentType = "application/octet-stream"
		}
		if contentType == "" {
			// Refuse bad options before reading a byte of the body.
			if err := o.RequestOptions.setHeaders(make(http.Header)); err != nil {
				return nil, nil, err
			}
			head, replacement, err := sniff(body)
			if err != nil {
				return nil, nil, fmt.Errorf("level3: reading the body to detect its content type: %w", err)
			}
			body = replacement
			contentType = detectContentType("", head)
		}
	}
	if o.Preflight != PreflightAuto {
		ctx = context.WithValue(ctx, preflightModeKey{}, o.Preflight)
	}
	// Only an unkeyed POST needs to know how many bytes left (bulk.go's
	// retry rule), and only a progress callback needs to see them go.
	direct := isFile && o.Progress == nil && (method != http.MethodPost || o.IdempotencyKey != "")
	var req *http.Request
	var err error
	if direct {
		req, err = file.request(ctx, method, target)
	} else {
		req, err = NewRequest(ctx, method, target, body)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("level3: %w", err)
	}
	// The caller's options first, on a request that has no header yet (the
	// copy Apply makes is then cheap): the upload's own headers below win.
	if req, err = o.RequestOptions.Apply(req); err != nil {
		return nil, nil, err
	}
	hasBody := req.Body != nil && req.Body != http.NoBody
	switch {
	case o.Length > 0 && hasBody && req.ContentLength == 0:
		req.ContentLength = o.Length
	case o.Length > 0 && req.ContentLength != o.Length:
		return nil, nil, fmt.Errorf("level3: UploadOptions.Length is %d but the body has %d bytes", o.Length, req.ContentLength)
	}
	req.Header.Set("Content-Type", contentType)
	if method == http.MethodPost && !o.NoSlug && name != "" {
		req.Header.Set("Slug", encodeSlug(name))
	}

	total := req.ContentLength
	if hasBody && total == 0 {
		total = -1
	}
	counter := &sendCounter{total: total, fn: o.Progress, uncounted: direct}
	if hasBody && !direct {
		req.Body = counter.wrap(req.Body)
		req.GetBody = counter.wrapGetBody(req.GetBody)
	}
	return req, counter, nil
}

// fileBody is a regular file uploaded by path (UploadFile, PutFile,
// UploadAll), opened and stat'ed by the caller, not yet read.
type fileBody struct {
	f    *os.File
	path string
	info fs.FileInfo
}

// Read makes fileBody an io.Reader; newUploadRequest never reads it as such.
func (b *fileBody) Read(p []byte) (int, error) { return b.f.Read(p) }

// request returns a request whose body is the file itself, which net/http
// sends with sendfile(2) (unless the preflight layer holds it behind a
// gate), and which the transport closes. Every further attempt opens the file
// anew, so an abandoned attempt cannot disturb the next one; a file replaced
// or resized meanwhile fails the attempt rather than sending other bytes.
func (b *fileBody) request(ctx context.Context, method, target string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil || b.info.Size() == 0 {
		return req, err
	}
	req.Body, req.ContentLength = b.f, b.info.Size()
	req.GetBody = func() (io.ReadCloser, error) {
		f, st, err := openUpload(b.path)
		if err != nil {
			return nil, err
		}
		if reason := sourceChange(b.info, st); reason != "" {
			f.Close()
			return nil, &SourceChangedError{Path: b.path, Reason: reason}
		}
		return f, nil
	}
	return req, nil
}

// checkUploadOptions rejects the upload fields of o that cannot be sent;
// its RequestOptions are checked by Apply.
func checkUploadOptions(o *UploadOptions) error {
	switch {
	case o.Length < 0:
		return fmt.Errorf("level3: UploadOptions.Length is negative")
	case o.Preflight < PreflightAuto || o.Preflight > PreflightNever:
		return fmt.Errorf("level3: UploadOptions.Preflight %d is not a PreflightMode", int(o.Preflight))
	case !validHeaderValue(o.ContentType):
		return fmt.Errorf("level3: UploadOptions.ContentType %q has control characters", o.ContentType)
	}
	if o.ContentType != "" {
		if _, _, err := mime.ParseMediaType(o.ContentType); err != nil {
			return fmt.Errorf("level3: UploadOptions.ContentType %q: %w", o.ContentType, err)
		}
	}
	return nil
}

// nameOf returns the base name of a body that has one (an *os.File), or "".
func nameOf(body io.Reader) string {
	if f, ok := body.(interface{ Name() string }); ok {
		if n := filepath.Base(f.Name()); n != "." && n != string(filepath.Separator) {
			return n
		}
	}
	return ""
}

// detectContentType returns the media type of a body named name whose first
// bytes are head: from the name's extension when it has a known one, else
// from the bytes (http.DetectContentType), else "" when there are no bytes to
// look at. A name without a known extension and no bytes gives "".
func detectContentType(name string, head []byte) string {
	if ext := path.Ext(name); ext != "" {
		if t := mime.TypeByExtension(ext); t != "" {
			return t
		}
	}
	if head == nil {
		return ""
	}
	return http.DetectContentType(head)
}

// sniff returns the first bytes of body without losing them, and the reader
// to send in body's place. A regular file, an io.ReaderAt or an io.Seeker
// is read in place and returned as it is; any other reader is returned
// behind the bytes read from it. Only sniffLen bytes are ever held.
func sniff(body io.Reader) ([]byte, io.Reader, error) {
	buf := make([]byte, sniffLen)
	if f, ok := body.(*os.File); ok {
		if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
			n, err := io.ReadFull(f, buf)
			if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
				return nil, nil, err
			}
			return buf[:n], io.MultiReader(bytes.NewReader(buf[:n]), f), nil
		}
	}
	type readSeekerAt interface {
		io.ReaderAt
		io.Seeker
	}
	switch b := body.(type) {
	case readSeekerAt:
		off, err := b.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, nil, err
		}
		n, err := b.ReadAt(buf, off)
		if err != nil && err != io.EOF {
			return nil, nil, err
		}
		return buf[:n], body, nil
	case io.ReadSeeker:
		off, err := b.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, nil, err
		}
		n, err := io.ReadFull(b, buf)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return nil, nil, err
		}
		if _, err := b.Seek(off, io.SeekStart); err != nil {
			return nil, nil, err
		}
		return buf[:n], body, nil
	case *bytes.Buffer:
		return b.Bytes()[:min(b.Len(), sniffLen)], body, nil
	}
	n, err := io.ReadFull(body, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, nil, err
	}
	return buf[:n], io.MultiReader(bytes.NewReader(buf[:n]), body), nil
}

// encodeSlug encodes name for the slug header of RFC 5023 §9.7: printable
// ASCII stays as it is, except "%"; every other byte of its UTF-8 encoding is
// percent-encoded, as are spaces at either end (which header parsing would
// drop). Servers decode it with percent-decoding. Invalid UTF-8 is encoded
// byte by byte, so no name is refused.
func encodeSlug(name string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		edgeSpace := c == ' ' && (i == 0 || i == len(name)-1)
		if c >= 0x20 && c <= 0x7e && c != '%' && !edgeSpace {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
	return b.String()
}

// acceptsIdempotencyKey reports whether a resource's idempotency-key header
// ("optional" or "required") says it takes one.
func acceptsIdempotencyKey(v string) bool {
	return strings.EqualFold(v, "optional") || strings.EqualFold(v, "required")
}
