// This file holds the per-call options of Client.Download. Each validates
// its input, so a misconfigured download fails before any request. The
// download itself is in download.go.

package level3

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// DownloadOption configures one call of [Client.Download].
type DownloadOption func(*downloadConfig) error

// MaxConnections is the most connections [WithConnections] accepts.
const MaxConnections = 16

// Defaults of the download options.
const (
	// DefaultMaxRestarts is how many times in a row a download may be cut
	// off without receiving a new byte before it gives up ([WithMaxRestarts]).
	DefaultMaxRestarts = 5
	// DefaultStallTimeout is how long a download waits for the next byte
	// before it treats the connection as dropped.
	DefaultStallTimeout = 30 * time.Second
	// DefaultProgressInterval is how often a progress function is called.
	DefaultProgressInterval = 200 * time.Millisecond
)

// downloadConfig is the result of the options.
type downloadConfig struct {
	connections      int
	wantSHA256       []byte // expected digest; nil when not checked
	computeSHA256    bool
	failFast         bool
	noResume         bool
	overwrite        bool
	keepOnChange     bool
	sync             bool
	maxRestarts      int
	stallTimeout     time.Duration
	progress         ProgressFunc
	progressInterval time.Duration
	known            dlValidators // WithKnownVersion
	minParallel      int64        // smallest remainder split over connections (minParallelSize)
	minSteal         int64        // smallest range taken from another connection (minSteal)
}

// newDownloadConfig applies opts to the defaults.
func newDownloadConfig(opts []DownloadOption) (downloadConfig, error) {
	cfg := downloadConfig{
		connections:      1,
		maxRestarts:      DefaultMaxRestarts,
		stallTimeout:     DefaultStallTimeout,
		progressInterval: DefaultProgressInterval,
		minParallel:      minParallelSize,
		minSteal:         minSteal,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return downloadConfig{}, err
		}
	}
	return cfg, nil
}

// hashing reports whether the download computes a SHA-256 digest.
func (c *downloadConfig) hashing() bool { return c.computeSHA256 || c.wantSHA256 != nil }

// WithConnections downloads over up to n connections at once (1 to
// [MaxConnections]; the default is 1), each fetching its own byte ranges,
// when the server allows ranges (accept-ranges: bytes), gives the length and
// a strong validator, and the content is large enough (at least 2 MiB). Each
// range is tied to the version of the first with If-Range (or If-Match with
// [WithFailFast]); any sign of a change stops every connection and the
// download starts over. Otherwise the download uses one stream. Parallel
// ranges help when the server or the path limits each connection's rate.
func WithConnections(n int) DownloadOption {
	return func(c *downloadConfig) error {
		if n < 1 || n > MaxConnections {
			return fmt.Errorf("level3: WithConnections(%d): want 1 to %d", n, MaxConnections)
		}
		c.connections = n
		return nil
	}
}

// WithSHA256 checks the downloaded content against the expected SHA-256
// digest, given in hexadecimal (64 digits, any case). The digest is computed
// while the bytes stream in, not by reading the file again; on a mismatch
// the download fails with a [*ChecksumError] and the partial file is
// removed.
func WithSHA256(hexDigest string) DownloadOption {
	return func(c *downloadConfig) error {
		sum, err := hex.DecodeString(strings.TrimSpace(hexDigest))
		if err != nil || len(sum) != 32 {
			return fmt.Errorf("level3: WithSHA256(%q): want 64 hexadecimal digits", hexDigest)
		}
		c.wantSHA256 = sum
		return nil
	}
}

// WithComputeSHA256 computes the SHA-256 digest of the content while it
// streams in and reports it in [DownloadResult].SHA256, without checking it
// against anything. [WithSHA256] implies it.
func WithComputeSHA256() DownloadOption {
	return func(c *downloadConfig) error {
		c.computeSHA256 = true
		return nil
	}
}

// WithFailFast resumes with If-Match instead of If-Range (the fail-fast way
// of the Level 3 Content profile): when the content changed since the
// partial file was written, the server answers 409 Conflict (generic
// servers: 412 Precondition Failed) and the download fails with a
// [*ContentChangedError] instead of starting over. The partial file is
// removed unless [WithKeepPartialOnChange] is given.
func WithFailFast() DownloadOption {
	return func(c *downloadConfig) error {
		c.failFast = true
		return nil
	}
}

// WithKeepPartialOnChange keeps the partial file and its state when a
// fail-fast download stops with a [*ContentChangedError].
func WithKeepPartialOnChange() DownloadOption {
	return func(c *downloadConfig) error {
		c.keepOnChange = true
		return nil
	}
}

// WithNoResume discards any partial file left by an earlier attempt and
// downloads from the first byte. Drops within this call are still resumed.
func WithNoResume() DownloadOption {
	return func(c *downloadConfig) error {
		c.noResume = true
		return nil
	}
}

// WithOverwrite lets the download replace an existing file at the
// destination, and a NAME.part file that was not left by a download of this
// package. Without it, either is an error wrapping [ErrFileExists], checked
// before anything is downloaded.
func WithOverwrite() DownloadOption {
	return func(c *downloadConfig) error {
		c.overwrite = true
		return nil
	}
}

// WithKnownVersion says that the caller already has the version of the
// content with this entity tag or last-modified date (from an earlier
// [DownloadResult]): the download sends If-None-Match (or If-Modified-Since
// when etag is empty), and when the server answers 304 Not Modified nothing
// is written and [DownloadResult].NotModified is true. Otherwise the new
// content replaces the destination, as with [WithOverwrite].
func WithKnownVersion(etag string, lastModified time.Time) DownloadOption {
	return func(c *downloadConfig) error {
		etag = strings.TrimSpace(etag)
		if etag == "" && lastModified.IsZero() {
			return errors.New("level3: WithKnownVersion: give an entity tag or a date")
		}
		if !validHeaderValue(etag) {
			return fmt.Errorf("level3: WithKnownVersion: invalid entity tag %q", etag)
		}
		c.known = dlValidators{ETag: etag}
		if !lastModified.IsZero() {
			c.known.LastModified = lastModified.UTC().Format(http.TimeFormat)
		}
		c.overwrite = true
		return nil
	}
}

// WithSync flushes the file to stable storage (fsync) before it is renamed
// into place, so that a power loss right after the download cannot leave an
// empty or partial file under the final name. It costs a wait for the disk.
func WithSync() DownloadOption {
	return func(c *downloadConfig) error {
		c.sync = true
		return nil
	}
}

// WithMaxRestarts sets how many times in a row (n ≥ 0) the transfer may be
// cut off, time out or start over (the content changed, or lengths
// disagreed), without a new byte arriving, before the download gives up
// with [ErrTooManyRestarts]. A new byte is one past the furthest any
// attempt of the call reached: bytes received again after starting from
// the first byte are not progress. A restart that brought new bytes resets
// the count. The default is [DefaultMaxRestarts]; waits between restarts
// follow the Client's RetryPolicy (MinWait doubling to MaxWait).
func WithMaxRestarts(n int) DownloadOption {
	return func(c *downloadConfig) error {
		if n < 0 {
			return fmt.Errorf("level3: WithMaxRestarts(%d): must not be negative", n)
		}
		c.maxRestarts = n
		return nil
	}
}

// WithStallTimeout sets how long the download waits for the next byte of a
// response before it drops the connection and resumes (d > 0; the default is
// [DefaultStallTimeout]). The Client's *http.Client timeout, if any, still
// bounds each whole request: leave it unset for large downloads.
func WithStallTimeout(d time.Duration) DownloadOption {
	return func(c *downloadConfig) error {
		if d <= 0 {
			return fmt.Errorf("level3: WithStallTimeout(%v): must be positive", d)
		}
		c.stallTimeout = d
		return nil
	}
}

// WithProgress calls fn about every interval (0 means
// [DefaultProgressInterval]) while the download runs, and once more when it
// ends successfully. fn is called from a goroutine of the download, never
// concurrently with itself, and must return quickly. Without this option the
// download keeps no progress goroutine at all.
func WithProgress(interval time.Duration, fn ProgressFunc) DownloadOption {
	return func(c *downloadConfig) error {
		if fn == nil {
			return errors.New("level3: WithProgress: nil function")
		}
		if interval < 0 {
			return fmt.Errorf("level3: WithProgress: negative interval %v", interval)
		}
		if interval == 0 {
			interval = DefaultProgressInterval
		}
		c.progress, c.progressInterval = fn, interval
		return nil
	}
}
