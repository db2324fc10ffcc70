package lock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// releaseTimeout bounds Release, which runs even after the caller's context
// was cancelled and so has no other deadline.
const releaseTimeout = 10 * time.Second

// Lease is a held lock. A heartbeat renews it every third of the lease
// duration until Release. A renewal that fails for a passing reason (the
// server did not answer) is retried until the lease has expired by this
// holder's clocks; the lease is lost when that happens, or as soon as the
// server shows it is no longer this holder's (broken, taken over). Then
// Lost is closed and Err says why, and the holder must stop: before its
// next migration, and by stopping the script under way, whose attempt a
// successor records as interrupted.
//
// Valid and Verify are the holder's fence: a migration is claimed only
// while Valid says enough of the lease is left by this host's own clocks,
// and started only after Verify read the lease back as this holder's.
type Lease struct {
	l          *Locker
	superseded *Superseded // set once by Acquire, read-only afterwards

	mu   sync.Mutex // guards info, until, err, released
	info Info
	// until is when the lease expires by this process's monotonic clock:
	// the moment the last successful write of the lease was sent, plus the
	// lease duration. The wall clock (info.Expires) is checked too, because
	// the monotonic clock stands still while a host is suspended.
	until    time.Time
	err      error
	released bool

	lost chan struct{}
	stop context.CancelFunc
	done chan struct{} // closed when the heartbeat returned
}

// start begins holding info, written by a request sent at sent: it returns
// the lease with its heartbeat running. The heartbeat keeps the values of
// ctx but not its cancellation, so that a cancelled run keeps its lease
// until it has recorded the interruption and called Release.
func (l *Locker) start(ctx context.Context, info Info, sent time.Time) *Lease {
	hbCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	ls := &Lease{l: l, info: info, until: sent.Add(l.lease), lost: make(chan struct{}), stop: stop, done: make(chan struct{})}
	go ls.heartbeat(hbCtx)
	return ls
}

// Info returns the lease document as last written by this holder.
func (ls *Lease) Info() Info {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.info
}

// Superseded returns the expired lease this one took over and the attempts
// of its run that were marked interrupted, or nil when the lock was free.
func (ls *Lease) Superseded() *Superseded { return ls.superseded }

// Lost is closed when the lease is lost.
func (ls *Lease) Lost() <-chan struct{} { return ls.lost }

// Err returns nil while the lease is held, and after a loss an error
// wrapping ErrLost that says why.
func (ls *Lease) Err() error {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.err
}

// Margin is how much of the lease must be left, by this holder's clocks,
// for it to claim or start a migration: a fifth of the lease. It covers
// the clock skew between hosts and the time from the check to the start.
func (ls *Lease) Margin() time.Duration { return ls.l.margin() }

func (l *Locker) margin() time.Duration { return l.lease / 5 }

// left is how long the lease is still valid at now, by the smaller of the
// monotonic and the wall-clock reading.
func (ls *Lease) left(now time.Time) time.Duration {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return min(ls.until.Sub(now), ls.info.Expires.Sub(now.Round(0)))
}

// Valid returns nil when the lease is held and more than Margin of it is
// left now, by this host's monotonic and wall clocks alike. It does no
// I/O. A lease found expired is lost (a successor may hold it by now).
// Errors: an error wrapping ErrLost.
func (ls *Lease) Valid() error {
	if err := ls.Err(); err != nil {
		return err
	}
	left := ls.left(time.Now())
	if left <= 0 {
		ls.markLost(fmt.Errorf("it expired %s ago by this host's clock (the run stalled, or could not renew)", (-left).Round(time.Millisecond)))
		return ls.Err()
	}
	if m := ls.l.margin(); left < m {
		return fmt.Errorf("%w: lock %s: only %s of the lease is left by this host's clock, under the %s safety margin",
			ErrLost, ls.l.name, left.Round(time.Millisecond), m)
	}
	return nil
}

// Verify reads the lease back and returns nil when it is still this
// holder's, and Valid after the read. A lease found broken or taken over
// is lost.
// Errors: an error wrapping ErrLost, or the database error that kept
// it from reading the lease (then the caller cannot know, and must not
// start anything).
func (ls *Lease) Verify(ctx context.Context) error {
	if err := ls.Valid(); err != nil {
		return err
	}
	info := ls.Info()
	cur, found, err := ls.l.read(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("verify lock %s: %w", ls.l.name, err)
	case !found:
		ls.markLost(errors.New("the lease was broken or released by someone else"))
	case cur.Token != info.Token:
		ls.markLost(fmt.Errorf("the lease was taken over by %s", cur.Owner))
	}
	return ls.Valid()
}

func (ls *Lease) markLost(cause error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.err != nil {
		return
	}
	ls.err = fmt.Errorf("%w: lock %s: %w", ErrLost, ls.l.name, cause)
	close(ls.lost)
}

// errGone marks a renewal the server refused because the lease is no longer
// this holder's: retrying cannot help.
type errGone struct{ error }

func (ls *Lease) heartbeat(ctx context.Context) {
	defer close(ls.done)
	every := ls.l.lease / 3
	// A failed renewal is retried at this pace until the lease has expired
	// by this holder's clock.
	retry := min(max(ls.l.lease/30, 50*time.Millisecond), time.Second)
	timer := time.NewTimer(every)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		err := ls.renew(ctx)
		if ctx.Err() != nil {
			return // stopped by Release while renewing: not a loss
		}
		var gone errGone
		switch {
		case err == nil:
			timer.Reset(every)
		case errors.As(err, &gone):
			ls.markLost(gone.error)
			return
		case ls.left(time.Now()) <= 0:
			ls.markLost(fmt.Errorf("no renewal succeeded before it expired; the last one: %w", err))
			return
		default:
			timer.Reset(retry)
		}
	}
}

// renew extends the lease by its duration. It only renews a lease that
// still has more than the safety margin left, by this holder's clock: a
// contender may take a lease over once it has expired by its clock, and
// the margin keeps the renewal from landing on a lease that is being taken
// over. On MongoDB the filter and the write are atomic anyway; FerretDB
// evaluates them in two steps, and the margin covers the gap there.
// Errors: errGone when the lease is not this holder's any more or too
// little of it is left; otherwise the passing error, to be retried.
func (ls *Lease) renew(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, ls.l.lease/3)
	defer cancel()
	info := ls.Info()
	sent := time.Now()
	t := dbTime(sent)
	res := ls.l.coll.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: info.Name}, {Key: "token", Value: info.Token}, {Key: "expires", Value: bson.D{{Key: "$gt", Value: t.Add(ls.l.margin())}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "renewed", Value: t}, {Key: "expires", Value: t.Add(ls.l.lease)}}}},
		options.FindOneAndUpdate().SetReturnDocument(options.After))
	var got Info
	err := res.Decode(&got)
	if errors.Is(err, mongo.ErrNoDocuments) {
		why := ls.whyGone(ctx, info, t)
		if errors.As(why, new(errGone)) {
			return why
		}
		return fmt.Errorf("renew: %w", why)
	}
	if err != nil {
		return fmt.Errorf("renew: %w", err)
	}
	ls.mu.Lock()
	ls.info.Renewed, ls.info.Expires = got.Renewed, got.Expires
	ls.until = sent.Add(ls.l.lease)
	ls.mu.Unlock()
	return nil
}

// whyGone explains why the lease info is no longer renewable: an errGone
// when the server's answer settles it.
func (ls *Lease) whyGone(ctx context.Context, info Info, t time.Time) error {
	cur, found, err := ls.l.read(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("lease not renewable, and reading it failed: %w", err)
	case !found:
		return errGone{errors.New("the lease was broken or released by someone else")}
	case cur.Token != info.Token:
		return errGone{fmt.Errorf("the lease was taken over by %s", cur.Owner)}
	default:
		return errGone{fmt.Errorf("renewal came too late: the lease expires at %s, at %s less than the %s margin was left",
			cur.Expires.Format(time.RFC3339Nano), t.Format(time.RFC3339Nano), ls.l.margin())}
	}
}

// Release stops the heartbeat and deletes the lease, if it is still this
// holder's and still valid. It runs under context.WithoutCancel(ctx) with
// its own timeout, so that a run stopped by Ctrl-C still unlocks. Calling
// it again does nothing.
// Errors: an error wrapping ErrLost when the lease was lost before or
// could not be deleted because it was no longer this holder's; the lease
// is then left to its current holder, or to expire.
func (ls *Lease) Release(ctx context.Context) error {
	if !ls.finish() {
		return nil
	}
	if err := ls.Err(); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	info := ls.Info()
	t := now()
	// Only a lease still valid by our clock is deleted: an expired one may
	// be being taken over, and its taker will mark our run's running
	// attempts interrupted, which is right, since we could not renew.
	res, err := ls.l.coll.DeleteOne(ctx, bson.D{
		{Key: "_id", Value: info.Name}, {Key: "token", Value: info.Token}, {Key: "expires", Value: bson.D{{Key: "$gt", Value: t}}},
	})
	if err != nil {
		return fmt.Errorf("release lock %s: %w", info.Name, err)
	}
	if res.DeletedCount == 0 {
		err := ls.whyGone(ctx, info, t)
		return fmt.Errorf("release: %w: lock %s: %w", ErrLost, info.Name, err)
	}
	return nil
}

// expire gives the lease up by making it expire now instead of deleting
// it, so that its dead_runs survive for the next holder.
func (ls *Lease) expire(ctx context.Context) error {
	if !ls.finish() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	info := ls.Info()
	past := now().Add(-time.Millisecond)
	_, err := ls.l.coll.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: info.Name}, {Key: "token", Value: info.Token}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "expires", Value: past}}}})
	if err != nil {
		return fmt.Errorf("give up lock %s: %w", info.Name, err)
	}
	return nil
}

// Abandon stops renewing the lease without releasing it, as a holder that
// died would: the lease expires and the next taker takes it over and marks
// this run's running attempts interrupted. The lock's test suite uses it
// to play a holder's death.
func (ls *Lease) Abandon() { ls.finish() }

// finish stops the heartbeat once; it reports whether this call did.
func (ls *Lease) finish() bool {
	ls.mu.Lock()
	if ls.released {
		ls.mu.Unlock()
		return false
	}
	ls.released = true
	ls.mu.Unlock()
	ls.stop()
	<-ls.done
	return true
}
