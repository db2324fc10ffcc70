package history

import (
	"fmt"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Status is the state an attempt record states. The values are part of the
// `relmig history --output json` contract (README) and of the stored documents.
type Status string

// The statuses of attempt records. Running is the only non-terminal one: it is
// written before a script starts and changed exactly once, to the script's
// outcome or, when its run died, to Interrupted.
const (
	Running     Status = "running"
	Succeeded   Status = "succeeded"
	Failed      Status = "failed"
	Interrupted Status = "interrupted"
	Baselined   Status = "baselined"
	Skipped     Status = "skipped"
)

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool {
	switch s {
	case Running, Succeeded, Failed, Interrupted, Baselined, Skipped:
		return true
	}
	return false
}

// Terminal reports whether s is a final status, one a record never leaves.
func (s Status) Terminal() bool { return s.Valid() && s != Running }

// Applied reports whether s makes a migration count as applied:
// succeeded, baselined or skipped.
func (s Status) Applied() bool {
	return s == Succeeded || s == Baselined || s == Skipped
}

// MaxOutputTail is how much of a script's output an attempt keeps: the last
// 16 KiB. Longer tails are cut at the front when stored.
const MaxOutputTail = 16 << 10

// Actor says who wrote a record: the operating-system user, host and process,
// and the relmig version. CurrentActor fills it from the running process.
type Actor struct {
	User    string `bson:"user" json:"user"`
	Host    string `bson:"host" json:"host"`
	PID     int    `bson:"pid" json:"pid"`
	Version string `bson:"version" json:"version"`
}

// Attempt is one history record: one attempt to run a migration, or one
// operator decision about it (baselined, skipped, a manual mark). Its bson
// and json names are the stored document and the `relmig history --output
// json` contract.
type Attempt struct {
	// ID is assigned by the store (a hex ObjectID, so ids sort by creation
	// within one process).
	ID        string `bson:"_id" json:"id"`
	Migration string `bson:"migration" json:"migration"`
	Release   string `bson:"release" json:"release"`
	Status    Status `bson:"status" json:"status"`
	// RunID names the `relmig up` (or baseline, mark) invocation that wrote
	// the record; it ties running records to the lease of their run.
	RunID string `bson:"run_id" json:"run_id"`
	// Target is the release the run was going to.
	Target     string     `bson:"target" json:"target"`
	StartedAt  time.Time  `bson:"started_at" json:"started_at"`
	FinishedAt *time.Time `bson:"finished_at" json:"finished_at"`
	DurationMS int64      `bson:"duration_ms" json:"duration_ms"`
	// ExitCode is nil when the process did not exit by itself (a signal, a
	// timeout, a done marker) or never ran.
	ExitCode *int   `bson:"exit_code" json:"exit_code"`
	Signal   string `bson:"signal" json:"signal"`
	// SHA256 is the hex content hash of the script file that ran.
	SHA256 string `bson:"sha256" json:"sha256"`
	// OutputTail is the last MaxOutputTail bytes of output; the caller
	// redacts secrets before it reaches the store.
	OutputTail string `bson:"output_tail" json:"output_tail"`
	LogFile    string `bson:"log_file" json:"log_file"`
	// Reason explains baselined, skipped and manual records, and how a
	// running record came to be interrupted.
	Reason string `bson:"reason" json:"reason"`
	By     Actor  `bson:"by" json:"by"`
	// LeaseToken is the token of the lease under which a running record was
	// claimed: it ties the attempt to one holding of the lock.
	LeaseToken string `bson:"lease_token,omitempty" json:"lease_token,omitempty"`
	// GuardPID is the process, on host By.Host, that kills the script's
	// process group if relmig dies; a run taking over waits for it to end
	// before it starts anything.
	GuardPID int `bson:"guard_pid,omitempty" json:"guard_pid,omitempty"`
	// Progress is the script's last progress line, when it printed one and
	// its outcome was recorded by the run that started it.
	Progress *Progress `bson:"progress,omitempty" json:"progress,omitempty"`
}

// Outcome is what Finish records about an attempt that ended.
type Outcome struct {
	// Status must be terminal; Succeeded or Failed for a script that ran,
	// Interrupted for one stopped by Ctrl-C or SIGTERM.
	Status Status
	// FinishedAt defaults to now.
	FinishedAt time.Time
	// Duration is the script's wall time, measured by the caller with a
	// monotonic clock (a wall-clock difference would suffer clock steps).
	Duration   time.Duration
	ExitCode   *int
	Signal     string
	OutputTail string
	LogFile    string
	Reason     string
	// Progress is the script's last progress line; nil when it printed none.
	Progress *Progress
}

// begun returns a as the running record Begin stores: a new id, status
// running, the start time (default now) at BSON precision, no outcome.
func (a Attempt) begun() Attempt {
	a.ID = bson.NewObjectID().Hex()
	a.Status = Running
	if a.StartedAt.IsZero() {
		a.StartedAt = time.Now()
	}
	a.StartedAt = dbTime(a.StartedAt)
	a.FinishedAt, a.DurationMS, a.ExitCode, a.Signal = nil, 0, nil, ""
	a.OutputTail = trimTail(a.OutputTail)
	return a
}

// ended returns running record a as ended with outcome o: the one place
// where a running record becomes terminal, for every store and for
// Finish and InterruptRunning alike.
func (a Attempt) ended(o Outcome) Attempt {
	finished := o.FinishedAt
	if finished.IsZero() {
		finished = time.Now()
	}
	finished = dbTime(finished)
	a.Status, a.FinishedAt, a.DurationMS = o.Status, &finished, o.Duration.Milliseconds()
	a.ExitCode, a.Signal, a.OutputTail = o.ExitCode, o.Signal, trimTail(o.OutputTail)
	if o.LogFile != "" {
		a.LogFile = o.LogFile
	}
	if o.Reason != "" {
		a.Reason = o.Reason
	}
	if o.Progress != nil {
		p := *o.Progress
		p.At = dbTime(p.At)
		a.Progress = &p
	}
	return a
}

// interrupted is the outcome of a running record whose run was found dead
// at t: its duration is a wall-clock difference, since the process that
// could have measured it is gone.
func (a Attempt) interrupted(t time.Time, reason string) Attempt {
	return a.ended(Outcome{Status: Interrupted, FinishedAt: t, Duration: max(t.Sub(a.StartedAt), 0), Reason: reason})
}

// Filter selects records for List. Zero fields select everything.
type Filter struct {
	Migration string
	Status    Status
	Release   string
	RunID     string
	// Since keeps records that started at or after it.
	Since time.Time
	// Limit caps the number of records returned (newest first); 0 is no cap.
	Limit int
}

// Entry is the part of a record that planning reads: enough to tell a
// migration's state, when it was reached, by which release, and whether
// its file changed since (SHA256).
type Entry struct {
	StartedAt time.Time `bson:"at" json:"started_at"`
	ID        string    `bson:"id" json:"id"`
	Status    Status    `bson:"s" json:"status"`
	Release   string    `bson:"r" json:"release"`
	SHA256    string    `bson:"h" json:"sha256"`
	RunID     string    `bson:"run" json:"run_id"`
}

// Entry returns the planning part of a.
func (a Attempt) Entry() Entry {
	return Entry{StartedAt: a.StartedAt, ID: a.ID, Status: a.Status, Release: a.Release, SHA256: a.SHA256, RunID: a.RunID}
}

// Summary is what the planner needs about one migration, read without
// loading every record (see Store.Latest).
type Summary struct {
	// Latest is the most recent record of any status, running included.
	Latest Entry
	// Applied is the most recent succeeded, baselined or skipped record,
	// nil when there is none.
	Applied *Entry
	// Attempts counts the migration's records.
	Attempts int
}

// newer reports whether a sorts after b in history order: start time, then
// id. Every reader and the stored summaries use this one order.
func newer(a, b Entry) bool {
	if !a.StartedAt.Equal(b.StartedAt) {
		return a.StartedAt.After(b.StartedAt)
	}
	return a.ID > b.ID
}

// dbTime truncates t to what a BSON date keeps (milliseconds, UTC), so that
// what a method returns equals what a later read returns.
func dbTime(t time.Time) time.Time { return t.Truncate(time.Millisecond).UTC() }

// trimTail keeps the last MaxOutputTail bytes of s, starting at a rune
// boundary so that the stored string stays valid UTF-8 (BSON requires it).
func trimTail(s string) string {
	if len(s) <= MaxOutputTail {
		return s
	}
	s = s[len(s)-MaxOutputTail:]
	for i := 0; i < utf8.UTFMax && i < len(s); i++ {
		if utf8.RuneStart(s[i]) {
			return s[i:]
		}
	}
	return s
}

// validateBegin checks a record handed to Begin.
func validateBegin(a Attempt) error {
	if a.Migration == "" {
		return fmt.Errorf("%w: attempt has no migration id", ErrInvalid)
	}
	if a.RunID == "" {
		return fmt.Errorf("%w: attempt of %s has no run id", ErrInvalid, a.Migration)
	}
	if a.Status != "" && a.Status != Running {
		return fmt.Errorf("%w: Begin records running attempts, not %q", ErrInvalid, a.Status)
	}
	return nil
}

// validateRecord checks a terminal record handed to Record.
func validateRecord(a Attempt) error {
	if a.Migration == "" {
		return fmt.Errorf("%w: record has no migration id", ErrInvalid)
	}
	if !a.Status.Terminal() {
		return fmt.Errorf("%w: record of %s has status %q, want a terminal status", ErrInvalid, a.Migration, a.Status)
	}
	if a.Reason == "" {
		// Record is for operator decisions (baseline, mark, skip), and an
		// audit trail without the why is no audit trail.
		return fmt.Errorf("%w: %s record of %s has no reason", ErrInvalid, a.Status, a.Migration)
	}
	return nil
}

// validateOutcome checks an outcome handed to Finish.
func validateOutcome(o Outcome) error {
	if !o.Status.Terminal() {
		return fmt.Errorf("%w: outcome status %q is not terminal", ErrInvalid, o.Status)
	}
	if o.Duration < 0 {
		return fmt.Errorf("%w: negative duration %s", ErrInvalid, o.Duration)
	}
	return nil
}
