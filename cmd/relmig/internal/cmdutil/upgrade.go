package cmdutil

import (
	"errors"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/lock"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/upgrade"
)

// NewUpgrader builds the upgrade object for db and the map seq: the lease
// lock owned by this process as the Upgrader's run (a new run id unless
// opts names one), and this process as the actor of every record. A bad
// option exits 2.
func (f *Factory) NewUpgrader(db *DB, seq *releasemap.Sequence, opts upgrade.Options, lockOpts ...lock.Option) (*upgrade.Upgrader, error) {
	if opts.Runner.RunID == "" {
		opts.Runner.RunID = history.NewRunID()
	}
	if opts.Runner.Actor == (history.Actor{}) {
		opts.Runner.Actor = history.CurrentActor(f.Version)
	}
	a := opts.Runner.Actor
	locker, err := db.Locker(lock.Owner{RunID: opts.Runner.RunID, Host: a.Host, PID: a.PID}, lockOpts...)
	if err != nil {
		return nil, BadInput(err)
	}
	u, err := upgrade.New(seq, db.Store, db.Database, locker, opts)
	if errors.Is(err, upgrade.ErrInvalid) {
		return nil, BadInput(err)
	}
	return u, err
}
