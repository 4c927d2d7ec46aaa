// This file holds an open journal: Open takes its lock and reads it, Has
// and Record serve a run, Close releases it. The lines' format is in
// journal.go.

package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/l3go/level3/internal/localfile"
	"github.com/l3go/level3/internal/redact"
)

// ErrBusy is returned (wrapped) by Open when another run, in this process
// or another, has the journal open. The root package exports it as
// ErrJournalBusy.
var ErrBusy = errors.New("level3: another upload run is using this journal")

// ErrLineTooLong is returned by Record for an entry too long to be read
// back (a URL of tens of kilobytes): writing it would spoil the journal.
var ErrLineTooLong = errors.New("the entry is longer than a journal line may be")

// Journal is an open journal, locked against other runs until it is
// closed. It is safe for concurrent use.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	done map[Key]struct{}
}

// Open opens the journal at path (creating it, mode 0600, if missing),
// takes its lock, reads it and makes it ready for appending. A journal
// another run holds gives ErrBusy at once. A journal readable by others is
// made private (0600) first. Anything but a regular file is refused with
// ErrNotJournal (and localfile.ErrNotRegular), without an open that could
// block or have effects.
//
// The lock is what makes cutting off a half-written last line safe: no
// other run can be writing it. Where there is no lock (systems without
// flock(2)), two runs at once are not detected.
func Open(path string) (*Journal, error) {
	f, _, err := localfile.OpenRegular("journal", path, os.O_RDWR|os.O_CREATE|os.O_APPEND, func(flag int) (*os.File, error) {
		return os.OpenFile(path, flag, Mode)
	})
	switch {
	case errors.Is(err, localfile.ErrNotRegular):
		return nil, fmt.Errorf("level3: %w: %w", ErrNotJournal, err)
	case err != nil:
		return nil, fmt.Errorf("level3: journal: %w", err)
	}
	if err := localfile.Lock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s (%v); wait for that run to end, or use another journal", ErrBusy, path, err)
	}
	j, err := prepare(f)
	if err != nil {
		f.Close() // releases the lock
		return nil, fmt.Errorf("level3: journal %s: %w", path, err)
	}
	return j, nil
}

// prepare tightens and reads the journal open (and locked) as f.
func prepare(f *os.File) (*Journal, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&^Mode != 0 {
		if err := f.Chmod(Mode); err != nil {
			return nil, err
		}
	}
	done, keep, err := Parse(f)
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
	return &Journal{f: f, done: done}, nil
}

// Has reports whether the journal records k as uploaded.
func (j *Journal) Has(k Key) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	_, ok := j.done[k]
	return ok
}

// Upload is what Record writes of one file's upload besides its key.
type Upload struct {
	URL      *url.URL // where it was sent
	Status   int      // the final status
	Location *url.URL // the resource holding the bytes; nil when none
	ETag     string   // the new entity tag; "" when none
}

// Record appends the upload of k in one write, with its URLs redacted.
func (j *Journal) Record(k Key, u Upload) error {
	line, err := json.Marshal(Entry{
		Kind: Kind, Version: Version, Target: k.Target, File: k.File,
		Size: k.Size, ModTime: k.ModTime, URL: redacted(u.URL), Status: u.Status,
		Location: redacted(u.Location), ETag: u.ETag, Time: time.Now().UTC().Truncate(time.Millisecond),
	})
	if err != nil {
		return err
	}
	line = append(line, '\n')
	if len(line) > MaxLine {
		return ErrLineTooLong
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(line); err != nil {
		return err
	}
	j.done[k] = struct{}{}
	return nil
}

// redacted returns u as the journal writes it: "" for nil, else with its
// credentials hidden.
func redacted(u *url.URL) string {
	if u == nil {
		return ""
	}
	return redact.String(u.String())
}

// Close flushes the journal to disk and closes it, which releases its lock.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	serr := j.f.Sync()
	cerr := j.f.Close()
	return errors.Join(serr, cerr)
}
