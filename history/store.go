package history

import "context"

// Store is where attempt records live. History is append-only: no method
// deletes a record or changes an ended one; a running record turns
// terminal (Finish, InterruptRunning) exactly once.
//
// Every method may also return the context's error or a database error,
// wrapped with what it was doing; the errors listed per method are the ones
// callers branch on. The conformance suite in package historytest checks
// every implementation against this contract.
type Store interface {
	// Begin claims a.Migration and records a running attempt before its
	// script starts, and returns it as stored, with its ID, Status Running
	// and StartedAt (default now) set. a.Migration and a.RunID are
	// required; a.Status must be empty or Running. A migration has at most
	// one running record: of two Begins of one migration the first wins,
	// whatever the timing, and the claim lasts until the record ends
	// (Finish, InterruptRunning) or is abandoned. A script must not start
	// unless Begin returned nil.
	// Errors: ErrInvalid, and a *ClaimedError (errors.Is ErrClaimed) when
	// the migration has a running record already.
	Begin(ctx context.Context, a Attempt) (Attempt, error)

	// Abandon removes the running record id whose script never started (a
	// claim given up because the lease or the migration's state changed
	// after Begin), freeing the claim. It is not an outcome: nothing ran,
	// so history gets no record.
	// Errors: ErrNotFound when there is no such running record.
	Abandon(ctx context.Context, id string) error

	// LatestEnded returns the most recent terminal record of migration, or
	// nil when it has none. It reads what every acknowledged write made
	// durable, so that a run that just claimed a migration sees the outcome
	// of any attempt that ended before the claim.
	// Errors: none beyond database errors.
	LatestEnded(ctx context.Context, migration string) (*Entry, error)

	// Finish moves the running record id to o.Status and returns the record
	// as stored. It succeeds at most once per record.
	// Errors: ErrInvalid (o.Status not terminal), ErrNotFound, and a
	// *NotRunningError (errors.Is ErrNotRunning) when the record is already
	// terminal, for instance because its run was taken over as interrupted.
	Finish(ctx context.Context, id string, o Outcome) (Attempt, error)

	// Record appends terminal records directly: baselined, skipped and
	// manual marks. Each needs a Migration, a terminal Status and a Reason;
	// StartedAt defaults to now and FinishedAt to StartedAt. It returns the
	// records as stored, in order. Either all are valid and written, or
	// none is written when validation fails.
	// Errors: ErrInvalid.
	Record(ctx context.Context, attempts ...Attempt) ([]Attempt, error)

	// Get returns one record.
	// Errors: ErrNotFound.
	Get(ctx context.Context, id string) (Attempt, error)

	// List returns the records f selects, newest first (start time, then
	// id).
	// Errors: none beyond database errors.
	List(ctx context.Context, f Filter) ([]Attempt, error)

	// Latest returns, per migration id, what the planner needs, without
	// loading every record: this is what keeps `relmig status` fast on a
	// long history. Summaries carry no output tails.
	// Errors: none beyond database errors.
	Latest(ctx context.Context) (map[string]Summary, error)

	// InterruptRunning turns the running records of the dead run runID into
	// Interrupted with the given reason, and returns them as stored. Only
	// the owner of an expired or broken lease may be treated as dead (see
	// Locker).
	// Errors: ErrInvalid (empty runID).
	InterruptRunning(ctx context.Context, runID, reason string) ([]Attempt, error)
}
