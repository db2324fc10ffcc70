package lock

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/relmig/relmig/history"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Defaults of New.
const (
	DefaultCollection    = "relmig_lock"
	DefaultName          = "relmig"
	DefaultLeaseDuration = 30 * time.Second
)

// Owner identifies the holder of a lease.
type Owner struct {
	RunID string `bson:"run_id" json:"run_id"`
	Host  string `bson:"host" json:"host"`
	PID   int    `bson:"pid" json:"pid"`
}

// String names the owner for messages: run, pid and host.
func (o Owner) String() string {
	return fmt.Sprintf("run %s (pid %d on %s)", o.RunID, o.PID, o.Host)
}

// Info is the lease document: who holds the lock and until when.
type Info struct {
	Name  string `bson:"_id" json:"name"`
	Owner Owner  `bson:"owner" json:"owner"`
	// Token is fresh for every acquisition; every write to the lease is
	// conditioned on it, so a holder can never touch a successor's lease.
	Token    string    `bson:"token" json:"token"`
	Acquired time.Time `bson:"acquired" json:"acquired"`
	Renewed  time.Time `bson:"renewed" json:"renewed"`
	Expires  time.Time `bson:"expires" json:"expires"`
	// DeadRuns are runs whose running attempts the holder must still mark
	// interrupted: set by a takeover, cleared once that is done, and
	// inherited by the next taker if the holder failed to.
	DeadRuns []string `bson:"dead_runs" json:"dead_runs"`
}

// Expired reports whether the lease was no longer valid at t.
func (i Info) Expired(t time.Time) bool { return i.Expires.Before(t) }

// Superseded is what displacing a lease did: the lease that was taken over
// (Acquire) or broken (Break), and the attempts of its run that became
// interrupted.
type Superseded struct {
	Previous    Info
	Interrupted []history.Attempt
}

// Locker takes the lease lock that makes one run at a time change a
// database. It is a lease, not a mutex: the holder renews it from
// a heartbeat, and a holder that stops renewing (killed, partitioned) loses
// it when it expires, so a crash never leaves the database locked forever.
//
// Clock: lease times are written and compared with the clients' wall clocks,
// so the lock assumes the clocks of any two contenders differ by much less
// than a third of the lease (the renewal margin); with NTP, skew is
// milliseconds against a 30 s lease.
//
// Atomicity: the lock relies only on two server guarantees. (1) Inserting a
// document whose _id exists fails with a duplicate-key error — on MongoDB
// and on FerretDB alike. (2) On MongoDB, findAndModify evaluates its filter
// and writes in one atomic step per document. FerretDB v1.24 (SQLite) does
// not give (2): it reads matching documents, then overwrites them by _id, so
// two contenders taking over the same expired lease both "succeed" (20 of
// 20 trials in a probe against the development server). Taking over
// therefore first inserts a claim (a Event whose _id names the expired
// lease's token), which (1) makes exclusive on both servers; the claim is
// also the audit record of the takeover.
type Locker struct {
	coll  *mongo.Collection
	store history.Store
	owner Owner
	name  string
	lease time.Duration
	retry time.Duration
}

// Option configures New.
type Option func(*config) error

type config struct {
	coll, name   string
	lease, retry time.Duration
}

// WithCollection names the lock collection (default relmig_lock).
func WithCollection(name string) Option {
	return func(c *config) error {
		if err := history.CheckCollectionName(name); err != nil {
			return fmt.Errorf("lock collection: %w", err)
		}
		c.coll = name
		return nil
	}
}

// WithName sets the lease document's _id (default "relmig"): two
// Lockers exclude each other when they share collection and name.
func WithName(name string) Option {
	return func(c *config) error {
		if name == "" || strings.Contains(name, "/") {
			return fmt.Errorf("%w: lock name %q: must be non-empty, without '/'", ErrInvalid, name)
		}
		c.name = name
		return nil
	}
}

// WithLeaseDuration sets how long a lease lasts without renewal (default
// 30s, at least 300ms). The heartbeat renews at a third of it; a dead
// holder's lease is taken over after at most this long.
func WithLeaseDuration(d time.Duration) Option {
	return func(c *config) error {
		if d < 300*time.Millisecond {
			return fmt.Errorf("%w: lease duration %s is under 300ms", ErrInvalid, d)
		}
		c.lease = d
		return nil
	}
}

// WithRetryInterval sets the mean pause between attempts of AcquireWait
// (default a tenth of the lease, at most 1s); each pause is jittered by
// ±50% so that waiting replicas do not retry in lockstep.
func WithRetryInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: retry interval %s", ErrInvalid, d)
		}
		c.retry = d
		return nil
	}
}

// New returns a Locker for owner on the lock collection of db. store
// is where a dead holder's running attempts are marked interrupted; it
// must be the store of the same database. owner.RunID is required. It does
// no I/O. Errors: ErrInvalid.
func New(db *mongo.Database, store history.Store, owner Owner, opts ...Option) (*Locker, error) {
	if db == nil || store == nil {
		return nil, fmt.Errorf("%w: locker needs a database and a store", ErrInvalid)
	}
	if owner.RunID == "" {
		return nil, fmt.Errorf("%w: lock owner has no run id", ErrInvalid)
	}
	cfg := config{coll: DefaultCollection, name: DefaultName, lease: DefaultLeaseDuration}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.retry == 0 {
		cfg.retry = min(cfg.lease/10, time.Second)
	}
	return &Locker{
		coll:  history.DurableCollection(db, cfg.coll),
		store: store,
		owner: owner,
		name:  cfg.name,
		lease: cfg.lease,
		retry: cfg.retry,
	}, nil
}

// Acquire takes the lock once, without waiting. On success the returned
// Lease is renewed in the background until Release; when the lease taken was
// an expired one of another run, Lease.Superseded names it and the attempts
// of that run that were marked interrupted.
// Errors: a *HeldError (errors.Is ErrHeld) when another run holds a
// live lease, including another Lease of this same run (in the rare case
// that the lease changed hands on every one of a few rounds, an error
// wrapping ErrHeld without a holder to name). Any other error is
// a real failure (the server is unreachable, the write was refused) and is
// returned as itself, never as "held".
func (l *Locker) Acquire(ctx context.Context) (*Lease, error) {
	// A lease that changes between the read and the conditional write (its
	// holder released it, another contender won it) is read again; a few
	// rounds settle it.
	for range 4 {
		lease, again, err := l.tryAcquire(ctx)
		if !again {
			return lease, err
		}
	}
	// Others keep winning: report whoever holds it now.
	cur, found, err := l.read(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire lock %s: %w", l.name, err)
	}
	if !found {
		return nil, fmt.Errorf("acquire lock %s: %w: it changed hands on every attempt", l.name, ErrHeld)
	}
	return nil, &HeldError{Lock: l.name, Owner: cur.Owner, Expires: cur.Expires}
}

// AcquireWait is Acquire retried, with jitter, while the lock is held, for
// up to wait (the --wait-lock duration). It returns the last *HeldError
// when the wait ran out, and stops early on any other error or when ctx
// ends.
func (l *Locker) AcquireWait(ctx context.Context, wait time.Duration) (*Lease, error) {
	deadline := time.Now().Add(wait)
	for {
		lease, err := l.Acquire(ctx)
		if err == nil || !errors.Is(err, ErrHeld) {
			return lease, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, err
		}
		pause := min(l.retry/2+rand.N(l.retry), left)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for lock %s: %w (%w)", l.name, ctx.Err(), err)
		case <-time.After(pause):
		}
	}
}

// tryAcquire is one round of Acquire; again asks for another round.
func (l *Locker) tryAcquire(ctx context.Context) (lease *Lease, again bool, err error) {
	cur, found, err := l.read(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("acquire lock %s: %w", l.name, err)
	}
	sent := time.Now()
	t := dbTime(sent)
	next := Info{Name: l.name, Owner: l.owner, Token: newToken(), Acquired: t, Renewed: t, Expires: t.Add(l.lease), DeadRuns: []string{}}
	if !found {
		// Free. An insert is atomic on every server: of two contenders
		// exactly one inserts, the other gets a duplicate key and reads
		// who won in the next round.
		_, err := l.coll.InsertOne(ctx, next)
		if mongo.IsDuplicateKeyError(err) {
			return nil, true, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("acquire lock %s: %w", l.name, err)
		}
		return l.start(ctx, next, sent), false, nil
	}
	if !cur.Expired(t) {
		return nil, false, &HeldError{Lock: l.name, Owner: cur.Owner, Expires: cur.Expires}
	}
	return l.takeOver(ctx, cur, next, sent)
}

// takeOver replaces the expired lease cur by next, then marks the dead
// runs' running attempts interrupted.
func (l *Locker) takeOver(ctx context.Context, cur, next Info, sent time.Time) (*Lease, bool, error) {
	claim, rival, err := l.claim(ctx, cur)
	if err != nil {
		return nil, false, fmt.Errorf("acquire lock %s: claim expired lease of %s: %w", l.name, cur.Owner, err)
	}
	if rival != nil {
		return nil, false, &HeldError{Lock: l.name, Owner: cur.Owner, Expires: cur.Expires, TakingOver: rival}
	}
	next.DeadRuns = slices.Clone(cur.DeadRuns)
	if cur.Owner.RunID != l.owner.RunID && !slices.Contains(next.DeadRuns, cur.Owner.RunID) {
		next.DeadRuns = append(next.DeadRuns, cur.Owner.RunID)
	}
	if time.Now().After(claim.ValidUntil) {
		return nil, true, nil // too slow to use the claim safely: start over
	}
	// Conditioned on the token we read: on MongoDB this alone is an atomic
	// compare-and-swap; the claim makes it exclusive on FerretDB too.
	err = l.coll.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: l.name}, {Key: "token", Value: cur.Token}, {Key: "expires", Value: bson.D{{Key: "$lt", Value: next.Acquired}}}},
		bson.D{{Key: "$set", Value: leaseFields(next)}},
	).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, true, nil // released or broken meanwhile
	}
	if err != nil {
		return nil, false, fmt.Errorf("acquire lock %s: take over from %s: %w", l.name, cur.Owner, err)
	}
	lease := l.start(ctx, next, sent)
	done, err := l.interruptDead(ctx, lease, cur)
	if err != nil {
		// Keep dead_runs in the lease so that whoever takes it next finishes
		// the job, and let it expire now rather than deleting it.
		return nil, false, errors.Join(
			fmt.Errorf("acquire lock %s: mark attempts of dead runs interrupted: %w", l.name, err),
			lease.expire(ctx))
	}
	lease.superseded = &Superseded{Previous: cur, Interrupted: done}
	return lease, false, nil
}

// claim inserts the takeover claim for the expired lease cur. It returns
// the claim, or the owner of a live rival claim. A claim whose claimant did
// not complete the takeover within its validity (it crashed in between) is
// superseded by the next slot.
func (l *Locker) claim(ctx context.Context, cur Info) (*Event, *Owner, error) {
	const slots = 8
	for slot := range slots {
		t := now()
		ev := Event{
			ID: fmt.Sprintf("%s/takeover/%s/%d", l.name, cur.Token, slot), Lock: l.name, Kind: EventTakeover, At: t,
			Previous: cur, NewOwner: &l.owner, ValidUntil: t.Add(l.lease / 3),
		}
		_, err := l.coll.InsertOne(ctx, ev)
		if err == nil {
			return &ev, nil, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, nil, err
		}
		var other Event
		if err := l.coll.FindOne(ctx, bson.D{{Key: "_id", Value: ev.ID}}).Decode(&other); err != nil {
			return nil, nil, fmt.Errorf("read rival claim: %w", err)
		}
		if other.ValidUntil.After(time.Now()) {
			return nil, other.NewOwner, nil
		}
	}
	return nil, nil, fmt.Errorf("%d abandoned takeover claims; break the lock by hand", slots)
}

// interruptDead marks the running attempts of the lease's dead runs
// interrupted and then clears them from the lease.
func (l *Locker) interruptDead(ctx context.Context, lease *Lease, prev Info) ([]history.Attempt, error) {
	var all []history.Attempt
	dead := lease.Info().DeadRuns
	for _, run := range dead {
		reason := fmt.Sprintf("run %s stopped renewing lock %s (lease expired %s); taken over by %s",
			run, l.name, prev.Expires.Format(time.RFC3339), l.owner)
		if run != prev.Owner.RunID {
			reason = fmt.Sprintf("run %s lost lock %s and a later holder could not finish marking it; taken over by %s", run, l.name, l.owner)
		}
		done, err := l.store.InterruptRunning(ctx, run, reason)
		all = append(all, done...)
		if err != nil {
			return all, err
		}
	}
	if len(dead) == 0 {
		return all, nil
	}
	err := l.coll.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: l.name}, {Key: "token", Value: lease.Info().Token}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "dead_runs", Value: bson.A{}}}}},
	).Err()
	if err != nil {
		return all, fmt.Errorf("clear dead runs: %w", err)
	}
	lease.mu.Lock()
	lease.info.DeadRuns = []string{}
	lease.mu.Unlock()
	return all, nil
}

// read returns the lease document; found is false when the lock is free.
func (l *Locker) read(ctx context.Context) (Info, bool, error) {
	var cur Info
	err := l.coll.FindOne(ctx, bson.D{{Key: "_id", Value: l.name}}).Decode(&cur)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Info{}, false, nil
	}
	if err != nil {
		return Info{}, false, fmt.Errorf("read lease: %w", err)
	}
	return cur, true, nil
}

// leaseFields is the $set of a lease document (all but its _id, which an
// update must not name).
func leaseFields(i Info) bson.D {
	return bson.D{
		{Key: "owner", Value: i.Owner},
		{Key: "token", Value: i.Token},
		{Key: "acquired", Value: i.Acquired},
		{Key: "renewed", Value: i.Renewed},
		{Key: "expires", Value: i.Expires},
		{Key: "dead_runs", Value: i.DeadRuns},
	}
}
