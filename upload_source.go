// This file holds the check that an upload's source file did not change
// while it was sent (upload.go sends it).

package level3

import "errors"

// ErrSourceChanged is matched (errors.Is) by every [*SourceChangedError].
var ErrSourceChanged = errors.New("level3: the file changed while it was uploaded")

// SourceChangedError is returned by an upload of a file ([Client.UploadFile],
// [Client.PutFile], [Client.UploadAll], or [Client.Upload] and [Client.Put]
// of an *os.File) whose size, modification time or identity (inode) was
// not the same after the upload as before: what the server stored may mix
// the old and the new content.
type SourceChangedError struct {
	Path   string // the file
	Reason string // what changed, e.g. "size 1000 → 1004"
	// Result is the server's answer when it accepted the upload (it holds
	// the Location of what may need replacing), else nil.
	Result *UploadResult
	// Err is the upload's own error, when it failed too, else nil.
	Err error
}

// Error reads "level3: PATH changed while it was uploaded (REASON)".
func (e *SourceChangedError) Error() string {
	msg := "level3: " + e.Path + " changed while it was uploaded (" + e.Reason + ")"
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the upload's own error, if any.
func (e *SourceChangedError) Unwrap() error { return e.Err }

// Is matches [ErrSourceChanged].
func (e *SourceChangedError) Is(target error) bool { return target == ErrSourceChanged }
