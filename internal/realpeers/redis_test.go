package realpeers

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRedisStartsStopsAndRestarts: the server answers PING on its port,
// stops answering after Stop, and answers again after Restart.
func TestRedisStartsStopsAndRestarts(t *testing.T) {
	r := Redis(t)
	require.NoError(t, ping(r.Addr))
	require.Contains(t, r.URL, r.Addr)
	r.Stop()
	require.Error(t, ping(r.Addr), "stopped")
	r.Restart(t)
	require.NoError(t, ping(r.Addr))
}

// TestRedisAppendOnlyKeepsDataAcrossRestart: with RedisAppendOnly, what was
// written before Stop is there after Restart.
func TestRedisAppendOnlyKeepsDataAcrossRestart(t *testing.T) {
	r := Redis(t, RedisAppendOnly())
	require.NoError(t, resp(r.Addr, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", "+OK"))
	r.Stop()
	r.Restart(t)
	require.NoError(t, resp(r.Addr, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "$1"))
}

// resp sends one RESP command and checks the first line of the answer.
func resp(addr, command, want string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte(command)); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if got := strings.TrimSpace(line); got != want {
		return fmt.Errorf("answer %q, want %q", got, want)
	}
	return nil
}
