package cmdutil

import (
	"errors"
	"fmt"
	"io"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/lock"
	"github.com/relmig/relmig/upgrade"
)

// LockOwner returns the lease owner for this process acting as run runID.
func LockOwner(runID string) lock.Owner {
	a := history.CurrentActor("")
	return lock.Owner{RunID: runID, Host: a.Host, PID: a.PID}
}

// HeldHint adds what to do to the error of a held lock (exit 4): commands
// that append records (baseline, mark) run under the lock, because the
// "has no record yet" decisions they make are only sound without
// overlapping writers.
func HeldHint(err error) error {
	if errors.Is(err, lock.ErrHeld) {
		return fmt.Errorf("%w: another relmig run is changing this database; retry when it is done (relmig unlock shows and breaks the lock)", err)
	}
	return err
}

// LockEvents reports on w the lock events of an upgrade object used by
// baseline and mark: taking over an expired lease, and the dead run's
// attempts that became interrupted.
func LockEvents(w io.Writer) func(upgrade.Event) {
	return func(ev upgrade.Event) {
		if ev.Kind == upgrade.EventTookOver {
			ReportSuperseded(w, "took over expired", ev.Superseded)
		}
	}
}
