// This file holds the journal of Client.UploadAll (bulk.go): a file of JSON
// lines, one per file uploaded, that lets a run cut short continue where it
// stopped. parseJournal reads it (and is fuzzed); journal appends to it.

package level3

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Every journal line carries its kind and version, so that a journal is never
// confused with another file and a later format can be told apart.
const (
	journalKind    = "level3.upload"
	journalVersion = 1
)

// maxJournalLine bounds one journal line; longer lines are not entries.
const maxJournalLine = 64 << 10

// journalEntry is one line of the journal: a file uploaded to a target.
type journalEntry struct {
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

// journalKey identifies a file as uploaded: same target, path, size and
// modification time. A file changed since is uploaded again.
type journalKey struct {
	target, file string
	size, mtime  int64
}

// errNotJournal is returned (wrapped) for a file that is not a journal.
var errNotJournal = errors.New("not a level3 upload journal")

// parseJournal reads a journal and returns the files it records. A last
// line without its newline is the trace of a run that was killed while
// writing, and is ignored (even if it parses: it was not finished); any other line that is not an entry of this kind
// and version fails the whole journal, so that a mistyped path never makes
// UploadAll append to (or trust) some other file. keep is the length of the
// journal up to the end of its last complete line: what is past it is the
// broken line, to be cut off before appending.
func parseJournal(r io.Reader) (done map[journalKey]struct{}, keep int64, err error) {
	done = make(map[journalKey]struct{})
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
		var e journalEntry
		bad := tooLong || json.Unmarshal(line, &e) != nil || e.Kind != journalKind || e.File == "" || e.Target == ""
		switch {
		case bad:
			return nil, 0, fmt.Errorf("line %d: %w", lineNo, errNotJournal)
		case e.Version != journalVersion:
			return nil, 0, fmt.Errorf("line %d: journal version %d, this program reads version %d", lineNo, e.Version, journalVersion)
		}
		done[journalKey{target: e.Target, file: e.File, size: e.Size, mtime: e.ModTime}] = struct{}{}
	}
}

// readLine returns the next line with its newline (none at the end of the
// input). A line longer than maxJournalLine is returned empty but for its
// newline, with tooLong set. It returns io.EOF only when nothing is left.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong && len(line)+len(chunk) <= maxJournalLine {
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

// journal is an open journal. It is safe for concurrent use.
type journal struct {
	mu   sync.Mutex
	f    *os.File
	done map[journalKey]struct{}
}

// openJournal reads the journal at path (creating it if missing) and opens
// it for appending.
func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("level3: journal: %w", err)
	}
	done, keep, err := parseJournal(f)
	if err == nil {
		// Cut off the line a killed run left half written, so the next
		// entry starts on a line of its own.
		var st os.FileInfo
		if st, err = f.Stat(); err == nil && st.Size() != keep {
			err = f.Truncate(keep)
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("level3: journal %s: %w", path, err)
	}
	return &journal{f: f, done: done}, nil
}

// has reports whether the journal records k as uploaded.
func (j *journal) has(k journalKey) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	_, ok := j.done[k]
	return ok
}

// record appends the upload of k, which ended as res, in one write.
func (j *journal) record(k journalKey, res FileResult) error {
	line, err := json.Marshal(journalEntry{
		Kind: journalKind, Version: journalVersion, Target: k.target, File: k.file,
		Size: k.size, ModTime: k.mtime, URL: res.URL, Status: res.Status,
		Location: res.Location, ETag: res.ETag, Time: time.Now().UTC().Truncate(time.Millisecond),
	})
	if err != nil {
		return err
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(line); err != nil {
		return err
	}
	j.done[k] = struct{}{}
	return nil
}

// close flushes the journal to disk and closes it.
func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	serr := j.f.Sync()
	cerr := j.f.Close()
	return errors.Join(serr, cerr)
}
