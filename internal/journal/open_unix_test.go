//go:build unix

package journal

// Tests of the journal's lock (open.go, internal/localfile): several runs,
// as goroutines and as processes, on one journal.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/localfile"
)

// journalWriterEnv makes the test binary a journal writer: see
// TestJournalWriterProcess.
const journalWriterEnv = "LEVEL3_TEST_JOURNAL_WRITER"

// Each writer does journalRuns runs of journalPerRun entries.
const (
	journalRuns   = 40
	journalPerRun = 5
)

// writeJournalRuns does journalRuns runs on the journal at path as writer
// id: each opens the journal (waiting while another run holds it), records
// journalPerRun entries and closes it.
func writeJournalRuns(ctx context.Context, path, id string) error {
	for run := range journalRuns {
		j, err := openWaiting(ctx, path)
		if err != nil {
			return err
		}
		for i := range journalPerRun {
			k := Key{Target: "http://h/up", File: fmt.Sprintf("/%s/%d/%d", id, run, i), Size: 1, ModTime: 1}
			if err := j.Record(k, Upload{URL: &url.URL{Scheme: "http", Host: "h", Path: "/up"}, Status: 201}); err != nil {
				j.Close()
				return err
			}
		}
		if err := j.Close(); err != nil {
			return err
		}
	}
	return nil
}

// openJournalWaiting opens the journal at path, trying again while another
// run holds it, until ctx ends: what a caller of UploadAll that would rather
// wait does with ErrBusy.
func openWaiting(ctx context.Context, path string) (*Journal, error) {
	for {
		j, err := Open(path)
		if !errors.Is(err, ErrBusy) {
			return j, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// TestJournalWriterProcess is a journal writer when run as a child of
// TestJournalSharedByProcesses, and skips otherwise.
func TestJournalWriterProcess(t *testing.T) {
	spec := os.Getenv(journalWriterEnv)
	if spec == "" {
		t.Skip("runs only as a child of TestJournalSharedByProcesses")
	}
	path, id, _ := strings.Cut(spec, "\n")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, writeJournalRuns(ctx, path, id))
}

// checkJournal reads the journal at path and checks that it holds exactly
// one well-formed line for every entry the writers made.
func checkJournal(t *testing.T, path string, writers []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	done, keep, err := Parse(strings.NewReader(string(data)))
	require.NoError(t, err, "every line parses")
	assert.EqualValues(t, len(data), keep, "no broken line")
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	want := len(writers) * journalRuns * journalPerRun
	assert.Equal(t, want, len(lines), "lines")
	missing := 0
	for _, id := range writers {
		for run := range journalRuns {
			for i := range journalPerRun {
				if _, ok := done[Key{Target: "http://h/up", File: fmt.Sprintf("/%s/%d/%d", id, run, i), Size: 1, ModTime: 1}]; !ok {
					missing++
				}
			}
		}
	}
	assert.Zero(t, missing, "entries lost, of %d", want)
}

func TestJournalSharedByProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "upload.journal")
	var writers []string
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for i := range 6 {
		id := "p" + strconv.Itoa(i)
		writers = append(writers, id)
		cmd := exec.Command(os.Args[0], "-test.run=^TestJournalWriterProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), journalWriterEnv+"="+path+"\n"+id)
		out := new(strings.Builder)
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(t, cmd.Start())
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		assert.NoError(t, cmd.Wait(), "writer %d:\n%s", i, outs[i])
	}
	checkJournal(t, path, writers)
}

func TestJournalSharedByGoroutines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "upload.journal")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var writers []string
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for i := range 8 {
		id := "g" + strconv.Itoa(i)
		writers = append(writers, id)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- writeJournalRuns(ctx, path, id)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	checkJournal(t, path, writers)
}

func TestJournalRefusesASecondRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "upload.journal")
	first, err := Open(path)
	require.NoError(t, err)
	require.NoError(t, first.Record(Key{Target: "http://h/up", File: "/a", Size: 1, ModTime: 1}, Upload{Status: 201}))

	_, err = Open(path)
	require.ErrorIs(t, err, ErrBusy)
	assert.ErrorContains(t, err, path)

	require.NoError(t, first.Close())
	second, err := Open(path)
	require.NoError(t, err, "free once the first run ends")
	assert.True(t, second.Has(Key{Target: "http://h/up", File: "/a", Size: 1, ModTime: 1}))
	require.NoError(t, second.Close())
}

func TestJournalRefusesAFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "upload.journal")
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	done := make(chan error, 1)
	go func() {
		j, err := Open(path)
		if err == nil {
			j.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, ErrNotJournal)
		assert.ErrorIs(t, err, localfile.ErrNotRegular)
		assert.ErrorContains(t, err, "named pipe")
	case <-time.After(10 * time.Second):
		t.Fatal("openJournal blocked on a FIFO")
	}
}
