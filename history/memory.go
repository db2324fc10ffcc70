package history

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// MemoryStore is a Store kept in this process's memory: the second
// implementation of the contract, which passes the same conformance suite
// (historytest) as MongoStore. It serves tests of the planner and the
// upgrade logic that need no server, and Go programs that plan without a
// database. It keeps nothing across processes, so it is no place for the
// history of a real database.
type MemoryStore struct {
	mu      sync.Mutex
	ended   map[string]Attempt // by id: terminal records, never changed
	running map[string]Attempt // by id
	claims  map[string]string  // migration → id of its running record
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{ended: map[string]Attempt{}, running: map[string]Attempt{}, claims: map[string]string{}}
}

// Begin implements Store.
func (s *MemoryStore) Begin(ctx context.Context, a Attempt) (Attempt, error) {
	if err := validateBegin(a); err != nil {
		return Attempt{}, err
	}
	if err := ctx.Err(); err != nil {
		return Attempt{}, fmt.Errorf("begin attempt of %s: %w", a.Migration, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.claims[a.Migration]; ok {
		return Attempt{}, fmt.Errorf("begin attempt of %s: %w", a.Migration, &ClaimedError{Migration: a.Migration, Holder: s.running[id]})
	}
	a = a.begun()
	s.running[a.ID] = a
	s.claims[a.Migration] = a.ID
	return a, nil
}

// Abandon implements Store.
func (s *MemoryStore) Abandon(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("abandon attempt %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.running[id]
	if !ok {
		return fmt.Errorf("abandon attempt %s: %w", id, ErrNotFound)
	}
	s.release(a)
	return nil
}

// release forgets the running record a and its claim.
func (s *MemoryStore) release(a Attempt) {
	delete(s.running, a.ID)
	if s.claims[a.Migration] == a.ID {
		delete(s.claims, a.Migration)
	}
}

// Finish implements Store.
func (s *MemoryStore) Finish(ctx context.Context, id string, o Outcome) (Attempt, error) {
	if err := validateOutcome(o); err != nil {
		return Attempt{}, err
	}
	if err := ctx.Err(); err != nil {
		return Attempt{}, fmt.Errorf("finish attempt %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.running[id]
	if !ok {
		if e, ended := s.ended[id]; ended {
			return Attempt{}, &NotRunningError{ID: id, Status: e.Status}
		}
		return Attempt{}, fmt.Errorf("finish attempt %s: %w", id, ErrNotFound)
	}
	a = a.ended(o)
	s.release(a)
	s.ended[a.ID] = a
	return a, nil
}

// Record implements Store.
func (s *MemoryStore) Record(ctx context.Context, attempts ...Attempt) ([]Attempt, error) {
	for _, a := range attempts {
		if err := validateRecord(a); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := now()
	out := make([]Attempt, len(attempts))
	for i, a := range attempts {
		a.ID = bson.NewObjectID().Hex()
		if a.StartedAt.IsZero() {
			a.StartedAt = t
		}
		a.StartedAt = dbTime(a.StartedAt)
		f := a.StartedAt
		if a.FinishedAt != nil {
			f = dbTime(*a.FinishedAt)
		}
		a.FinishedAt = &f
		a.OutputTail = trimTail(a.OutputTail)
		s.ended[a.ID] = a
		out[i] = a
	}
	return out, nil
}

// Get implements Store.
func (s *MemoryStore) Get(ctx context.Context, id string) (Attempt, error) {
	if err := ctx.Err(); err != nil {
		return Attempt{}, fmt.Errorf("get %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.ended[id]; ok {
		return a, nil
	}
	if a, ok := s.running[id]; ok {
		return a, nil
	}
	return Attempt{}, fmt.Errorf("get %s: %w", id, ErrNotFound)
}

// List implements Store.
func (s *MemoryStore) List(ctx context.Context, f Filter) ([]Attempt, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list history: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Attempt
	for _, m := range []map[string]Attempt{s.ended, s.running} {
		for _, a := range m {
			if matches(a, f) {
				out = append(out, a)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return newer(out[i].Entry(), out[j].Entry()) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func matches(a Attempt, f Filter) bool {
	return (f.Migration == "" || a.Migration == f.Migration) &&
		(f.Status == "" || a.Status == f.Status) &&
		(f.Release == "" || a.Release == f.Release) &&
		(f.RunID == "" || a.RunID == f.RunID) &&
		(f.Since.IsZero() || !a.StartedAt.Before(dbTime(f.Since)))
}

// Latest implements Store.
func (s *MemoryStore) Latest(ctx context.Context) (map[string]Summary, error) {
	all, err := s.List(ctx, Filter{})
	if err != nil {
		return nil, err
	}
	out := map[string]Summary{}
	for i := len(all) - 1; i >= 0; i-- { // oldest first: the last one seen is the latest
		e := all[i].Entry()
		sum := out[all[i].Migration]
		sum.Attempts++
		sum.Latest = e
		if e.Status.Applied() {
			applied := e
			sum.Applied = &applied
		}
		out[all[i].Migration] = sum
	}
	return out, nil
}

// LatestEnded implements Store.
func (s *MemoryStore) LatestEnded(ctx context.Context, migration string) (*Entry, error) {
	all, err := s.List(ctx, Filter{Migration: migration})
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		if a.Status.Terminal() {
			e := a.Entry()
			return &e, nil
		}
	}
	return nil, nil
}

// InterruptRunning implements Store.
func (s *MemoryStore) InterruptRunning(ctx context.Context, runID, reason string) ([]Attempt, error) {
	if runID == "" {
		return nil, fmt.Errorf("%w: interrupt running attempts: empty run id", ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupt attempts of run %s: %w", runID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var done []Attempt
	for _, a := range s.running {
		if a.RunID != runID {
			continue
		}
		a = a.interrupted(now(), reason)
		s.release(a)
		s.ended[a.ID] = a
		done = append(done, a)
	}
	return done, nil
}
