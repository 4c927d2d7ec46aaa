package level3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/l3go/level3/internal/localfile"
)

func TestSidecarFitsAndContiguous(t *testing.T) {
	fresh := newSidecar("http://h/f", "http://h/f")
	ok := fresh
	ok.Total, ok.Next = 100, 40
	par := ok
	par.Parallel, par.Next, par.Parts = true, 100, []sidecarPart{{Start: 20, End: 50, Done: 10}, {Start: 70, End: 100, Done: 0}}
	for _, tc := range []struct {
		name string
		edit func(s *sidecar)
		want bool
	}{
		{"single stream", func(s *sidecar) {}, true},
		{"other URL", func(s *sidecar) { s.URLSHA256 = "x" }, false},
		{"other kind", func(s *sidecar) { s.Kind = "aria2" }, false},
		{"newer version", func(s *sidecar) { s.Version = sidecarVersion + 1 }, false},
		{"older version (1: validators as raw headers)", func(s *sidecar) { s.Version = 1 }, false},
		{"negative next", func(s *sidecar) { s.Next = -1 }, false},
		{"parts without parallel", func(s *sidecar) { s.Parts = par.Parts }, false},
		{"parallel without a length", func(s *sidecar) { s.Parallel, s.Total = true, -1 }, false},
		{"next past the length", func(s *sidecar) { s.Next = 101 }, false},
		{"digest past the length", func(s *sidecar) { s.SHA256At = 101 }, false},
		{"negative digest offset", func(s *sidecar) { s.SHA256At = -1 }, false},
		{"part ending before it starts", func(s *sidecar) {
			s.Parallel, s.Next, s.Parts = true, 100, []sidecarPart{{Start: 50, End: 40}}
		}, false},
		{"part whose end overflows", func(s *sidecar) {
			s.Parallel, s.Next, s.Parts = true, 100, []sidecarPart{{Start: 1<<63 - 1, End: 50, Done: 1}}
		}, false},
		{"overlapping parts", func(s *sidecar) {
			s.Parallel, s.Next, s.Parts = true, 100, []sidecarPart{{Start: 50, End: 100}, {Start: 0, End: 60}}
		}, false},
		{"done that overflows", func(s *sidecar) {
			s.Parallel, s.Next, s.Parts = true, 100, []sidecarPart{{Start: 10, End: 50, Done: 1<<63 - 1}}
		}, false},
	} {
		s := ok
		tc.edit(&s)
		assert.Equal(t, tc.want, s.fits(fresh), tc.name)
	}
	assert.True(t, par.fits(fresh))
	bad := par
	bad.Parts = []sidecarPart{{Start: 20, End: 50, Done: 40}}
	assert.False(t, bad.fits(fresh), "done past the end")

	assert.Equal(t, int64(40), ok.contiguous(40))
	assert.Equal(t, int64(30), ok.contiguous(30), "a shorter file wins")
	assert.Equal(t, int64(100), ok.contiguous(500), "never past the length")
	assert.Equal(t, int64(30), par.contiguous(100), "up to the first hole")
	assert.Equal(t, int64(100-20-30), par.onDisk())
	assert.Equal(t, int64(70), par.claimedEnd(), "the last part has nothing yet")
	assert.Equal(t, int64(40), ok.claimedEnd(), "a single stream claims what it saved")
	tail := par
	tail.Parts = []sidecarPart{{Start: 60, End: 80, Done: 5}, {Start: 80, End: 100, Done: 0}}
	assert.Equal(t, int64(65), tail.claimedEnd(), "missing ranges at the tail chain")
}

func TestProgressMeterRate(t *testing.T) {
	m := newProgressMeter(nil, time.Second)
	m.samples = make([]rateSample, 0, 3)
	t0 := time.Now()
	m.set(0, 1000)
	assert.Equal(t, 0.0, m.snapshot(t0).Rate)
	m.add(100)
	p := m.snapshot(t0.Add(time.Second))
	assert.Equal(t, 100.0, p.Rate)
	assert.Equal(t, int64(1000), p.Total)
	m.add(300)
	assert.Equal(t, 200.0, m.snapshot(t0.Add(2*time.Second)).Rate)
	m.add(300)
	assert.InDelta(t, 700.0/3, m.snapshot(t0.Add(3*time.Second)).Rate, 1e-9, "over the three seconds the window holds")
	assert.InDelta(t, 600.0/3, m.snapshot(t0.Add(4*time.Second)).Rate, 1e-9, "the oldest sample dropped out")
	m.set(10, 1000)
	assert.Equal(t, 0.0, m.snapshot(t0.Add(5*time.Second)).Rate, "after a start over the old samples say nothing")
}

// discardAt is an io.WriterAt that keeps nothing.
type discardAt struct{}

func (discardAt) WriteAt(p []byte, off int64) (int, error) { return len(p), nil }

// TestCopyRangeAllocatesNothingPerChunk copies 1 and 64 buffers' worth
// through copyRange and checks that the allocations do not grow with the
// number of chunks.
func TestCopyRangeAllocatesNothingPerChunk(t *testing.T) {
	buf := make([]byte, 64<<10)
	src := bytes.NewReader(make([]byte, 64*len(buf)))
	h := newContentHash()
	m := newProgressMeter(nil, time.Second)
	allocs := func(n int64) float64 {
		return testing.AllocsPerRun(20, func() {
			src.Seek(0, io.SeekStart)
			_, err := copyRange(discardAt{}, io.LimitReader(src, n), 0, n, buf, nil, func(at int64, p []byte) {
				h.write(at, p)
				m.add(len(p))
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	one, many := allocs(int64(len(buf))), allocs(int64(64*len(buf)))
	assert.Equal(t, one, many, "allocations per call must not depend on the number of chunks")
	assert.LessOrEqual(t, many, 2.0)
}

func TestDownloadSidecarHidesSecrets(t *testing.T) {
	body := content(100_000, 21)
	srv, url := contentServer(t, body)
	url += "?token=s3cr3t&x=1"
	dst := filepath.Join(t.TempDir(), "f.bin")
	cutDownload(t, downloadClient(t), srv, url, dst, 10_000, nil)
	data, err := os.ReadFile(dst + partSuffix + sidecarSuffix)
	require.NoError(t, err)
	assert.NotContains(t, string(data), "s3cr3t")
	assert.Contains(t, string(data), `"kind":"level3.download"`)
	assert.Contains(t, string(data), `"version":2`)
	fi, err := os.Stat(dst + partSuffix + sidecarSuffix)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	// Another URL does not resume this partial file.
	srv.ResetLog()
	_, err = downloadClient(t).Download(context.Background(), strings.Replace(url, "x=1", "x=2", 1), dst, quick(nil))
	require.NoError(t, err)
	assert.Equal(t, []string{""}, ranges(srv))
	requireFile(t, dst, body)
}

func TestDownloadCorruptSidecarStartsOver(t *testing.T) {
	body := content(100_000, 22)
	srv, url := contentServer(t, body)
	dst := filepath.Join(t.TempDir(), "f.bin")
	require.NoError(t, os.WriteFile(dst+partSuffix, []byte("garbage"), 0o644))
	require.NoError(t, os.WriteFile(dst+partSuffix+sidecarSuffix, []byte(`{"kind":"level3.download","version":99}`), 0o600))
	res, err := downloadClient(t).Download(context.Background(), url, dst, quick(nil))
	require.NoError(t, err)
	assert.False(t, res.Resumed)
	requireFile(t, dst, body)
	assert.Equal(t, []string{""}, ranges(srv))
}

func TestDownloadLeavesForeignPartialFilesAlone(t *testing.T) {
	body := content(1000, 24)
	srv, url := contentServer(t, body)
	dst := filepath.Join(t.TempDir(), "f.bin")
	require.NoError(t, os.WriteFile(dst+partSuffix, []byte("a browser's download"), 0o644))
	_, err := downloadClient(t).Download(context.Background(), url, dst, quick(nil))
	require.ErrorIs(t, err, ErrFileExists)
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, dst+partSuffix, pe.Path)
	data, _ := os.ReadFile(dst + partSuffix)
	assert.Equal(t, "a browser's download", string(data))
	assert.Empty(t, srv.Requests())

	_, err = downloadClient(t).Download(context.Background(), url, dst, quick(&DownloadOptions{Overwrite: true}))
	require.NoError(t, err)
	requireFile(t, dst, body)
}

func TestDownloadExistingFile(t *testing.T) {
	body := content(1000, 14)
	srv, url := contentServer(t, body)
	dst := filepath.Join(t.TempDir(), "f.bin")
	require.NoError(t, os.WriteFile(dst, []byte("mine"), 0o644))
	c := downloadClient(t)
	_, err := c.Download(context.Background(), url, dst, quick(nil))
	require.ErrorIs(t, err, ErrFileExists)
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, dst, pe.Path)
	assert.Empty(t, srv.Requests(), "refused before any request")
	data, _ := os.ReadFile(dst)
	assert.Equal(t, "mine", string(data))
	assert.NoFileExists(t, dst+partSuffix)

	_, err = c.Download(context.Background(), url, dst, quick(&DownloadOptions{Overwrite: true}))
	require.NoError(t, err)
	requireFile(t, dst, body)
}

func TestDownloadBusy(t *testing.T) {
	body := content(1000, 17)
	_, url := contentServer(t, body)
	dst := filepath.Join(t.TempDir(), "f.bin")
	f, err := os.OpenFile(dst+partSuffix, os.O_RDWR|os.O_CREATE, 0o644)
	require.NoError(t, err)
	defer f.Close()
	if err := localfile.Lock(f); err != nil {
		t.Skip("no file locks here")
	}
	_, err = downloadClient(t).Download(context.Background(), url, dst, quick(nil))
	if errors.Is(err, ErrDownloadBusy) {
		return
	}
	t.Skipf("this system has no exclusive file locks (%v)", err)
}
