// This file holds the errors a download returns besides the Client's typed
// status errors (errors.go): sentinels for policy stops and types for a
// changed content and a wrong checksum. The download is in download.go.

package level3

import (
	"errors"
	"fmt"
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

// errNotDirectory is the error of a download whose destination directory
// is not one.
var errNotDirectory = errors.New("level3: not a directory")
