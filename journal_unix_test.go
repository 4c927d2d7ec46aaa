//go:build unix

package level3

// Tests of the journal's lock (localfile_unix.go): several runs, as
// goroutines and as processes, on one journal.

import (
	"context"
	"errors"
	"fmt"
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

	"github.com/l3go/level3/mocks"
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
		j, err := openJournalWaiting(ctx, path)
		if err != nil {
			return err
		}
		for i := range journalPerRun {
			k := journalKey{target: "http://h/up", file: fmt.Sprintf("/%s/%d/%d", id, run, i), size: 1, mtime: 1}
			if err := j.record(k, FileResult{URL: "http://h/up", Status: 201}); err != nil {
				j.close()
				return err
			}
		}
		if err := j.close(); err != nil {
			return err
		}
	}
	return nil
}

// openJournalWaiting opens the journal at path, trying again while another
// run holds it, until ctx ends: what a caller of UploadAll that would rather
// wait does with ErrJournalBusy.
func openJournalWaiting(ctx context.Context, path string) (*journal, error) {
	for {
		j, err := openJournal(path)
		if !errors.Is(err, ErrJournalBusy) {
			return j, err
		}
		if !sleepOrDone(ctx, time.Millisecond) {
			return nil, ctx.Err()
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
	done, keep, err := parseJournal(strings.NewReader(string(data)))
	require.NoError(t, err, "every line parses")
	assert.EqualValues(t, len(data), keep, "no broken line")
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	want := len(writers) * journalRuns * journalPerRun
	assert.Equal(t, want, len(lines), "lines")
	missing := 0
	for _, id := range writers {
		for run := range journalRuns {
			for i := range journalPerRun {
				if _, ok := done[journalKey{target: "http://h/up", file: fmt.Sprintf("/%s/%d/%d", id, run, i), size: 1, mtime: 1}]; !ok {
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
	first, err := openJournal(path)
	require.NoError(t, err)
	require.NoError(t, first.record(journalKey{target: "http://h/up", file: "/a", size: 1, mtime: 1}, FileResult{Status: 201}))

	_, err = openJournal(path)
	require.ErrorIs(t, err, ErrJournalBusy)
	assert.ErrorContains(t, err, path)

	// Through UploadAll: refused before anything is sent.
	srv := mocks.NewServer(t)
	c := newTestClient(t, srv)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.txt"), []byte("b"), 0o600))
	_, err = c.UploadAll(context.Background(), srv.URL+mocks.PathUploads, []string{dir}, &BulkOptions{Journal: path})
	require.ErrorIs(t, err, ErrJournalBusy)
	assert.Empty(t, srv.Requests(), "nothing sent")

	require.NoError(t, first.close())
	second, err := openJournal(path)
	require.NoError(t, err, "free once the first run ends")
	assert.True(t, second.has(journalKey{target: "http://h/up", file: "/a", size: 1, mtime: 1}))
	require.NoError(t, second.close())
}

func TestJournalRefusesAFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "upload.journal")
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	done := make(chan error, 1)
	go func() {
		j, err := openJournal(path)
		if err == nil {
			j.close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, errNotJournal)
		assert.ErrorIs(t, err, ErrNotRegularFile)
		assert.ErrorContains(t, err, "named pipe")
	case <-time.After(10 * time.Second):
		t.Fatal("openJournal blocked on a FIFO")
	}
}
