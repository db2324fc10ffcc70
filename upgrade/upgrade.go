// Package upgrade is relmig's upgrade as one library object: the protocol
// that `relmig up`, `status`, `baseline` and `mark` share, usable from any
// Go program without the command line.
//
// An Upgrader is built once, by New, from a compiled map, the history
// store, the database the map's checks read, and the lease lock. Plan is
// the pure planner over the store's summaries (status and the dry run);
// Apply takes the lock, plans under it, checks every requirement, runs the
// plan and returns one Report; Baseline and Mark record operators'
// decisions under the lock. Progress goes to an event callback; nothing
// here prints, reads the environment or exits.
package upgrade

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/lock"
	"github.com/relmig/relmig/plan"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/runner"
)

// Locker takes the database's lease lock; *lock.Locker is the one
// relmig uses. Acquire returns a *lock.HeldError when another run holds
// it; AcquireWait retries for up to wait.
type Locker interface {
	Acquire(ctx context.Context) (*lock.Lease, error)
	AcquireWait(ctx context.Context, wait time.Duration) (*lock.Lease, error)
}

// Options configure an Upgrader. Zero values take the defaults named.
type Options struct {
	// Runner configures the scripts' runner (see runner.Options). Its RunID
	// names this Upgrader's run (default a new history.NewRunID) and its
	// Actor goes into every record; Target and Events are set by Apply.
	Runner runner.Options
	// WaitLock is how long Apply, Baseline and Mark wait for another run's
	// lock (default 0: a held lock is an error at once).
	WaitLock time.Duration
	// Retry names failed or interrupted non-idempotent migrations to run
	// again; every id must be in the map.
	Retry []string
	// Strict turns the planner's warnings into refusals.
	Strict bool
	// AheadOK makes a database already beyond the target a success with
	// nothing to do, instead of a refused downgrade.
	AheadOK bool
	// Events receives progress; nil ignores it.
	Events func(Event)
}

// Upgrader runs upgrades of one database to releases of one map. Build it
// with New.
type Upgrader struct {
	seq    *releasemap.Sequence
	store  history.Store
	db     *mongo.Database
	locker Locker
	opts   Options
}

// New returns an Upgrader. seq, store and db are required; locker is
// required by Apply, Baseline and Mark, not by Plan and DryRun. It
// validates the options without I/O. Errors: wrapping ErrInvalid.
func New(seq *releasemap.Sequence, store history.Store, db *mongo.Database, locker Locker, opts Options) (*Upgrader, error) {
	if seq == nil || store == nil || db == nil {
		return nil, fmt.Errorf("%w: an upgrade needs a map, a history store and a database", ErrInvalid)
	}
	if opts.WaitLock < 0 {
		return nil, fmt.Errorf("%w: negative lock wait %s", ErrInvalid, opts.WaitLock)
	}
	for _, ids := range [][]string{opts.Retry, opts.Runner.AcceptChanged} {
		for _, id := range ids {
			if _, ok := seq.Lookup(id); !ok {
				return nil, fmt.Errorf("%w: %s: no migration with this id in the map", ErrInvalid, id)
			}
		}
	}
	if opts.Runner.RunID == "" {
		opts.Runner.RunID = history.NewRunID()
	}
	return &Upgrader{seq: seq, store: store, db: db, locker: locker, opts: opts}, nil
}

// ErrInvalid is wrapped by New's errors: the inputs break a documented
// rule. The command line reports them as bad usage.
var ErrInvalid = errors.New("invalid upgrade")

// invalidError is an input error that keeps its own message and counts as
// ErrInvalid.
type invalidError struct{ err error }

func (e invalidError) Error() string        { return e.err.Error() }
func (e invalidError) Unwrap() error        { return e.err }
func (e invalidError) Is(target error) bool { return target == ErrInvalid }

// RunID names this Upgrader's run in every record it writes.
func (u *Upgrader) RunID() string { return u.opts.Runner.RunID }

// Plan reads the database's per-migration summaries and plans the upgrade
// to target (zero: the highest release of the map). It writes nothing.
func (u *Upgrader) Plan(ctx context.Context, target releasemap.Version) (*plan.Result, error) {
	return u.plan(ctx, target, u.opts.Retry)
}

func (u *Upgrader) plan(ctx context.Context, target releasemap.Version, retry []string) (*plan.Result, error) {
	sums, err := u.store.Latest(ctx)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	res, err := plan.Compute(plan.Input{Seq: u.seq, History: sums, Target: target, Retry: retry, Strict: u.opts.Strict})
	if err != nil {
		return nil, invalidError{err}
	}
	return res, nil
}

// DryRun plans the upgrade to target and checks the plan's requirements,
// as Apply would, without the lock and without running anything. The
// error is what Apply would refuse with: a *plan.RefusedError or a
// *runner.RequirementsError (both errors.Is plan.ErrRefused).
func (u *Upgrader) DryRun(ctx context.Context, target releasemap.Version) (*Report, error) {
	res, err := u.Plan(ctx, target)
	if err != nil {
		return nil, err
	}
	rep := &Report{RunID: u.RunID(), DryRun: true, Plan: res}
	if u.opts.AheadOK && res.Ahead {
		rep.Ahead = true
		return rep, nil
	}
	if len(res.Plan) > 0 {
		r, err := u.runner(res, runner.Options{RunID: "dry-run"})
		if err != nil {
			return rep, err
		}
		var re *runner.RequirementsError
		if err := r.Check(ctx, res.Plan); errors.As(err, &re) {
			rep.Requirements = re.Failures
		} else if err != nil {
			return rep, err
		}
	}
	return rep, rep.refusal()
}

// Apply upgrades the database to target (zero: the highest release):
//
//  1. take the lease (waiting up to Options.WaitLock); a takeover of a dead
//     run's lease marks its running attempts interrupted;
//  2. plan under the lock; a refused plan ends here (nothing written), and
//     with AheadOK a database beyond the target is a success;
//  3. check every requirement of every planned migration, and refuse with
//     all failures before anything runs;
//  4. run the plan (runner.ApplyPlan: claims, fence, guard, outcomes);
//  5. read the state after the run, and release the lease, also when ctx
//     was cancelled.
//
// The Report is returned also with an error, as far as it got. Errors: a
// *lock.HeldError (lock held), a *plan.RefusedError or
// *runner.RequirementsError (errors.Is plan.ErrRefused), the runner's errors
// (*runner.PartialError, ErrNotStarted, a lost lease), and the release's
// error joined to any of them.
func (u *Upgrader) Apply(ctx context.Context, target releasemap.Version) (rep *Report, err error) {
	rep = &Report{RunID: u.RunID()}
	lease, err := u.lock(ctx)
	if err != nil {
		return rep, err
	}
	defer func() { err = errors.Join(err, lease.Release(ctx)) }()
	rep.Superseded = lease.Superseded()

	res, err := u.Plan(ctx, target)
	if err != nil {
		return rep, err
	}
	rep.Plan, rep.After = res, res
	if u.opts.AheadOK && res.Ahead {
		rep.Ahead = true
		return rep, nil
	}
	if err := res.Err(); err != nil {
		return rep, err
	}
	if len(res.Plan) == 0 {
		return rep, nil
	}
	r, err := u.runner(res, runner.Options{Events: func(ev runner.Event) { u.emit(Event{Kind: EventMigration, Runner: &ev}) }})
	if err != nil {
		return rep, err
	}
	var re *runner.RequirementsError
	if err := r.Check(ctx, res.Plan); errors.As(err, &re) {
		rep.Requirements = re.Failures
		return rep, err
	} else if err != nil {
		return rep, err
	}
	u.emit(Event{Kind: EventRun, RunID: rep.RunID, Planned: len(res.Plan), Target: res.Target})
	applied, runErr := r.ApplyPlan(ctx, lease, res)
	rep.Results = applied
	var pe *runner.PartialError
	if errors.As(runErr, &pe) {
		rep.Results = append(rep.Results, pe.Failed)
	}
	// The state after the run; reading it may fail when the database went
	// away, which runErr then already explains.
	if after, err := u.plan(context.WithoutCancel(ctx), target, nil); err == nil {
		rep.After = after
	}
	return rep, runErr
}

// lock takes the lease, waiting when the options say so.
func (u *Upgrader) lock(ctx context.Context) (*lock.Lease, error) {
	if u.locker == nil {
		return nil, fmt.Errorf("%w: no lock to take", ErrInvalid)
	}
	var lease *lock.Lease
	var err error
	if u.opts.WaitLock > 0 {
		u.emit(Event{Kind: EventLockWait, Wait: u.opts.WaitLock})
		lease, err = u.locker.AcquireWait(ctx, u.opts.WaitLock)
	} else {
		lease, err = u.locker.Acquire(ctx)
	}
	if err != nil {
		return nil, err
	}
	if s := lease.Superseded(); s != nil {
		u.emit(Event{Kind: EventTookOver, Superseded: s})
	}
	return lease, nil
}

// runner builds the runner for plan res: the options given to New, with
// the target the planner decided (in the map's spelling) and the fields of
// over that are set.
func (u *Upgrader) runner(res *plan.Result, over runner.Options) (*runner.Runner, error) {
	o := u.opts.Runner
	o.Target = res.Target.String()
	if over.RunID != "" {
		o.RunID = over.RunID
	}
	if over.Events != nil {
		o.Events = over.Events
	}
	return runner.New(u.store, u.db, u.seq, o)
}

func (u *Upgrader) emit(ev Event) {
	if u.opts.Events != nil {
		u.opts.Events(ev)
	}
}

// locked runs fn while holding the lease, and releases it.
func (u *Upgrader) locked(ctx context.Context, fn func(context.Context) error) (err error) {
	lease, err := u.lock(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, lease.Release(ctx)) }()
	return fn(ctx)
}

// Baseline records every migration up to version that has no record yet
// as baselined, with reason, without running it: the way to adopt a
// database that was migrated by hand. It reads and writes under the lock,
// so that no other run adds a record in between.
func (u *Upgrader) Baseline(ctx context.Context, version releasemap.Version, reason string) (*BaselineReport, error) {
	if reason == "" {
		return nil, fmt.Errorf("%w: a baseline needs a reason", ErrInvalid)
	}
	rep := &BaselineReport{Version: version.String(), RunID: u.RunID(), Baselined: []string{}, AlreadyRecorded: []string{}}
	err := u.locked(ctx, func(ctx context.Context) error {
		sums, err := u.store.Latest(ctx)
		if err != nil {
			return fmt.Errorf("read history: %w", err)
		}
		var records []history.Attempt
		for _, e := range u.seq.UpTo(version).Entries {
			id := e.Migration.ID
			if s, ok := sums[id]; ok && s.Attempts > 0 {
				rep.AlreadyRecorded = append(rep.AlreadyRecorded, id)
				if !s.Latest.Status.Applied() {
					rep.NotApplied = append(rep.NotApplied, Unresolved{ID: id, Latest: s.Latest.Status})
				}
				continue
			}
			records = append(records, history.Attempt{
				Migration: id, Release: e.Release.String(), Status: history.Baselined,
				RunID: rep.RunID, Target: version.String(), SHA256: e.Migration.SHA256,
				Reason: reason, By: u.opts.Runner.Actor,
			})
		}
		if len(records) == 0 {
			return nil
		}
		if _, err := u.store.Record(ctx, records...); err != nil {
			return fmt.Errorf("baseline %s: %w", version, err)
		}
		for _, r := range records {
			rep.Baselined = append(rep.Baselined, r.Migration)
		}
		return nil
	})
	return rep, err
}

// Mark records an operator's decision about migration id (status
// baselined for "applied", skipped or failed) with reason, under the
// lock, and returns the record and the migration's summary before it (nil
// when it had no record).
func (u *Upgrader) Mark(ctx context.Context, id string, status history.Status, reason string) (history.Attempt, *history.Summary, error) {
	entry, ok := u.seq.Lookup(id)
	if !ok {
		return history.Attempt{}, nil, fmt.Errorf("%w: %s: no migration with this id in the map", ErrInvalid, id)
	}
	if !slices.Contains([]history.Status{history.Baselined, history.Skipped, history.Failed}, status) || reason == "" {
		return history.Attempt{}, nil, fmt.Errorf("%w: a mark is baselined, skipped or failed, with a reason", ErrInvalid)
	}
	var rec history.Attempt
	var before *history.Summary
	err := u.locked(ctx, func(ctx context.Context) error {
		sums, err := u.store.Latest(ctx)
		if err != nil {
			return fmt.Errorf("read history: %w", err)
		}
		if s, ok := sums[id]; ok && s.Attempts > 0 {
			before = &s
		}
		out, err := u.store.Record(ctx, history.Attempt{
			Migration: id, Release: entry.Release.String(), Status: status, RunID: u.RunID(),
			SHA256: entry.Migration.SHA256, Reason: reason, By: u.opts.Runner.Actor,
		})
		if err != nil {
			return fmt.Errorf("mark %s: %w", id, err)
		}
		rec = out[0]
		return nil
	})
	return rec, before, err
}
