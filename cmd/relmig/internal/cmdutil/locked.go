package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/relmig/relmig/history"
)

// LockOwner returns the lease owner for this process acting as run runID.
func LockOwner(runID string) history.Owner {
	a := history.CurrentActor("")
	return history.Owner{RunID: runID, Host: a.Host, PID: a.PID}
}

// RunLocked takes the database's lease lock as run runID without waiting,
// calls fn while holding it, and releases it, also when fn fails or ctx was
// cancelled. Commands that append records (baseline, mark) run under it
// because the store's per-migration summaries, and the "has no record yet"
// decisions made from them, are only sound without overlapping writers.
//
// A held lock returns the *history.HeldError (exit 4), wrapped with what to
// do. Taking over an expired lease is reported on errOut, with the dead
// run's attempts that became interrupted.
func RunLocked(ctx context.Context, db *DB, errOut io.Writer, runID string, fn func(ctx context.Context) error) error {
	locker, err := db.Locker(LockOwner(runID))
	if err != nil {
		return err
	}
	lease, err := locker.Acquire(ctx)
	if errors.Is(err, history.ErrLockHeld) {
		return fmt.Errorf("%w: another relmig run is changing this database; retry when it is done (relmig unlock shows and breaks the lock)", err)
	}
	if err != nil {
		return err
	}
	if s := lease.Superseded(); s != nil {
		ReportSuperseded(errOut, "took over expired", s)
	}
	err = fn(ctx)
	if rerr := lease.Release(ctx); rerr != nil {
		err = errors.Join(err, rerr)
	}
	return err
}
