package runner

import (
	"errors"
	"fmt"
	"strings"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/lock"
	"github.com/relmig/relmig/plan"
	"github.com/relmig/relmig/runner/process"
)

// ErrNotStarted is wrapped by the error of a run that stopped because a
// migration's script could not be started: its checkout, setup, command,
// templates or log file failed. Nothing was recorded for it, so the next
// run tries again without --retry.
var ErrNotStarted = errors.New("migration not started")

// ErrStale is wrapped by a *StaleError.
var ErrStale = errors.New("migration changed since the plan was made")

// ScriptError is a script that ran and failed: it exited non-zero, was
// killed, timed out, or its post checks failed. Err is the process's error
// (a *process.ExitError, so errors.Is(err, process.ErrTimeout) holds for a
// timeout) or the post checks'.
type ScriptError struct {
	ID       string
	Release  string
	ExitCode int
	Tail     string
	Err      error
}

// Error says how it failed, in one line; the Result it belongs to names
// the migration.
func (e *ScriptError) Error() string {
	return fmt.Sprintf("%s: %v", ErrMigrationFailed, e.Err)
}

// Unwrap returns ErrMigrationFailed and the cause.
func (e *ScriptError) Unwrap() []error { return []error{ErrMigrationFailed, e.Err} }

// ChangedError is a script whose content differs from the map's sha256: the
// release the map describes is not what is about to run. It is a refusal
// (errors.Is plan.ErrRefused); --accept-changed ID is the way out.
type ChangedError struct {
	ID, Path  string
	Want, Got string
}

// Error names the file and both hashes.
func (e *ChangedError) Error() string {
	return fmt.Sprintf("%s: %s has sha256 %s, the map says %s: the script changed since the map was built (check it, then rebuild the map or pass --accept-changed %s)",
		e.ID, e.Path, e.Got, e.Want, e.ID)
}

// Unwrap makes errors.Is(err, plan.ErrRefused) true.
func (e *ChangedError) Unwrap() error { return plan.ErrRefused }

// StaleError is a migration that, once claimed, turned out to have ended an
// attempt after the plan was made (another run applied it, or an operator
// marked it): it is not started, and a new plan decides.
type StaleError struct {
	ID     string
	Latest history.Entry
}

// Error names the record that changed the picture.
func (e *StaleError) Error() string {
	if e.Latest.ID == "" {
		return fmt.Sprintf("%s: its history changed since the plan was made; run again to plan anew", e.ID)
	}
	return fmt.Sprintf("%s: it is %s by run %s (record %s) since the plan was made; run again to plan anew",
		e.ID, e.Latest.Status, e.Latest.RunID, e.Latest.ID)
}

// Unwrap makes errors.Is(err, ErrStale) true.
func (e *StaleError) Unwrap() error { return ErrStale }

// OutcomeError is a script that ended, but whose outcome could not be
// recorded (the database stayed away longer than the retries, or the
// attempt was meanwhile recorded as interrupted by a run that took over).
type OutcomeError struct {
	ID        string
	AttemptID string
	Outcome   history.Outcome
	Err       error
}

// Error says what happened and how to record it by hand.
func (e *OutcomeError) Error() string {
	return fmt.Sprintf("%s ended %s, but recording it failed: %v; record it by hand: %s", e.ID, e.Outcome.Status, e.Err, e.MarkCommand())
}

// Unwrap returns the store's error.
func (e *OutcomeError) Unwrap() error { return e.Err }

// MarkCommand is the `relmig mark` command that records the outcome by
// hand, after an operator checked it.
func (e *OutcomeError) MarkCommand() string {
	as := "failed"
	if e.Outcome.Status == history.Succeeded {
		as = "applied"
	}
	reason := fmt.Sprintf("attempt %s ended %s; its outcome could not be recorded", e.AttemptID, e.Outcome.Status)
	return fmt.Sprintf("relmig mark %s --as %s --reason %s", shellQuote(e.ID), as, shellQuote(reason))
}

// OrphanError is an earlier attempt whose process still runs on this host
// although its record is no longer running (its run died or lost its lock):
// nothing starts until it is gone.
type OrphanError struct {
	Attempt history.Attempt
}

// Error names the attempt and its guard process.
func (e *OrphanError) Error() string {
	return fmt.Sprintf("attempt %s of %s (run %s, now %s) still has a process on this host (guard pid %d): wait for it, or stop it, before running again",
		e.Attempt.ID, e.Attempt.Migration, e.Attempt.RunID, e.Attempt.Status, e.Attempt.GuardPID)
}

// Unwrap makes errors.Is(err, lock.ErrHeld) true: like a held
// lock, another run's work is still going on.
func (e *OrphanError) Unwrap() error { return lock.ErrHeld }

// shellQuote quotes s for a POSIX shell when it needs quoting, so that the
// command reads as typed when it can (process.ShellQuote always quotes).
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@", r))
	}) < 0 {
		return s
	}
	return process.ShellQuote(s)
}
