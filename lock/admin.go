package lock

import (
	"context"
	"fmt"
	"time"

	"github.com/relmig/relmig/history"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// EventKind says what a Event records.
type EventKind string

// The kinds of lock events.
const (
	// EventTakeover: a run claimed an expired lease to take it over. The
	// claim comes first, so a claimant that then found the lease released
	// meanwhile leaves a claim without a takeover; Inspect shows who
	// holds the lock now.
	EventTakeover EventKind = "takeover"
	// EventBreak: an operator broke the lock by hand (`relmig unlock
	// --force`).
	EventBreak EventKind = "break"
)

// Event is the audit record of a lease displaced other than by its
// holder's Release. Events live in the lock collection beside the lease
// document (their _ids start with the lock name and a '/'), are only ever
// inserted, and travel with a backup like the history does. They are not
// attempts, so they stay out of the history collection, where every reader
// (planner, `relmig history`) would have to skip them.
type Event struct {
	ID   string    `bson:"_id" json:"id"`
	Lock string    `bson:"lock" json:"lock"`
	Kind EventKind `bson:"kind" json:"kind"`
	At   time.Time `bson:"at" json:"at"`
	// Previous is the lease as it was displaced.
	Previous Info `bson:"previous" json:"previous"`
	// NewOwner is the run that took over (EventTakeover).
	NewOwner *Owner `bson:"new_owner,omitempty" json:"new_owner,omitempty"`
	// By is the operator who broke the lock (EventBreak).
	By     *history.Actor `bson:"by,omitempty" json:"by,omitempty"`
	Reason string         `bson:"reason" json:"reason"`
	// ValidUntil bounds a takeover claim: a claimant that has not replaced
	// the lease by then must not, and another contender may claim anew.
	ValidUntil time.Time `bson:"valid_until" json:"valid_until"`
}

// Inspect returns the current lease, live or expired.
// Errors: ErrNotLocked when there is none.
func (l *Locker) Inspect(ctx context.Context) (Info, error) {
	cur, found, err := l.read(ctx)
	if err != nil {
		return Info{}, fmt.Errorf("inspect lock %s: %w", l.name, err)
	}
	if !found {
		return Info{}, fmt.Errorf("inspect lock %s: %w", l.name, ErrNotLocked)
	}
	return cur, nil
}

// Break removes the lease whoever holds it, for `relmig unlock --force`: it
// first inserts an EventBreak record naming by, the holder and reason, then
// marks the holder's running attempts (and those of any dead run the lease
// still owed) interrupted, then deletes the lease. A holder that is in fact
// alive loses its lease at its next renewal and stops before its next
// migration. Running Break again after a failure is safe.
// Errors: ErrNotLocked when there is no lease.
func (l *Locker) Break(ctx context.Context, by history.Actor, reason string) (Superseded, error) {
	cur, err := l.Inspect(ctx)
	if err != nil {
		return Superseded{}, err
	}
	t := now()
	ev := Event{
		ID: fmt.Sprintf("%s/break/%s", l.name, bson.NewObjectID().Hex()), Lock: l.name, Kind: EventBreak, At: t,
		Previous: cur, By: &by, Reason: reason, ValidUntil: t,
	}
	if _, err := l.coll.InsertOne(ctx, ev); err != nil {
		return Superseded{}, fmt.Errorf("break lock %s: record it: %w", l.name, err)
	}
	out := Superseded{Previous: cur}
	runs := append([]string{cur.Owner.RunID}, cur.DeadRuns...)
	for _, run := range runs {
		if run == "" {
			continue
		}
		why := fmt.Sprintf("lock %s held by %s was broken by %s@%s: %s", l.name, cur.Owner, by.User, by.Host, reason)
		done, err := l.store.InterruptRunning(ctx, run, why)
		out.Interrupted = append(out.Interrupted, done...)
		if err != nil {
			return out, fmt.Errorf("break lock %s: mark attempts of run %s interrupted: %w", l.name, run, err)
		}
	}
	if _, err := l.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: l.name}, {Key: "token", Value: cur.Token}}); err != nil {
		return out, fmt.Errorf("break lock %s: delete lease: %w", l.name, err)
	}
	return out, nil
}

// Events returns the lock's audit records, newest first.
// Errors: none beyond database errors.
func (l *Locker) Events(ctx context.Context) ([]Event, error) {
	cur, err := l.coll.Find(ctx, bson.D{{Key: "lock", Value: l.name}},
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}))
	if err != nil {
		return nil, fmt.Errorf("list events of lock %s: %w", l.name, err)
	}
	var evs []Event
	if err := cur.All(ctx, &evs); err != nil {
		return nil, fmt.Errorf("list events of lock %s: %w", l.name, err)
	}
	return evs, nil
}
