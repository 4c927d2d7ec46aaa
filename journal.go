// This file holds the journal of Client.UploadAll (bulk.go): a file of JSON
// lines, one per file uploaded, that lets a run cut short continue where it
// stopped. parseJournal reads it (and is fuzzed); journal appends to it,
// holding the file's lock (download_lock_unix.go) for the whole run. URLs are
// written redacted (internal/redact), and the file is private (0600).

package level3

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/l3go/level3/internal/localfile"
	"github.com/l3go/level3/internal/redact"
)

// Every journal line carries its kind and version, so that a journal is never
// confused with another file and a later format can be told apart.
const (
	journalKind    = "level3.upload"
	journalVersion = 1
)

// maxJournalLine bounds one journal line; longer lines are not entries.
const maxJournalLine = 64 << 10

// journalMode is the mode of a journal: it names local files and where
// they went, which is nobody else's business.
const journalMode fs.FileMode = 0o600

// journalEntry is one line of the journal: a file uploaded to a target. Its
// URLs are redacted (see journalTarget).
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

// journalKey identifies a file as uploaded: same target (redacted), path,
// size and modification time. A file changed since is uploaded again.
type journalKey struct {
	target, file string
	size, mtime  int64
}

// newJournalKey returns the key of the file at abs, described by info, sent
// to target.
func newJournalKey(target *url.URL, abs string, info fs.FileInfo) journalKey {
	return journalKey{target: journalTarget(target.String()), file: abs, size: info.Size(), mtime: info.ModTime().UnixNano()}
}

// journalTarget returns the target of an entry as keys hold it: redacted,
// so that no credential is written to the journal. Entries written before
// journals were redacted are redacted as they are read, and still match.
// Targets that differ only in their credentials (a presigned URL signed
// again, say) are therefore the same target: the journal records where files
// went, not with which key.
func journalTarget(target string) string { return redact.String(target) }

// errNotJournal is returned (wrapped) for a file that is not a journal.
var errNotJournal = errors.New("not a level3 upload journal")

// ErrJournalBusy is returned (wrapped) by [Client.UploadAll] when another
// run, in this process or another, has the journal open: two runs on one
// journal would upload the same files twice. The second run is refused at
// once rather than made to wait; wait for the first to end (errors.Is tells
// this case apart) and start it again, or give it another journal.
var ErrJournalBusy = errors.New("level3: another upload run is using this journal")

// parseJournal reads a journal and returns the files it records. A last
// line without its newline is the trace of a run that was killed while
// writing, and is ignored (even if it parses: it was not finished); any
// other line that is not an entry of this kind
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
		done[journalKey{target: journalTarget(e.Target), file: e.File, size: e.Size, mtime: e.ModTime}] = struct{}{}
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

// journal is an open journal, locked against other runs until it is
// closed. It is safe for concurrent use.
type journal struct {
	mu   sync.Mutex
	f    *os.File
	done map[journalKey]struct{}
}

// openJournal opens the journal at path (creating it, mode 0600, if
// missing), takes its lock, reads it and makes it ready for appending. A
// journal another run holds gives ErrJournalBusy at once. A journal readable
// by others is made private (0600) first.
//
// The lock is what makes cutting off a half-written last line safe: no
// other run can be writing it. Where there is no lock (systems without
// flock(2), see download_lock_other.go), two runs at once are not detected.
func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, journalMode)
	if err != nil {
		return nil, fmt.Errorf("level3: journal: %w", err)
	}
	if err := localfile.Lock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s (%v); wait for that run to end, or use another journal", ErrJournalBusy, path, err)
	}
	j, err := prepareJournal(f)
	if err != nil {
		f.Close() // releases the lock
		return nil, fmt.Errorf("level3: journal %s: %w", path, err)
	}
	return j, nil
}

// prepareJournal checks, tightens and reads the journal open (and locked)
// as f.
func prepareJournal(f *os.File) (*journal, error) {
	st, err := f.Stat()
	switch {
	case err != nil:
		return nil, err
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("%w (not a regular file)", errNotJournal)
	}
	if st.Mode().Perm()&^journalMode != 0 {
		if err := f.Chmod(journalMode); err != nil {
			return nil, err
		}
	}
	done, keep, err := parseJournal(f)
	if err != nil {
		return nil, err
	}
	// Cut off the line a killed run left half written, so the next entry
	// starts on a line of its own; the lock says no run is writing it.
	if st.Size() != keep {
		if err := f.Truncate(keep); err != nil {
			return nil, err
		}
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

// errJournalLine is returned by record for an entry too long to be read
// back (a URL of tens of kilobytes): writing it would spoil the journal.
var errJournalLine = errors.New("the entry is longer than a journal line may be")

// record appends the upload of k, which ended as res, in one write, with
// its URLs redacted.
func (j *journal) record(k journalKey, res FileResult) error {
	line, err := json.Marshal(journalEntry{
		Kind: journalKind, Version: journalVersion, Target: k.target, File: k.file,
		Size: k.size, ModTime: k.mtime, URL: redactedURL(res.URL), Status: res.Status,
		Location: redactedURL(res.Location), ETag: res.Validators.ETag, Time: time.Now().UTC().Truncate(time.Millisecond),
	})
	if err != nil {
		return err
	}
	line = append(line, '\n')
	if len(line) > maxJournalLine {
		return errJournalLine
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(line); err != nil {
		return err
	}
	j.done[k] = struct{}{}
	return nil
}

// redactedURL returns u as the journal writes it: "" for nil, else with
// its credentials hidden.
func redactedURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	return redact.String(u.String())
}

// close flushes the journal to disk and closes it, which releases its lock.
func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	serr := j.f.Sync()
	cerr := j.f.Close()
	return errors.Join(serr, cerr)
}
