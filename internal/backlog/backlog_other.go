//go:build !linux

// This file holds the stub for systems other than Linux, whose listen(2)
// backlogs behave differently.

package backlog

import "testing"

// Full skips the test: only Linux is known to drop handshakes to a full
// accept queue.
func Full(tb testing.TB) string {
	tb.Skip("backlog: a full accept queue is only arranged on Linux")
	return ""
}
