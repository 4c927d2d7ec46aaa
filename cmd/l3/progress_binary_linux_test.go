package main

// Upload progress through the built binary on a terminal (a pseudo-terminal
// opened here with the Linux ioctls, no library): the bytes of the total
// and a real rate, never "0 B/s".

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openPTY opens a pseudo-terminal pair: the controller (read what is
// written to the terminal) and the terminal itself.
func openPTY(t *testing.T) (controller, terminal *os.File) {
	t.Helper()
	controller, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	var unlock int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, controller.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		controller.Close()
		t.Skipf("unlocking the pseudo-terminal: %v", errno)
	}
	var n uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, controller.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		controller.Close()
		t.Skipf("naming the pseudo-terminal: %v", errno)
	}
	terminal, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		controller.Close()
		t.Skipf("opening the pseudo-terminal: %v", err)
	}
	return controller, terminal
}

// slowReader is a server that takes PUT bodies at about rate bytes per
// second, so that an upload lasts long enough for several redraws.
func slowReader(t *testing.T, rate int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.Method != http.MethodPut {
			return
		}
		chunk := make([]byte, rate/50)
		for {
			if _, err := io.ReadFull(r.Body, chunk); err != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBinaryUploadProgressShowsTotalAndRate(t *testing.T) {
	t.Parallel()
	// More than the socket buffers take at once, sent in about a second.
	const size = 32 << 20
	srv := slowReader(t, 32<<20)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big.bin"), bytes.Repeat([]byte("x"), size), 0o600))

	controller, terminal := openPTY(t)
	defer controller.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, l3Binary(t), "put", "--no-preflight", srv.URL+"/big.bin", "big.bin")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), cacheDirEnv+"="+t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, terminal
	require.NoError(t, cmd.Start())
	terminal.Close() // the child holds it now: reads end when it exits
	var screen bytes.Buffer
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&screen, controller) // ends with EIO once the child is gone
		close(copied)
	}()
	require.NoError(t, cmd.Wait(), "stdout: %s", out.String())
	select {
	case <-copied:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal did not close")
	}

	draws := strings.Split(screen.String(), "\r\033[K")
	var withRate []string
	for _, d := range draws {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		assert.Regexp(t, `^big\.bin \d+(\.\d)? (B|KiB|MiB) of 32\.0 MiB \(\d+%\)( \| \d+(\.\d)? (B|KiB|MiB|GiB)/s)?$`, d, "each draw shows the bytes of the total")
		assert.NotContains(t, d, " 0 B/s")
		if regexp.MustCompile(`/s$`).MatchString(d) {
			withRate = append(withRate, d)
		}
	}
	require.NotEmpty(t, withRate, "a rate once bytes have gone out: %q", screen.String())
	rate := regexp.MustCompile(`\| (\d+(?:\.\d)?) (KiB|MiB)/s$`).FindStringSubmatch(withRate[len(withRate)-1])
	require.NotNil(t, rate, withRate)
	perSecond, _ := strconv.ParseFloat(rate[1], 64)
	if rate[2] == "KiB" {
		perSecond /= 1024
	}
	assert.Greater(t, perSecond, 4.0, "about 32 MiB/s, not 0: %s", withRate)
	assert.Less(t, perSecond, 256.0, "about 32 MiB/s: %s", withRate)
	assert.Contains(t, out.String(), "204 No Content  big.bin")
}
