// Package journal holds the journal of level3's bulk uploads
// (Client.UploadAll): a file of JSON lines, one per file uploaded, that lets
// a run cut short continue where it stopped. Parse reads it (and is fuzzed);
// a Journal appends to it, holding the file's lock (internal/localfile) for
// the whole run, so that two runs never share one. URLs are written
// redacted (internal/redact), and the file is private (0600). The lines'
// format is in this file; the open journal in open.go.
package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"time"

	"github.com/l3go/level3/internal/redact"
)

// Every line carries its kind and version, so that a journal is never
// confused with another file and a later format can be told apart.
const (
	Kind    = "level3.upload"
	Version = 1
)

// MaxLine bounds one line; longer lines are not entries.
const MaxLine = 64 << 10

// Mode is the mode of a journal: it names local files and where they went,
// which is nobody else's business.
const Mode fs.FileMode = 0o600

// Entry is one line of the journal: a file uploaded to a target. Its URLs
// are redacted (see Target).
type Entry struct {
	Kind     string    `json:"kind"`
	Version  int       `json:"version"`
	Target   string    `json:"target"`   // the target of UploadAll (for Put, the collection)
	File     string    `json:"file"`     // absolute path of the file
	Size     int64     `json:"size"`     // its size when uploaded
	ModTime  int64     `json:"mtime_ns"` // its modification time, Unix nanoseconds
	URL      string    `json:"url"`      // where it was sent
	Status   int       `json:"status"`   // the final status
	Location string    `json:"location,omitempty"`
	ETag     string    `json:"etag,omitempty"`
	Time     time.Time `json:"time"` // when it was recorded
}

// Key identifies a file as uploaded: same target (redacted), path, size
// and modification time. A file changed since is uploaded again.
type Key struct {
	Target, File  string
	Size, ModTime int64
}

// KeyOf returns the key of the file at abs, described by info, sent to
// target.
func KeyOf(target *url.URL, abs string, info fs.FileInfo) Key {
	return Key{Target: Target(target.String()), File: abs, Size: info.Size(), ModTime: info.ModTime().UnixNano()}
}

// Target returns the target of an entry as keys hold it: redacted, so that
// no credential is written to the journal. Entries written before journals
// were redacted are redacted as they are read, and still match. Targets
// that differ only in their credentials (a presigned URL signed again, say)
// are therefore the same target: the journal records where files went, not
// with which key.
func Target(target string) string { return redact.String(target) }

// ErrNotJournal is returned (wrapped) for a file that is not a journal.
var ErrNotJournal = errors.New("not a level3 upload journal")

// Parse reads a journal and returns the files it records. A last line
// without its newline is the trace of a run that was killed while writing,
// and is ignored (even if it parses: it was not finished); any other line
// that is not an entry of this kind and version fails the whole journal,
// so that a mistyped path never makes UploadAll append to (or trust) some
// other file. keep is the length of the journal up to the end of its last
// complete line: what is past it is the broken line, to be cut off before
// appending.
func Parse(r io.Reader) (done map[Key]struct{}, keep int64, err error) {
	done = make(map[Key]struct{})
	br := bufio.NewReaderSize(r, 64<<10)
	var off int64
	for lineNo := 1; ; lineNo++ {
		line, tooLong, err := readLine(br)
		if err == io.EOF {
			return done, keep, nil
		}
		if err != nil {
			return nil, 0, err
		}
		off += int64(len(line)) // tooLong lines are short by what was skipped, but never complete-and-good
		complete := bytes.HasSuffix(line, []byte("\n"))
		if complete {
			keep = off
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 && !tooLong {
			continue
		}
		if !complete {
			continue // the last line, cut short: it will be cut off
		}
		var e Entry
		bad := tooLong || json.Unmarshal(line, &e) != nil || e.Kind != Kind || e.File == "" || e.Target == ""
		switch {
		case bad:
			return nil, 0, fmt.Errorf("line %d: %w", lineNo, ErrNotJournal)
		case e.Version != Version:
			return nil, 0, fmt.Errorf("line %d: journal version %d, this program reads version %d", lineNo, e.Version, Version)
		}
		done[Key{Target: Target(e.Target), File: e.File, Size: e.Size, ModTime: e.ModTime}] = struct{}{}
	}
}

// readLine returns the next line with its newline (none at the end of the
// input). A line longer than MaxLine is returned empty but for its
// newline, with tooLong set. It returns io.EOF only when nothing is left.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong && len(line)+len(chunk) <= MaxLine {
			line = append(line, chunk...)
		} else {
			tooLong, line = true, line[:0]
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if tooLong && bytes.HasSuffix(chunk, []byte("\n")) {
			line = append(line, '\n')
		}
		if err == io.EOF {
			if len(line) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			err = nil
		}
		return line, tooLong, err
	}
}
