package upgrade

import (
	"time"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/lock"
	"github.com/relmig/relmig/plan"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/runner"
)

// Report is what an upgrade (Apply) or its dry run (DryRun) found and did.
// It is data; JSON, WriteStatus and WriteResults are its views.
type Report struct {
	RunID  string
	DryRun bool
	// Plan is the plan as computed (under the lock, for Apply); nil when
	// the run did not get that far.
	Plan *plan.Result
	// After is the state after the run (Plan when nothing ran, or when the
	// state could not be read again).
	After *plan.Result
	// Superseded is the dead run's lease this run took over, if any.
	Superseded *lock.Superseded
	// Requirements are the unmet requirements of the planned migrations.
	Requirements []plan.Finding
	// Results are the migrations that ran, in order; the last one is the
	// failure when the run stopped at one.
	Results []runner.Result
	// Ahead says the database was already beyond the target and AheadOK
	// made that a success.
	Ahead bool
}

// Applied returns the ids of the migrations that succeeded.
func (r *Report) Applied() []string {
	out := []string{}
	for _, x := range r.Results {
		if x.Status == history.Succeeded {
			out = append(out, x.ID)
		}
	}
	return out
}

// Failed returns the migration the run stopped at, or nil.
func (r *Report) Failed() *runner.Result {
	if n := len(r.Results); n > 0 && r.Results[n-1].Status != history.Succeeded {
		return &r.Results[n-1]
	}
	return nil
}

// Refusals counts the reasons the plan is refused, requirements included.
func (r *Report) Refusals() int {
	n := len(r.Requirements)
	if r.Plan != nil {
		n += len(r.Plan.Refusals)
	}
	return n
}

// refusal is the error of a refused plan, or nil.
func (r *Report) refusal() error {
	if r.Plan != nil {
		if err := r.Plan.Err(); err != nil {
			return err
		}
	}
	if len(r.Requirements) > 0 {
		return &runner.RequirementsError{Failures: r.Requirements}
	}
	return nil
}

// BaselineReport is what Baseline did.
type BaselineReport struct {
	Version         string   `json:"version"`
	RunID           string   `json:"run_id"`
	Baselined       []string `json:"baselined"`
	AlreadyRecorded []string `json:"already_recorded"`
	// NotApplied are migrations left alone because they have a record
	// that does not count as applied: a person must resolve them.
	NotApplied []Unresolved `json:"-"`
}

// Unresolved is a migration whose latest record is not an applied one.
type Unresolved struct {
	ID     string
	Latest history.Status
}

// EventKind says what an Event reports.
type EventKind int

// The kinds of events.
const (
	EventLockWait  EventKind = iota // waiting up to Wait for the lock
	EventTookOver                   // the lock was taken over from a dead run (Superseded)
	EventRun                        // the plan starts: Planned migrations to Target
	EventMigration                  // a runner event (Runner)
)

// Event is one step of progress of an Upgrader.
type Event struct {
	Kind       EventKind
	Wait       time.Duration
	Superseded *lock.Superseded
	RunID      string
	Planned    int
	Target     releasemap.Version
	Runner     *runner.Event
}
