// This file holds Redis, a real redis-server started for a test on a free
// loopback port with a temporary configuration and data directory, for the
// stores and distributed runs that live in Redis. realpeers.go holds the
// process handling the HTTP servers share with it.

package realpeers

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RedisServer is a redis-server running for one test.
type RedisServer struct {
	Addr string // 127.0.0.1:PORT
	URL  string // redis://127.0.0.1:PORT/0

	bin, dir, conf, log string
	appendOnly          bool // RedisAppendOnly (redis_options.go)
	mu                  sync.Mutex
	proc                *process
}

// Redis starts redis-server on a free loopback port, with persistence off
// (unless opts say otherwise: redis_options.go), a temporary directory and
// no password, and stops it when the test ends. Like Nginx and Apache, it
// skips the test when redis-server is not installed, or fails it when
// REALPEERS_REQUIRE is set.
func Redis(t testing.TB, opts ...RedisOption) *RedisServer {
	t.Helper()
	bin := findBinary([]string{"redis-server"}, []string{"/usr/bin", "/usr/sbin", "/usr/local/bin"})
	requireInstalled(t, bin, "realpeers: redis-server is not installed (apt-get install redis-server)")
	dir := t.TempDir()
	r := &RedisServer{bin: bin, dir: dir, conf: filepath.Join(dir, "redis.conf"), log: filepath.Join(dir, "redis.log")}
	for _, o := range opts {
		o(r)
	}
	t.Cleanup(func() {
		r.Stop()
		if t.Failed() {
			data, _ := os.ReadFile(r.log)
			t.Logf("realpeers: redis at %s, log:\n%s", r.Addr, data)
		}
	})
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("realpeers: %v", err)
		}
		r.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		r.URL = "redis://" + r.Addr + "/0"
		err = r.start(port)
		if err == nil {
			return r
		}
		data, _ := os.ReadFile(r.log)
		if attempt < startAttempts && portTaken(string(data)) {
			continue
		}
		t.Fatalf("realpeers: redis-server did not start: %v\n%s", err, data)
	}
}

// start writes the configuration for port and starts the server.
func (r *RedisServer) start(port int) error {
	conf := fmt.Sprintf(`bind 127.0.0.1
port %d
protected-mode yes
save ""
dir %s
logfile %s
daemonize no
%s`, port, r.dir, r.log, r.persistence())
	if err := os.WriteFile(r.conf, []byte(conf), 0o600); err != nil {
		return err
	}
	p, err := startProcess(r.bin, []string{r.conf}, nil, r.log)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.proc = p
	r.mu.Unlock()
	// Ready once it answers PONG (waitUntil: or p exits, or readyTimeout).
	if err := waitUntil(p, func() error { return ping(r.Addr) }); err != nil {
		r.Stop()
		return err
	}
	return nil
}

// Stop stops the server (as if it crashed, for outage tests: the test may
// Restart it). Calling it twice is harmless.
func (r *RedisServer) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc != nil {
		_ = r.proc.stop()
		r.proc = nil
	}
}

// Restart starts the server again on the same port after Stop, with an
// empty dataset (persistence is off, as a crashed cache would come back),
// or with all it held when started with [RedisAppendOnly].
func (r *RedisServer) Restart(t testing.TB) {
	t.Helper()
	_, portText, _ := net.SplitHostPort(r.Addr)
	port, _ := strconv.Atoi(portText)
	if err := r.start(port); err != nil {
		data, _ := os.ReadFile(r.log)
		t.Fatalf("realpeers: restarting redis-server: %v\n%s", err, data)
	}
}

// ping speaks just enough RESP to ask for PONG.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return errors.New("unexpected answer to PING: " + strings.TrimSpace(line))
	}
	return nil
}
