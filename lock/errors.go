package lock

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/relmig/relmig/history"
)

// Sentinel errors callers branch on; test them with errors.Is.
var (
	// ErrHeld: another run holds the lease. Returned inside a *HeldError
	// that names the holder.
	ErrHeld = errors.New("lock held")
	// ErrLost: a lease this run held is no longer its own (it expired
	// before a renewal succeeded, or someone broke or took it over).
	ErrLost = errors.New("lease lost")
	// ErrNotLocked: there is no lease to inspect or break.
	ErrNotLocked = errors.New("not locked")
	// ErrInvalid: a bad option or owner; it is history.ErrInvalid, so one
	// test covers both packages' input errors.
	ErrInvalid = history.ErrInvalid
)

// HeldError is returned by Acquire when another owner holds a live lease.
type HeldError struct {
	Lock    string
	Owner   Owner
	Expires time.Time
	// TakingOver is set when the lease had expired but another contender is
	// taking it over right now.
	TakingOver *Owner
}

// Error names the holder and its expiry, or the contender taking over.
func (e *HeldError) Error() string {
	if e.TakingOver != nil {
		return fmt.Sprintf("lock %s is being taken over by %s from expired %s", e.Lock, e.TakingOver, e.Owner)
	}
	return fmt.Sprintf("lock %s held by %s until %s", e.Lock, e.Owner, e.Expires.Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrHeld) true.
func (e *HeldError) Unwrap() error { return ErrHeld }

// newToken returns a random lease token.
func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// now is the lock's clock: the client's wall clock, at BSON precision.
func now() time.Time { return dbTime(time.Now()) }

// dbTime truncates t to what a BSON date keeps (milliseconds, UTC).
func dbTime(t time.Time) time.Time { return t.Truncate(time.Millisecond).UTC() }
