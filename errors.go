// This file maps HTTP error statuses to typed errors. One function,
// CheckResponse, does the mapping; every status the Level 3 specification uses
// has its own type, and all of them unwrap to the shared *ResponseError.
// Problem details are decoded in problem.go; policy sentinels live here too.

package level3

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/l3go/level3/internal/journal"
	"github.com/l3go/level3/internal/localfile"
	"github.com/l3go/level3/internal/redact"
)

// maxErrorBody is how much of an error response body is read, whatever the
// server sends: enough for any problem document, bounded against a hostile one.
const maxErrorBody = 64 << 10

// maxDrain is how much more of an unread body is discarded before closing it, so
// the connection can be reused without reading an unbounded stream.
const maxDrain = 256 << 10

// drainWait bounds the time spent discarding an unread body (see
// drainAndClose): a server that sends slowly, or not at all, costs a
// connection, not the caller's time.
const drainWait = time.Second

// errorBodyWait bounds the time spent reading and then draining the body of
// an error response (see newResponseError): long enough for a problem
// document, which comes with the header, bounded against a server that
// drips it.
const errorBodyWait = 2 * time.Second

// ResponseError is the error for a response with status 400 or above. Every
// typed error in this package (such as [*ConflictError]) wraps one, so
//
//	var re *level3.ResponseError
//	errors.As(err, &re)
//
// finds it whatever the status. The response body has been read (at most
// 64 KiB, for at most 2 seconds) and closed.
type ResponseError struct {
	StatusCode int           // e.g. 409
	Status     string        // e.g. "409 Conflict"
	Method     string        // method of the request that failed
	URL        string        // URL of the request that failed, with secrets removed
	Header     http.Header   // response header
	Problem    *Problem      // RFC 9457 problem details, when the body had them
	Body       []byte        // the first 64 KiB of the body at most (what came within 2 s)
	RetryAfter time.Duration // from Retry-After (seconds or HTTP-date); 0 if absent
	Attempts   int           // how many times the request was sent (1 without retries)
}

// Error reads "level3: METHOD URL: STATUS: problem title (detail)". A title
// that only repeats the status's reason phrase, as many servers send
// ("412 Precondition Failed" with title "Precondition Failed"), is left out:
// "level3: METHOD URL: STATUS (detail)".
func (e *ResponseError) Error() string {
	var b strings.Builder
	b.WriteString("level3: ")
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.URL)
	b.WriteString(": ")
	b.WriteString(e.Status)
	switch {
	case e.Problem != nil && (e.Problem.Title != "" || e.Problem.Detail != ""):
		if e.Problem.Title != "" && !e.repeatsStatus(e.Problem.Title) {
			b.WriteString(": ")
			b.WriteString(e.Problem.Title)
		}
		if e.Problem.Detail != "" {
			b.WriteString(" (")
			b.WriteString(e.Problem.Detail)
			b.WriteByte(')')
		}
	case len(e.Body) > 0 && isTextual(e.Header.Get("Content-Type")):
		b.WriteString(": ")
		b.WriteString(snippet(e.Body, 200))
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// repeatsStatus reports whether title says no more than the reason phrase of
// e.Status (or, without one, the standard text of e.StatusCode), ignoring
// case and surrounding space.
func (e *ResponseError) repeatsStatus(title string) bool {
	_, reason, _ := strings.Cut(e.Status, " ")
	if strings.TrimSpace(reason) == "" {
		reason = http.StatusText(e.StatusCode)
	}
	return strings.EqualFold(strings.TrimSpace(title), strings.TrimSpace(reason))
}

// Typed errors, one per status the Level 3 specification gives a meaning.
// Each embeds ResponseError, so its fields read directly (err.Problem), and
// unwraps to it, so errors.As finds both the specific and the shared type.
type (
	// BadRequestError is 400: the message is malformed (or a required
	// idempotency key is missing).
	BadRequestError struct{ ResponseError }
	// UnauthorizedError is 401: credentials are missing or wrong.
	UnauthorizedError struct{ ResponseError }
	// ForbiddenError is 403: a business rule refuses the request (later draft),
	// or access is denied.
	ForbiddenError struct{ ResponseError }
	// NotFoundError is 404: no such resource, or a Lookup found no match.
	NotFoundError struct{ ResponseError }
	// GoneError is 410: the resource existed and was removed.
	GoneError struct{ ResponseError }
	// ConflictError is 409: a business rule failure (older draft), a patch that
	// cannot apply, an idempotency key still being processed, or content that
	// changed under a fail-fast range request.
	ConflictError struct{ ResponseError }
	// LengthRequiredError is 411: the request needs a content-length.
	LengthRequiredError struct{ ResponseError }
	// PreconditionFailedError is 412: the resource changed since the
	// validators (etag, last-modified) were read. Re-fetch and redo.
	PreconditionFailedError struct{ ResponseError }
	// PayloadTooLargeError is 413: the body is larger than the server accepts.
	PayloadTooLargeError struct{ ResponseError }
	// UnsupportedMediaTypeError is 415: the content-type is not accepted.
	UnsupportedMediaTypeError struct{ ResponseError }
	// RangeNotSatisfiableError is 416: the range starts past the end of the
	// content. The content-range header (bytes */TOTAL) gives the length.
	RangeNotSatisfiableError struct{ ResponseError }
	// ExpectationFailedError is 417: the server cannot preflight
	// (expect: 100-continue) but will take the full request.
	ExpectationFailedError struct{ ResponseError }
	// UnprocessableEntityError is 422: well-formed but semantically wrong, or a
	// body that differs from the first submission with the same idempotency key.
	UnprocessableEntityError struct{ ResponseError }
	// PreconditionRequiredError is 428: the server demands a conditional
	// request (if-match) or, for PATCH, a content-type.
	PreconditionRequiredError struct{ ResponseError }
	// TooManyRequestsError is 429: rate limited; RetryAfter says for how long.
	TooManyRequestsError struct{ ResponseError }
	// ServerError is any 5xx status.
	ServerError struct{ ResponseError }
)

// Unwrap returns the shared *ResponseError.
func (e *BadRequestError) Unwrap() error { return &e.ResponseError }

// Unwrap returns the shared *ResponseError.
func (e *UnauthorizedError) Unwrap() error { return &e.ResponseError }

// Unwrap returns the shared *ResponseError.
func (e *ForbiddenError) Unwrap() error { return &e.ResponseError }

// Unwrap returns the shared *ResponseError.
func (e *NotFoundError) Unwrap() error { return &e.ResponseError }

// Unwrap returns the shared *ResponseError.
func (e *GoneError) Unwrap() error { return &e.ResponseError }

// Unwrap returns the shared *ResponseError.
func (e *ConflictError) Unwrap() error { return &e.ResponseError }

// Unwrap returns the shared *ResponseError.
func (e *LengthRequiredError) Unwrap() error { return &e.ResponseError }

// Unwrap returns the shared *ResponseError.
func (e *PreconditionFailedError) Unwrap() error { return &e.ResponseError }

// Unwrap returns the shared *ResponseError.
func (e *PayloadTooLargeError) Unwrap() error { return &e.ResponseError }

// Unwrap returns the shared *ResponseError.
func (e *UnsupportedMediaTypeError) Unwrap() error { return &e.ResponseError }

// Unwrap returns the shared *ResponseError.
func (e *RangeNotSatisfiableError) Unwrap() error { return &e.ResponseError }

// Unwrap returns the shared *ResponseError.
func (e *ExpectationFailedError) Unwrap() error { return &e.ResponseError }

// Unwrap returns the shared *ResponseError.
func (e *UnprocessableEntityError) Unwrap() error { return &e.ResponseError }

// Unwrap returns the shared *ResponseError.
func (e *PreconditionRequiredError) Unwrap() error { return &e.ResponseError }

// Unwrap returns the shared *ResponseError.
func (e *TooManyRequestsError) Unwrap() error { return &e.ResponseError }

// Unwrap returns the shared *ResponseError.
func (e *ServerError) Unwrap() error { return &e.ResponseError }

// CheckResponse returns nil for a status below 400. Otherwise it reads at most
// 64 KiB of the body, for at most 2 seconds, closes it, and returns the typed
// error for the status: [*ConflictError] for 409, [*ServerError] for any 5xx,
// and the plain [*ResponseError] for statuses without a type of their own.
// The Client calls it on every response; it is exported for code that sends
// requests with its own *http.Client. The time bound is kept by closing the
// body while a Read may be in progress, which the bodies of net/http allow;
// a body of another kind must allow it too.
func CheckResponse(resp *http.Response) error {
	if resp == nil {
		return misuse("CheckResponse", "nil *http.Response")
	}
	if resp.StatusCode < 400 {
		return nil
	}
	base := newResponseError(resp)
	return typed(base)
}

// newResponseError consumes and closes the body of resp, within
// errorBodyWait.
func newResponseError(resp *http.Response) ResponseError {
	e := ResponseError{
		StatusCode: resp.StatusCode,
		Status:     resp.Status,
		Header:     resp.Header,
		Attempts:   1,
	}
	// Responses built by hand (tests, middleware) may carry only the
	// reason phrase, or nothing; messages always start with the code.
	if code := strconv.Itoa(resp.StatusCode); !strings.HasPrefix(e.Status, code) {
		e.Status = strings.TrimSpace(code + " " + http.StatusText(resp.StatusCode))
	}
	if req := resp.Request; req != nil {
		e.Method = req.Method
		if e.Method == "" {
			e.Method = http.MethodGet
		}
		e.URL = redactURL(req.URL)
	}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		e.RetryAfter = d
	}
	if resp.Body != nil {
		// A slow, truncated or failing body still leaves a useful error: keep
		// what arrived in time and ignore the read error.
		closeNow := closeAfter(resp.Body, errorBodyWait)
		e.Body, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		closeNow()
	}
	if len(e.Body) > 0 && (isProblemJSON(resp.Header.Get("Content-Type")) || looksLikeProblem(e.Body)) {
		e.Problem = decodeProblem(e.Body)
	}
	return e
}

// looksLikeProblem accepts a JSON body that is served as plain application/json
// but carries the problem members; servers often forget the media type.
func looksLikeProblem(body []byte) bool {
	head := body[:min(len(body), 4096)]
	return len(head) > 0 && head[0] == '{' &&
		(bytes.Contains(head, []byte(`"title"`)) || bytes.Contains(head, []byte(`"type"`)))
}

// typed wraps base in the error type for its status.
func typed(base ResponseError) error {
	switch code := base.StatusCode; {
	case code == http.StatusBadRequest:
		return &BadRequestError{base}
	case code == http.StatusUnauthorized:
		return &UnauthorizedError{base}
	case code == http.StatusForbidden:
		return &ForbiddenError{base}
	case code == http.StatusNotFound:
		return &NotFoundError{base}
	case code == http.StatusConflict:
		return &ConflictError{base}
	case code == http.StatusGone:
		return &GoneError{base}
	case code == http.StatusLengthRequired:
		return &LengthRequiredError{base}
	case code == http.StatusPreconditionFailed:
		return &PreconditionFailedError{base}
	case code == http.StatusRequestEntityTooLarge:
		return &PayloadTooLargeError{base}
	case code == http.StatusUnsupportedMediaType:
		return &UnsupportedMediaTypeError{base}
	case code == http.StatusRequestedRangeNotSatisfiable:
		return &RangeNotSatisfiableError{base}
	case code == http.StatusExpectationFailed:
		return &ExpectationFailedError{base}
	case code == http.StatusUnprocessableEntity:
		return &UnprocessableEntityError{base}
	case code == http.StatusPreconditionRequired:
		return &PreconditionRequiredError{base}
	case code == http.StatusTooManyRequests:
		return &TooManyRequestsError{base}
	case code >= 500 && code <= 599:
		return &ServerError{base}
	default:
		return &base
	}
}

// drainAndClose discards what is left of a body the caller does not get, at
// most maxDrain bytes for at most drainWait, so the connection can be reused,
// then closes it. Every such body (redirects, polls, probes, discovery) goes
// through it.
func drainAndClose(body io.ReadCloser) {
	closeNow := closeAfter(body, drainWait)
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	closeNow()
}

// closeAfter closes body once d has passed, which ends a Read stuck on a
// server that sends slowly or not at all: the bodies of net/http, over
// HTTP/1 and HTTP/2, may be closed while a Read is in progress. closeNow
// stops the timer and closes body if the timer has not; body is closed
// once.
func closeAfter(body io.Closer, d time.Duration) (closeNow func()) {
	var once sync.Once
	closeBody := func() { once.Do(func() { _ = body.Close() }) }
	t := time.AfterFunc(d, closeBody)
	return func() {
		t.Stop()
		closeBody()
	}
}

// redactURL returns u as a string with its credentials hidden, as
// internal/redact says (the one place that knows what they look like).
func redactURL(u *url.URL) string { return redact.URL(u) }

// isTextual reports whether a body of this content type is worth quoting in
// an error message.
func isTextual(contentType string) bool {
	ct := strings.ToLower(contentType)
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || strings.Contains(ct, "xml")
}

// snippet returns at most n bytes of b as a single line of valid UTF-8.
func snippet(b []byte, n int) string {
	cut := len(b) > n
	if cut {
		b = b[:n]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
	}
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	if cut {
		s += "…"
	}
	return s
}

// The sentinel errors of the package, matched with errors.Is. Each is
// returned wrapped, with what it is about; typed errors for statuses are in
// the types above.
var (
	// Misuse and requests.

	// ErrInvalidUse is wrapped by the error that every exported function and
	// method of this package returns, instead of panicking, when it is called in
	// a way that can never work:
	//
	//   - a nil context.Context (net/http's "nil Context" error is the model);
	//   - a nil *Client, or a Client not made by [New] (its zero value is not
	//     usable: make one with New);
	//   - a nil or zero-value *Poller (get one from [Client.DoAsync],
	//     [Client.SendAsync] or [Client.ResumePoller]);
	//   - a Resource that no Client made, asked to make requests (use
	//     [Client.Discover]);
	//   - a nil required argument, such as the request of [Client.Do] or the
	//     response of [CheckResponse].
	//
	// Nothing is sent in these cases. The error reports a bug in the calling
	// code; match it with errors.Is.
	ErrInvalidUse = errors.New("level3: invalid use")

	// ErrBodyNotReplayable is returned (wrapped) when a request would have to be
	// sent again (a retry or a redirect) but its body can be read only once. Give
	// the request a GetBody function, or build it with [NewRequest] from a file or
	// an [io.ReadSeeker].
	ErrBodyNotReplayable = errors.New("level3: request body cannot be replayed")

	// ErrResponseTooLarge is returned (wrapped) when a body that a helper reads
	// into memory is longer than [MaxResultBody].
	ErrResponseTooLarge = errors.New("level3: response body too large to read into memory")

	// ErrNoValidator is returned (wrapped) when a conditional request is asked
	// for but there is nothing to make it conditional on: no strong entity tag
	// (a weak one never satisfies If-Match, RFC 9110 §13.1.1) and no
	// last-modified date.
	ErrNoValidator = errors.New("level3: no validator to make the request conditional")

	// ErrNoLocation is returned (wrapped) when a 303 See Other (or another answer
	// that must name a URL) comes without a usable location header.
	ErrNoLocation = errors.New("level3: the response names no location")

	// ErrPatchFormat is returned (wrapped in a [*PatchFormatError]) when the
	// server accepts none of the patch formats the caller can provide.
	ErrPatchFormat = errors.New("level3: the server accepts none of the patch formats offered")

	// ErrStalled is returned (wrapped) when the server sent nothing for the
	// stall timeout: no response within it (see [WithStallWatch]), or no byte
	// of a body for that long (the body's Read fails with it; downloads report
	// it for their own stall timeout, [DownloadOptions].StallTimeout, before they resume).
	// Its message is "no data received within the stall timeout", followed by
	// the timeout.
	ErrStalled = errors.New("no data received within the stall timeout")

	// Links and pages.

	// ErrNoLink is returned (wrapped) by [Resource.Follow] when the resource has
	// no link with the relation asked for.
	ErrNoLink = errors.New("level3: no link with that relation")

	// ErrLinkLimit is the cause of the [*LinkError] that [ParseLinks] reports
	// when a `link` header holds more link-values, or a link-value more relation
	// types or parameters, than it keeps. Errors wrapping it come with the links
	// that were kept.
	ErrLinkLimit = errors.New("level3: link header exceeds a limit")

	// ErrPageLoop is returned (wrapped) when a page's next link leads back
	// to a page already visited.
	ErrPageLoop = errors.New("level3: the next link leads back to a page already visited")

	// ErrTooManyPages is returned (wrapped) after MaxPages pages.
	ErrTooManyPages = errors.New("level3: too many pages")

	// Redirects (in a *RedirectError).

	// ErrTooManyRedirects: the chain is longer than RedirectPolicy.MaxRedirects.
	ErrTooManyRedirects = errors.New("level3: too many redirects")

	// ErrRedirectLoop: the chain leads back to a request already made in it.
	ErrRedirectLoop = errors.New("level3: redirect loop")

	// ErrInsecureRedirect: a redirect from https to http, without
	// RedirectPolicy.AllowDowngrade.
	ErrInsecureRedirect = errors.New("level3: redirect from https to http refused")

	// ErrCrossOriginRedirect: a redirect to another origin, under
	// RefuseCrossOrigin.
	ErrCrossOriginRedirect = errors.New("level3: redirect to another origin refused")

	// ErrBadLocation: the Location header is not a valid http or https URL.
	ErrBadLocation = errors.New("level3: redirect location is not an http or https URL")

	// Uploads.

	// ErrNoPreflight is returned (wrapped) by [Client.Preflight] when the server
	// does not preflight: it answered 417 Expectation Failed, said nothing within
	// the wait, or gave a final answer that is not an error.
	ErrNoPreflight = errors.New("level3: the server does not preflight (expect: 100-continue)")

	// ErrSourceChanged is matched (errors.Is) by every [*SourceChangedError].
	ErrSourceChanged = errors.New("level3: the file changed while it was uploaded")

	// ErrNotRegularFile is returned, in an [*fs.PathError] naming the file,
	// when a file that must be a regular one is a named pipe, a device, a
	// socket, a directory or (for the files a download keeps beside its
	// destination) a symbolic link. Nothing is opened that could block.
	ErrNotRegularFile = localfile.ErrNotRegular

	// ErrBulkFailed is returned (wrapped) by [Client.UploadAll] when at least one
	// file failed; each file's own error is in its [FileResult].
	ErrBulkFailed = errors.New("level3: some files were not uploaded")

	// ErrJournalBusy is returned (wrapped) by [Client.UploadAll] when another
	// run, in this process or another, has the journal open: two runs on one
	// journal would upload the same files twice. The second run is refused at
	// once rather than made to wait; wait for the first to end (errors.Is tells
	// this case apart) and start it again, or give it another journal.
	ErrJournalBusy = journal.ErrBusy

	// Downloads.

	// ErrFileExists is returned by [Client.Download], in an [*fs.PathError]
	// naming the file, when [DownloadOptions].Overwrite was not set and the
	// destination file exists, or NAME.part exists with data but without
	// the sidecar of a download (browsers name their partial files so too).
	ErrFileExists = errors.New("level3: the destination file exists (DownloadOptions.Overwrite replaces it)")

	// ErrDownloadBusy is returned (wrapped) when another download, in this
	// process or another, is writing the same partial file.
	ErrDownloadBusy = errors.New("level3: another download is writing this partial file")

	// ErrTooManyRestarts is returned (wrapped, together with the last
	// failure) when a download was cut off or started over more times in a
	// row than [DownloadOptions].Restarts allows without receiving a new byte; also
	// when a server keeps contradicting itself about the length.
	ErrTooManyRestarts = errors.New("level3: download restarted too many times without progress")

	// ErrUnexpectedResponse is returned (wrapped) for a response that the
	// HTTP range protocol does not allow at that point: 206 to a request
	// without range, 304 to an unconditional request, a body longer than
	// announced, ranges that stay inconsistent after starting over.
	ErrUnexpectedResponse = errors.New("level3: unexpected response to a download request")

	// ErrContentChanged is matched (errors.Is) by every [*ContentChangedError].
	ErrContentChanged = errors.New("level3: content changed on the server")

	// Asynchronous operations.

	// ErrPollerNotDone is returned by [Poller.Result] before the operation has
	// finished.
	ErrPollerNotDone = errors.New("level3: the operation has not finished")

	// ErrPollerDone is returned (wrapped) by [Poller.ResumeToken] once the
	// operation has finished: there is nothing left to resume.
	ErrPollerDone = errors.New("level3: the operation has finished")

	// ErrNotObservable is returned (wrapped) when the outcome of an asynchronous
	// operation cannot be observed: a 202 answer to POST without a location, a
	// PUT or PATCH on a resource that sends neither etag nor last-modified, or a
	// poll answer that no longer carries them. The Async mixin gives no other
	// status channel (see the Async row of the Level 3 specification).
	ErrNotObservable = errors.New("level3: the outcome of the asynchronous operation cannot be observed")

	// ErrInvalidResumeToken is returned (wrapped, with the reason) by
	// [Client.ResumePoller] for a token that is malformed, was made by an
	// incompatible version of this package, or names an unknown kind of
	// operation.
	ErrInvalidResumeToken = errors.New("level3: invalid resume token")
)
