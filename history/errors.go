package history

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors callers branch on. Methods wrap them with context; test
// them with errors.Is.
var (
	// ErrNotFound: no record has the given id.
	ErrNotFound = errors.New("history record not found")
	// ErrNotRunning: Finish found the record no longer running (finished
	// already, or taken over as interrupted). Returned inside a
	// *NotRunningError that says what it became.
	ErrNotRunning = errors.New("history record is no longer running")
	// ErrInvalid: the input breaks a documented rule (missing id, run id or
	// reason, a status that does not fit the method, a bad option).
	ErrInvalid = errors.New("invalid input")
	// ErrClaimed: Begin found another attempt of the same migration under
	// way. Returned inside a *ClaimedError that names it.
	ErrClaimed = errors.New("migration claimed by another attempt")
)

// ClaimedError is returned by Begin when the migration already has a
// running record: the first writer of a migration's claim wins, every other
// one gets this.
type ClaimedError struct {
	Migration string
	// Holder is the running record that holds the claim; empty when it
	// ended before it could be read.
	Holder Attempt
}

// Error names the attempt holding the claim.
func (e *ClaimedError) Error() string {
	if e.Holder.ID == "" {
		return fmt.Sprintf("%s is claimed by another attempt", e.Migration)
	}
	return fmt.Sprintf("%s is claimed by attempt %s of run %s (pid %d on %s, started %s)", e.Migration,
		e.Holder.ID, e.Holder.RunID, e.Holder.By.PID, e.Holder.By.Host, e.Holder.StartedAt.UTC().Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrClaimed) true.
func (e *ClaimedError) Unwrap() error { return ErrClaimed }

// NotRunningError is returned by Finish when the record already left the
// running state; Status says what it is now.
type NotRunningError struct {
	ID     string
	Status Status
}

// Error says what the record became.
func (e *NotRunningError) Error() string {
	return fmt.Sprintf("history record %s is %s, no longer running", e.ID, e.Status)
}

// Unwrap makes errors.Is(err, ErrNotRunning) true.
func (e *NotRunningError) Unwrap() error { return ErrNotRunning }
