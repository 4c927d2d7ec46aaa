// This file holds Run.Work: a worker that claims items of a run
// (queue_claim.go), sends each with the per-file upload of
// Client.UploadAll, hands it to its recorder (queue_record.go), renews the
// leases of what it holds, and returns when the run is drained. Waiting out
// an unavailable Redis is queue_redis.go; the scripts are queue_scripts.go.

package l3redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/l3go/level3"
	"github.com/l3go/level3/internal/bulkhook"
)

// Pacing of a worker's loop.
const (
	// workConcurrency is how many files a worker sends at once by default,
	// as Client.UploadAll.
	workConcurrency = 4
	// idleBlock is how long a worker with nothing to do, in a run that is
	// not drained (others hold the rest), waits for new items in one
	// XREADGROUP before it looks at the run again.
	idleBlock = 100 * time.Millisecond
	// busyWait is how long a worker with files in flight and no new items
	// waits for one of them to end before it looks for new items and
	// expired leases again.
	busyWait = 100 * time.Millisecond
	// releaseIdle is the idle time given to an item handed back: far beyond
	// any lease, so any worker reclaims it at once.
	releaseIdle = 365 * 24 * time.Hour
	// graceAfterCancel bounds what a worker still does in Redis after its
	// context ended: recording what it finished, handing back the rest.
	graceAfterCancel = 5 * time.Second
)

// WorkOptions configure [Run.Work]. A nil *WorkOptions means all defaults;
// so does the zero value of each field.
type WorkOptions struct {
	// Concurrency is how many files this worker sends at once; 0 means 4.
	Concurrency int
	// Lease is how long an item this worker claims stays its own without
	// renewal, and how long an item of another worker must have gone
	// unrenewed before this one takes it over; 0 means the run's
	// ([RunOptions].Lease). The worker renews its leases every third of it.
	Lease time.Duration
	// RedisRetry says how the worker waits out an unavailable Redis (no
	// connection, a restart, a dataset loading): it keeps what it is
	// sending going and, for each Redis call, tries again after the
	// schedule's waits. Its zero fields mean: waits from 100ms doubling to
	// 5s, ±20%, 60 attempts (about 5 minutes); a negative Attempts gives up
	// at the first failure. Giving up ends Work with the error; the items
	// it held are taken over by other workers once their lease runs out.
	RedisRetry level3.Schedule
	// Consumer is the worker's name in the run's consumer group; empty
	// means host-pid-random. Two live workers must not share a name.
	Consumer string
	// OnResult, when not nil, is called once for each item this worker
	// finished and recorded, one call at a time.
	OnResult func(level3.FileResult)
	// OnProgress, when not nil, is called as files go out, as
	// [level3.BulkOptions].OnProgress.
	OnProgress func(name string, p level3.Progress)
	// Logger receives the worker's warnings (Redis unavailable, items
	// reclaimed) and debug messages; nil means none.
	Logger *slog.Logger
}

// WorkSummary counts what one worker did in [Run.Work], and the run's
// counts when it returned.
type WorkSummary struct {
	Uploaded  int           // items this worker uploaded and recorded as done
	Failed    int           // items this worker recorded as failed
	Redone    int           // items this worker sent that another had recorded first (a lease ran out): the same effect, not counted again
	Reclaimed int           // items this worker took over from another whose lease ran out
	Released  int           // items handed back unfinished when ctx ended
	Bytes     int64         // body bytes of the items this worker uploaded
	Elapsed   time.Duration // wall time of Work
	Run       Status        // the run's counts at the end (zero if Redis could not say)
}

// Work takes items of the run and uploads them with c, with the run's
// target and options, until the run is drained: every item added is done
// or failed (finished by this worker or another). Each item is sent by
// one worker in the normal case; the items of a worker that stopped
// renewing its leases (it died, or lost Redis for longer than its lease)
// are taken over after the lease and sent again, with the same effect: a
// PUT to the same URL, or a POST with the same idempotency key (derived from
// the run and the file, so a server that honours keys creates nothing
// twice). An item is recorded as done only after its upload succeeded, in
// the same atomic step that acknowledges it; an upload that succeeded while
// Redis was unavailable is recorded when it answers again.
//
// Each file is sent as [level3.Client.UploadAll] sends one: with the
// retries of the run's Retry where safe, collections made on a WebDAV
// server, a [*level3.SourceChangedError] for a file changed while sent.
// Credentials come from c (its headers, [level3.WithHeader]), never from
// Redis.
//
// Work returns nil when the run is drained with no item failed; an error
// wrapping [level3.ErrBulkFailed] when some failed (here or in another
// worker); ctx's error when it ended first (the items it was sending are
// handed back at once for others to take); an error wrapping [ErrNoRun] if
// the run disappears; and Redis's error when it stayed unavailable beyond
// opts.RedisRetry. The summary is filled in every case.
func (r *Run) Work(ctx context.Context, c *level3.Client, opts *WorkOptions) (WorkSummary, error) {
	start := time.Now()
	if err := r.check(ctx, "Run.Work"); err != nil {
		return WorkSummary{}, err
	}
	if c == nil {
		return WorkSummary{}, misuse("Run.Work", "nil *level3.Client")
	}
	var o WorkOptions
	if opts != nil {
		o = *opts
	}
	switch {
	case o.Concurrency < 0:
		return WorkSummary{}, errors.New("l3redis: WorkOptions.Concurrency is negative")
	case o.Lease != 0 && o.Lease < MinLease:
		return WorkSummary{}, fmt.Errorf("l3redis: WorkOptions.Lease %v is shorter than %v", o.Lease, MinLease)
	}
	if _, _, err := bulkhook.Waits(o.RedisRetry, defaultRedisRetry, "WorkOptions.RedisRetry"); err != nil {
		return WorkSummary{}, err
	}
	w := &worker{
		run:      r,
		consumer: o.Consumer,
		lease:    o.Lease,
		conc:     o.Concurrency,
		onResult: o.OnResult,
		log:      o.Logger,
		held:     make(map[string]bool),
	}
	if w.consumer == "" {
		w.consumer = consumerName()
	}
	if w.lease == 0 {
		w.lease = r.meta.Lease
	}
	if w.conc == 0 {
		w.conc = workConcurrency
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.log = w.log.With("run", r.name, "worker", w.consumer)
	w.redis = patience{schedule: o.RedisRetry, log: w.log}

	up, err := newUploader(ctx, c, r.meta.Target, &level3.BulkOptions{
		UploadOptions: level3.UploadOptions{
			ContentType:     r.meta.ContentType,
			Preflight:       r.meta.Preflight,
			FetchValidators: r.meta.FetchValidators,
		},
		Concurrency: w.conc,
		Retry:       r.meta.Retry,
		Put:         r.meta.Put,
		OnProgress:  o.OnProgress,
	})
	if err != nil {
		return WorkSummary{}, err
	}
	w.up = up
	err = w.work(ctx)
	if cerr := up.Close(); err == nil {
		err = cerr
	}
	w.sum.Elapsed = time.Since(start)
	if err != nil {
		return w.sum, err
	}
	if w.sum.Run.Failed > 0 {
		return w.sum, fmt.Errorf("%w: %d of %d items of run %s failed", level3.ErrBulkFailed, w.sum.Run.Failed, w.sum.Run.Total, r.name)
	}
	return w.sum, nil
}

// worker is the state of one Run.Work.
type worker struct {
	run      *Run
	up       *uploader
	consumer string
	lease    time.Duration
	conc     int
	redis    patience
	log      *slog.Logger
	onResult func(level3.FileResult)

	mu   sync.Mutex      // guards held, sum, and calls of onResult
	held map[string]bool // stream entry IDs of the items in flight here
	sum  WorkSummary
}

// claimed is one item a worker got from the stream.
type claimed struct {
	id, path, name string
}

// The stages of an item in a worker, as events its goroutines send to the
// loop (work): an upload ended and the item went to the recorder; an upload
// was cut short and the item handed back; the recorder recorded the item
// (err: the worker must stop).
type (
	eventKind int8
	workEvent struct {
		kind eventKind
		err  error
	}
)

const (
	uploaded eventKind = iota
	released
	recorded
)

// pipeline counts the items a worker holds, by stage: claimed but not
// started (buffer: so that a free slot starts its next file without waiting
// for Redis), being sent, being recorded.
type pipeline struct {
	buffer    []claimed
	uploading int
	recording int
	failure   error // the first error that must stop the worker
}

// note takes one event into account.
func (p *pipeline) note(e workEvent) {
	switch e.kind {
	case uploaded:
		p.uploading--
		p.recording++
	case released:
		p.uploading--
	case recorded:
		p.recording--
		if e.err != nil && p.failure == nil {
			p.failure = e.err
		}
	}
}

// busy reports whether any item is held.
func (p *pipeline) busy() bool { return len(p.buffer)+p.uploading+p.recording > 0 }

// work is the worker's loop. It keeps up to Concurrency files in flight,
// starting each from a buffer of as many claimed items that it refills
// from Redis (new items, then expired leases) while files are sent, and
// hands each sent file to the recorder (queue_record.go), whose round trips
// to Redis are not the uploads' either; it holds at most three times
// Concurrency items in all. It returns when the run is drained, ctx ends or
// Redis fails for good, after handing back what it had not started and
// waiting for what it had.
func (w *worker) work(ctx context.Context) error {
	maxHeld := w.maxHeld()
	events := make(chan workEvent, 2*maxHeld) // never full: at most two events per item held
	records := make(chan sent, maxHeld)
	recorderDone := make(chan struct{})
	go func() {
		defer close(recorderDone)
		w.recordAll(ctx, records, events)
	}()
	stopRenewing := w.renewLeases(ctx)
	defer stopRenewing()

	var p pipeline
	cursor := "0-0"
	var lastReclaim time.Time
	reclaimEvery := max(w.lease/4, 50*time.Millisecond)
	for p.failure == nil && ctx.Err() == nil {
	collect: // what happened meanwhile, without waiting
		for {
			select {
			case e := <-events:
				p.note(e)
			default:
				break collect
			}
		}
		if p.failure != nil {
			break
		}
		for p.uploading < w.conc && len(p.buffer) > 0 {
			p.uploading++
			go w.process(ctx, p.buffer[0], events, records)
			p.buffer = p.buffer[1:]
		}
		want := min(w.conc-len(p.buffer), maxHeld-len(p.buffer)-p.uploading-p.recording)
		empty := false // the stream has nothing for this worker now
		if want > 0 {
			var items []claimed
			var err error
			if time.Since(lastReclaim) >= reclaimEvery {
				lastReclaim = time.Now()
				if items, cursor, err = w.reclaim(ctx, cursor, want); err != nil {
					p.failure = err
					break
				}
			}
			if len(items) < want {
				more, err := w.claim(ctx, want-len(items), 0)
				if err != nil {
					p.failure = err
					break
				}
				items = append(items, more...)
			}
			w.hold(items)
			p.buffer = append(p.buffer, items...)
			if len(items) > 0 {
				continue // start them
			}
			empty = true
			lastReclaim = time.Time{} // nothing new: look for dead workers' items next time
		}
		if empty && !p.busy() {
			drained, items, err := w.idle(ctx, w.conc)
			if err != nil {
				p.failure = err
				break
			}
			if drained {
				break
			}
			w.hold(items)
			p.buffer = append(p.buffer, items...)
			continue
		}
		// Wait for a slot to free, or, with nothing new in the stream, a
		// while for new items (another adder) and leases running out.
		var (
			timer *time.Timer
			tick  <-chan time.Time
		)
		if empty {
			timer = time.NewTimer(busyWait)
			tick = timer.C
		}
		select {
		case e := <-events:
			p.note(e)
		case <-tick:
		case <-ctx.Done():
		}
		if timer != nil {
			timer.Stop()
		}
	}
	// Hand back what was not started, wait for the rest.
	w.release(ctx, p.buffer...)
	p.buffer = nil
	for p.busy() {
		p.note(<-events)
	}
	close(records)
	<-recorderDone
	stopRenewing()
	failure := p.failure
	if failure == nil {
		failure = ctx.Err()
	}
	ctx, cancel := afterCancel(ctx)
	defer cancel()
	w.leave(ctx)
	if st, err := w.run.status(ctx); err == nil {
		w.sum.Run = st
	}
	return failure
}

// maxHeld is how many items a worker holds at most: claimed ahead, being
// sent and being recorded.
func (w *worker) maxHeld() int { return 3 * w.conc }

// idle is what a worker holding nothing does when the stream has nothing
// for it: it reports whether the run is drained, and if not, waits up to
// idleBlock for up to n new items (others hold the rest).
func (w *worker) idle(ctx context.Context, n int) (drained bool, items []claimed, err error) {
	var st Status
	err = w.redis.do(ctx, "reading the status", func(ctx context.Context) (err error) {
		st, err = w.run.status(ctx)
		return err
	})
	if err != nil || st.Drained() {
		return err == nil, nil, err
	}
	items, err = w.claim(ctx, n, idleBlock)
	return false, items, err
}

// afterCancel returns ctx, or, once ctx ended, a context that outlives it by
// graceAfterCancel, for the Redis calls that must still be made (recording
// an upload that finished, handing back an item).
func afterCancel(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Err() == nil {
		return ctx, func() {}
	}
	return context.WithTimeout(context.WithoutCancel(ctx), graceAfterCancel)
}

// hold and unhold track the items in flight here, whose leases
// renewLeases keeps.
func (w *worker) hold(items []claimed) {
	w.mu.Lock()
	for _, it := range items {
		w.held[it.id] = true
	}
	w.mu.Unlock()
}

func (w *worker) unhold(id string) {
	w.mu.Lock()
	delete(w.held, id)
	w.mu.Unlock()
}

// process uploads one item and hands it to the recorder (queue_record.go).
// An item cut short by ctx is handed back for another worker to take now.
func (w *worker) process(ctx context.Context, it claimed, events chan<- workEvent, records chan<- sent) {
	fr := w.up.upload(ctx, bulkhook.File{Path: it.path, Name: it.name, Key: w.run.itemKey(it.path)})
	if fr.Err != nil && ctx.Err() != nil {
		w.release(ctx, it)
		events <- workEvent{kind: released}
		return
	}
	events <- workEvent{kind: uploaded}
	records <- sent{it: it, fr: fr}
}

// release hands items back for any worker to take at once (their lease
// set far in the past), stops renewing them and counts them as released.
// It still reaches Redis for a while after ctx ended.
func (w *worker) release(ctx context.Context, items ...claimed) {
	if len(items) == 0 {
		return
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.id
	}
	rctx, cancel := afterCancel(ctx)
	w.setLeases(rctx, ids, releaseIdle)
	cancel()
	w.mu.Lock()
	for _, id := range ids {
		delete(w.held, id)
	}
	w.sum.Released += len(ids)
	w.mu.Unlock()
}

// renewLeases renews the leases of the items in flight here every third of
// the lease, until the returned stop is called (more than once is fine).
// A renewal that fails (Redis unavailable) is only logged: the next one may
// succeed, and an item whose lease runs out meanwhile is sent again by
// another worker, with the same effect.
func (w *worker) renewLeases(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(max(w.lease/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				w.mu.Lock()
				ids := make([]string, 0, len(w.held))
				for id := range w.held {
					ids = append(ids, id)
				}
				w.mu.Unlock()
				w.setLeases(ctx, ids, 0)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
}

// setLeases sets the idle time of the entries ids that this worker still
// holds: 0 renews their leases, releaseIdle hands them back.
func (w *worker) setLeases(ctx context.Context, ids []string, idle time.Duration) {
	if len(ids) == 0 {
		return
	}
	args := make([]any, 0, 3+len(ids))
	args = append(args, group, w.consumer, idle.Milliseconds())
	for _, id := range ids {
		args = append(args, id)
	}
	if err := leaseScript.Run(ctx, w.run.q.rdb, []string{w.run.keys.stream}, args...).Err(); err != nil && ctx.Err() == nil {
		w.log.Warn("l3redis: could not renew or hand back leases", "items", len(ids), "err", err)
	}
}

// leave removes the worker from the consumer group if it holds nothing, so
// that finished workers do not pile up in the group.
func (w *worker) leave(ctx context.Context) {
	err := leaveScript.Run(ctx, w.run.q.rdb, []string{w.run.keys.stream}, group, w.consumer).Err()
	if err != nil {
		w.log.Debug("l3redis: could not leave the consumer group", "err", err)
	}
}
