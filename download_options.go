// This file holds DownloadOptions, the per-call options of Client.Download,
// and their check, so that a misconfigured download fails, naming the field,
// before any request or file. The download itself is in download.go.

package level3

import (
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// MaxConnections is the most connections [DownloadOptions].Connections
// accepts.
const MaxConnections = 16

// DownloadOptions are the per-call options of [Client.Download]. A nil
// *DownloadOptions means all defaults; so does the zero value of each field.
//
// Of the embedded [RequestOptions], Header (added to every request of the
// download) and NoRetry apply; NoCache is always on (the content streams to
// disk, past the Client's cache). IfVersion and Force are refused: a
// download is conditional through KnownVersion and FailFast.
type DownloadOptions struct {
	RequestOptions

	// Connections downloads over up to this many TCP connections at once
	// (1 to [MaxConnections]; 0 means 1), each fetching its own byte ranges,
	// when the server allows ranges (accept-ranges: bytes), gives the length
	// and a strong validator, and the content is large enough (at least 2
	// MiB). Each range is tied to the version of the first with If-Range (or
	// If-Match with FailFast); any sign of a change stops every connection
	// and the download starts over. Otherwise the download uses one stream.
	// Parallel ranges help when the server or the path limits each
	// connection's rate. Over HTTP/2, where the Client's transport would
	// carry them all on one connection, each range after the first goes
	// over a connection of its own, from a clone of the Client's
	// *http.Transport (same TLS configuration, proxy and dialer, closed when
	// the download ends; its MaxConnsPerHost bounds them all); a
	// RoundTripper of another type is shared. [DownloadResult].Connections
	// says how many there were.
	Connections int

	// SHA256 checks the downloaded content against the expected SHA-256
	// digest, given in hexadecimal (64 digits, any case). The digest is
	// computed while the bytes stream in, not by reading the file again; on
	// a mismatch the download fails with a [*ChecksumError] and the partial
	// file is removed. Empty: not checked.
	SHA256 string

	// ComputeSHA256 computes the SHA-256 digest of the content while it
	// streams in and reports it in [DownloadResult].SHA256, without checking
	// it against anything. SHA256 implies it.
	ComputeSHA256 bool

	// FailFast resumes with If-Match instead of If-Range (the fail-fast way
	// of the Level 3 Content profile): when the content changed since the
	// partial file was written, the server answers 409 Conflict (generic
	// servers: 412 Precondition Failed) and the download fails with a
	// [*ContentChangedError] instead of starting over. The partial file is
	// removed unless KeepPartialOnChange is set.
	FailFast bool

	// KeepPartialOnChange keeps the partial file and its state when a
	// fail-fast download stops with a [*ContentChangedError].
	KeepPartialOnChange bool

	// NoResume discards any partial file left by an earlier attempt and
	// downloads from the first byte. Drops within this call are still
	// resumed.
	NoResume bool

	// Overwrite lets the download replace an existing file at the
	// destination, and a NAME.part file that was not left by a download of
	// this package. Without it, either is an error wrapping
	// [ErrFileExists], checked before anything is downloaded.
	Overwrite bool

	// Sync flushes the file to stable storage (fsync) before it is renamed
	// into place, so that a power loss right after the download cannot leave
	// an empty or partial file under the final name. It costs a wait for the
	// disk.
	Sync bool

	// KnownVersion says that the caller already has the version of the
	// content with these validators (from an earlier [DownloadResult]): the
	// download sends If-None-Match with the entity tag (or If-Modified-Since
	// with the date when there is no tag), and when the server answers 304
	// Not Modified nothing is written and [DownloadResult].NotModified is
	// true. Otherwise the new content replaces the destination, as with
	// Overwrite. The zero value knows no version.
	KnownVersion Validators

	// Restarts says how often, and after which waits, a transfer that was
	// cut off, timed out or had to start over (the content changed, or
	// lengths disagreed) is resumed. An attempt here is a restart without
	// progress: Attempts is how many restarts in a row may bring no new byte
	// before the download gives up with [ErrTooManyRestarts]. A new byte is
	// one past the furthest any attempt of the call reached (bytes received
	// again after starting from the first byte are not progress); a restart
	// that brought new bytes resets the count and the waits. Its zero fields
	// mean: 5 attempts, waits from 250ms growing 1.5 times up to 10s,
	// jitter ±50%. A negative Attempts gives up at the first cut.
	Restarts Schedule

	// StallTimeout is how long the download waits for the next byte of a
	// response before it drops the connection and resumes; 0 means 30s.
	// The Client's *http.Client timeout, if any, still bounds each whole
	// request: leave it unset for large downloads.
	StallTimeout time.Duration

	// Progress, when not nil, is called about every ProgressInterval while
	// the download runs, and once more when it ends successfully. It is
	// called from a goroutine of the download, never concurrently with
	// itself, and must return quickly. Nil: the download keeps no progress
	// goroutine at all.
	Progress func(Progress)

	// ProgressInterval is how often Progress is called; 0 means 200ms.
	ProgressInterval time.Duration

	// minParallel and minSteal replace minParallelSize and minSteal when
	// not 0, so that tests can go parallel with small bodies.
	minParallel, minSteal int64
}

// Defaults of the download options.
const (
	defaultStallTimeout     = 30 * time.Second
	defaultProgressInterval = 200 * time.Millisecond
)

// downloadRestarts is the Schedule of a download's restarts by default.
var downloadRestarts = Schedule{Initial: 250 * time.Millisecond, Max: 10 * time.Second, Multiplier: 1.5, Jitter: 0.5, Attempts: 5}

// downloadConfig is the checked options, with their defaults.
type downloadConfig struct {
	ctx              RequestOptions  // applied once, for the download's context: NoCache, NoRetry
	perRequest       *RequestOptions // applied to every request: the rest; nil when there is none
	connections      int
	wantSHA256       []byte // expected digest; nil when not checked
	computeSHA256    bool
	failFast         bool
	noResume         bool
	overwrite        bool
	keepOnChange     bool
	sync             bool
	restarts         Schedule // defaults applied; Attempts is the most restarts in a row without progress
	stallTimeout     time.Duration
	progress         func(Progress)
	progressInterval time.Duration
	known            Validators // KnownVersion
	minParallel      int64      // smallest remainder split over connections (minParallelSize)
	minSteal         int64      // smallest range taken from another connection (minSteal)
}

// noDownloadOptions stands for nil options.
var noDownloadOptions DownloadOptions

// newDownloadConfig checks o (nil: the defaults) and applies the defaults.
func newDownloadConfig(o *DownloadOptions) (downloadConfig, error) {
	if o == nil {
		o = &noDownloadOptions
	}
	cfg := downloadConfig{
		connections:      max(o.Connections, 1),
		computeSHA256:    o.ComputeSHA256,
		failFast:         o.FailFast,
		noResume:         o.NoResume,
		overwrite:        o.Overwrite,
		keepOnChange:     o.KeepPartialOnChange,
		sync:             o.Sync,
		restarts:         o.Restarts.or(downloadRestarts),
		stallTimeout:     o.StallTimeout,
		progress:         o.Progress,
		progressInterval: o.ProgressInterval,
		minParallel:      cmp.Or(o.minParallel, minParallelSize),
		minSteal:         cmp.Or(o.minSteal, minSteal),
	}
	switch {
	case !o.IfVersion.IsZero() || o.Force:
		return downloadConfig{}, errors.New("level3: DownloadOptions: IfVersion and Force do not apply to downloads (see KnownVersion and FailFast)")
	case o.Connections < 0 || o.Connections > MaxConnections:
		return downloadConfig{}, fmt.Errorf("level3: DownloadOptions.Connections is %d: want 1 to %d (0: 1)", o.Connections, MaxConnections)
	case o.StallTimeout < 0:
		return downloadConfig{}, fmt.Errorf("level3: DownloadOptions.StallTimeout is negative (%v)", o.StallTimeout)
	case o.ProgressInterval < 0:
		return downloadConfig{}, fmt.Errorf("level3: DownloadOptions.ProgressInterval is negative (%v)", o.ProgressInterval)
	case !validHeaderValue(o.KnownVersion.ETag):
		return downloadConfig{}, fmt.Errorf("level3: DownloadOptions.KnownVersion: invalid entity tag %q", o.KnownVersion.ETag)
	}
	if err := o.Restarts.validate("DownloadOptions.Restarts"); err != nil {
		return downloadConfig{}, err
	}
	if o.Header != nil || o.IdempotencyKey != "" || o.Return != "" {
		// Refused now rather than at the first request (Apply).
		if err := o.RequestOptions.setHeaders(make(http.Header)); err != nil {
			return downloadConfig{}, err
		}
	}
	if o.SHA256 != "" {
		sum, err := hex.DecodeString(strings.TrimSpace(o.SHA256))
		if err != nil || len(sum) != 32 {
			return downloadConfig{}, fmt.Errorf("level3: DownloadOptions.SHA256 %q: want 64 hexadecimal digits", o.SHA256)
		}
		cfg.wantSHA256 = sum
	}
	if cfg.stallTimeout == 0 {
		cfg.stallTimeout = defaultStallTimeout
	}
	if cfg.progressInterval == 0 {
		cfg.progressInterval = defaultProgressInterval
	}
	cfg.known = Validators{ETag: strings.TrimSpace(o.KnownVersion.ETag), LastModified: o.KnownVersion.LastModified}
	if !cfg.known.IsZero() {
		cfg.overwrite = true
	}
	// The content streams to disk: keeping a copy in the memory cache would
	// only cost memory, and a 304 from the cache would hide what the server
	// sends now. What rides on the context is applied once (Download);
	// the rest, such as headers, to each request.
	cfg.ctx = RequestOptions{NoCache: true, NoRetry: o.NoRetry}
	rest := o.RequestOptions
	rest.NoCache, rest.NoRetry = false, false
	if !reflect.ValueOf(&rest).Elem().IsZero() {
		cfg.perRequest = &rest
	}
	return cfg, nil
}

// hashing reports whether the download computes a SHA-256 digest.
func (c *downloadConfig) hashing() bool { return c.computeSHA256 || c.wantSHA256 != nil }
