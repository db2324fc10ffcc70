package history

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
// duration until Release. If a renewal fails or finds the lease no longer
// its own, the lease is lost: Lost is closed and Err says why, and the
// holder must stop before its next migration (a script already running
// cannot be recalled; its Finish then reports ErrNotRunning if a successor
// marked it interrupted).
type Lease struct {
	l          *Locker
	superseded *Superseded // set once by Acquire, read-only afterwards

	mu       sync.Mutex // guards info, err, released
	info     LockInfo
	err      error
	released bool

	lost chan struct{}
	stop context.CancelFunc
	done chan struct{} // closed when the heartbeat returned
}

// start begins holding info: it returns the lease with its heartbeat
// running. The heartbeat keeps the values of ctx but not its cancellation,
// so that a cancelled run keeps its lease until it has recorded the
// interruption and called Release.
func (l *Locker) start(ctx context.Context, info LockInfo) *Lease {
	hbCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	ls := &Lease{l: l, info: info, lost: make(chan struct{}), stop: stop, done: make(chan struct{})}
	go ls.heartbeat(hbCtx)
	return ls
}

// Info returns the lease document as last written by this holder.
func (ls *Lease) Info() LockInfo {
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
// wrapping ErrLeaseLost that says why.
func (ls *Lease) Err() error {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.err
}

func (ls *Lease) markLost(cause error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.err != nil {
		return
	}
	ls.err = fmt.Errorf("%w: lock %s: %w", ErrLeaseLost, ls.l.name, cause)
	close(ls.lost)
}

func (ls *Lease) heartbeat(ctx context.Context) {
	defer close(ls.done)
	tick := time.NewTicker(ls.l.lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := ls.renew(ctx); err != nil {
			if ctx.Err() != nil {
				return // stopped by Release while renewing: not a loss
			}
			ls.markLost(err)
			return
		}
	}
}

// renew extends the lease by its duration. It only renews a lease that
// still has more than a third of its time left, by this holder's clock:
// a contender may take a lease over once it has expired by its clock, and
// this margin keeps the renewal from landing on a lease that is being taken
// over. On MongoDB the filter and the write are atomic anyway; FerretDB
// evaluates them in two steps, and the margin covers the gap there.
func (ls *Lease) renew(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, ls.l.lease/3)
	defer cancel()
	info := ls.Info()
	t := now()
	margin := ls.l.lease / 3
	res := ls.l.coll.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: info.Name}, {Key: "token", Value: info.Token}, {Key: "expires", Value: bson.D{{Key: "$gt", Value: t.Add(margin)}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "renewed", Value: t}, {Key: "expires", Value: t.Add(ls.l.lease)}}}},
		options.FindOneAndUpdate().SetReturnDocument(options.After))
	var got LockInfo
	err := res.Decode(&got)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ls.whyGone(ctx, info, t)
	}
	if err != nil {
		return fmt.Errorf("renew: %w", err)
	}
	ls.mu.Lock()
	ls.info.Renewed, ls.info.Expires = got.Renewed, got.Expires
	ls.mu.Unlock()
	return nil
}

// whyGone explains why the lease info is no longer renewable.
func (ls *Lease) whyGone(ctx context.Context, info LockInfo, t time.Time) error {
	cur, found, err := ls.l.read(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("lease not renewable, and reading it failed: %w", err)
	case !found:
		return errors.New("the lease was broken or released by someone else")
	case cur.Token != info.Token:
		return fmt.Errorf("the lease was taken over by %s", cur.Owner)
	default:
		return fmt.Errorf("renewal came too late: the lease expires at %s, at %s less than a third of it was left",
			cur.Expires.Format(time.RFC3339Nano), t.Format(time.RFC3339Nano))
	}
}

// Release stops the heartbeat and deletes the lease, if it is still this
// holder's and still valid. It runs under context.WithoutCancel(ctx) with
// its own timeout, so that a run stopped by Ctrl-C still unlocks. Calling
// it again does nothing.
// Errors: an error wrapping ErrLeaseLost when the lease was lost before or
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
		return fmt.Errorf("release: %w: lock %s: %w", ErrLeaseLost, info.Name, err)
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
