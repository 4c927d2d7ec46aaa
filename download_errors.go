// This file holds the errors a download returns besides the Client's typed
// status errors (errors.go): sentinels for policy stops and types for a
// changed content and a wrong checksum. The download is in download.go.

package level3

import (
	"errors"
	"fmt"
)

var (
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
)

// ContentChangedError is returned by a fail-fast download ([DownloadOptions].FailFast)
// when the server's content is no longer the version the partial file holds.
// errors.Is(err, [ErrContentChanged]) matches it, and errors.As finds the
// server's typed error (a [*ConflictError] for 409 from a Level 3 server, a
// [*PreconditionFailedError] for 412 from a generic one) when there was one.
type ContentChangedError struct {
	URL string // the download's URL, with secrets removed
	// PartialKept is true when the partial file and its state were left in
	// place ([DownloadOptions].KeepPartialOnChange), false when they were removed.
	PartialKept bool
	// Reason says how the change showed, e.g. "409 to a fail-fast range
	// request" or "206 with another entity tag".
	Reason string
	// Err is the server's typed error, or nil when the change showed in a
	// successful response.
	Err error
}

// Error reads "level3: download URL: content changed on the server (REASON)".
func (e *ContentChangedError) Error() string {
	msg := "level3: download " + e.URL + ": content changed on the server since the partial download (" + e.Reason + ")"
	if e.PartialKept {
		return msg + "; partial file kept"
	}
	return msg + "; partial file removed, download again to start over"
}

// Unwrap returns the server's typed error, if any.
func (e *ContentChangedError) Unwrap() error { return e.Err }

// Is matches [ErrContentChanged].
func (e *ContentChangedError) Is(target error) bool { return target == ErrContentChanged }

// ChecksumError is returned when the downloaded content does not have the
// digest given as [DownloadOptions].SHA256. The partial file has been removed.
type ChecksumError struct {
	Path      string // the file that would have been written
	Algorithm string // "sha256"
	Want, Got string // hexadecimal digests
}

// Error reads "level3: PATH: sha256 mismatch: got X, want Y".
func (e *ChecksumError) Error() string {
	return fmt.Sprintf("level3: %s: %s mismatch: got %s, want %s", e.Path, e.Algorithm, e.Got, e.Want)
}
