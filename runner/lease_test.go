package runner_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/lock"
	"github.com/relmig/relmig/runner"
)

// TestLeaseLostDuringSetup: a run whose lease is lost while a checkout is
// being set up (setup can take minutes) stops before writing the running
// record: the script never starts, since another run may own the database
// by now.
func TestLeaseLostDuringSetup(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.release("v1.0.0", map[string]string{"migrations/first.sh": markOnly})
	f.repo.release("v1.1.0", map[string]string{"migrations/second.sh": markOnly})
	seq := f.load(`relmig: 1
dir: migrations
runner:
  command: "sh {path}"
releases:
  - version: v1.0.0
    migrations:
      - id: first.sh
  - version: v1.1.0
    migrations:
      - id: second.sh
        workdir: release
        setup: 'i=0; while [ ! -e "$MARKS/go" ] && [ $i -lt 1200 ]; do i=$((i+1)); sleep 0.05; done'
`)
	ctx := testCtx(t)
	const runID = "run-lease-lost"
	locker, err := lock.New(f.db, f.store, lock.Owner{RunID: runID, Host: "test", PID: os.Getpid()},
		lock.WithLeaseDuration(600*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	lease, err := locker.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lease.Release(ctx) }()
	operator, err := lock.New(f.db, f.store, lock.Owner{RunID: "operator", Host: "test", PID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}

	// While setup waits, an operator breaks the lock; setup goes on once
	// the run has noticed.
	broken := make(chan error, 1)
	r := f.runner(seq, func(o *runner.Options) {
		o.RunID = runID
		o.Events = func(ev runner.Event) {
			if ev.Kind != runner.EventSetup || !strings.HasPrefix(ev.Note, "setup in v1.1.0") {
				return
			}
			go func() {
				_, err := operator.Break(ctx, history.CurrentActor("test"), "testing a lost lease")
				select {
				case <-lease.Lost():
				case <-time.After(30 * time.Second):
					err = errors.Join(err, errors.New("the lease was not lost within 30s"))
				}
				broken <- err
				_ = os.WriteFile(filepath.Join(f.marks, "go"), nil, 0o644)
			}()
		}
	})
	applied, err := r.Apply(ctx, lease, f.plan(seq))
	if berr := <-broken; berr != nil {
		t.Fatal(berr)
	}
	if !errors.Is(err, lock.ErrLost) {
		t.Errorf("Apply = %v, want an error wrapping lock.ErrLost", err)
	}
	var pe *runner.PartialError
	if errors.As(err, &pe) {
		t.Errorf("Apply returned a *PartialError for a migration that never started: %v", err)
	}
	if len(applied) != 1 || applied[0].ID != "first.sh" {
		t.Errorf("applied = %v, want [first.sh]", ids(applied))
	}
	if f.marked("second.sh") {
		t.Error("second.sh started after the lease was lost")
	}
	if as := f.attempts("second.sh"); len(as) != 0 {
		t.Errorf("second.sh has records: %+v", as)
	}
}
