// Package locktest is the race suite every lease lock must pass, in the
// way of goose's lock/locktesting: contenders in goroutines take one lock
// in turn, some die holding it, and the suite checks the lock's guarantee,
// which does not depend on timing: sections a holder knew to be valid
// never overlap, every death is taken over, a held lock is reported as
// held.
package locktest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// Lease is what the suite needs of a held lease.
type Lease interface {
	// Valid returns nil while the lease is held with a margin left, by the
	// holder's own clock.
	Valid() error
	// Release gives the lease up.
	Release(ctx context.Context) error
	// Abandon stops renewing without releasing, as a dead holder would.
	Abandon()
	// TookOver reports whether this lease was taken over from a dead
	// holder.
	TookOver() bool
}

// Locker is one contender: Acquire takes the lock, waiting up to wait (0:
// not at all), and returns an error wrapping Held when another holds it.
type Locker interface {
	Acquire(ctx context.Context, wait time.Duration) (Lease, error)
}

// Implementation is what Run tests: New returns a contender named run on
// one lock shared by every contender of the test (a fresh lock per call of
// Fresh); Held is the error a held lock wraps.
type Implementation struct {
	Fresh func(t *testing.T) (New func(run string) Locker)
	Held  error
}

// Run runs the suite.
func Run(t *testing.T, impl Implementation) {
	t.Run("HeldIsReported", func(t *testing.T) { testHeld(t, impl) })
	t.Run("RaceWithDeaths", func(t *testing.T) { testRace(t, impl) })
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return c
}

func testHeld(t *testing.T, impl Implementation) {
	newLocker := impl.Fresh(t)
	a, b := newLocker("run-a"), newLocker("run-b")
	lease, err := a.Acquire(ctx(t), 0)
	if err != nil {
		t.Fatalf("first Acquire: %v", err)
	}
	if _, err := b.Acquire(ctx(t), 0); !errors.Is(err, impl.Held) {
		t.Fatalf("Acquire of a held lock: err = %v, want one wrapping %v", err, impl.Held)
	}
	if err := lease.Release(ctx(t)); err != nil {
		t.Fatalf("Release: %v", err)
	}
	again, err := b.Acquire(ctx(t), 0)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	_ = again.Release(ctx(t))
}

// section is one holder's time in the critical section, as far as it knew
// its lease was valid: Start read after Acquire, End before Release, each
// counting only when a Valid check after it passed.
type section struct {
	who        string
	start, end time.Time
}

func testRace(t *testing.T, impl Implementation) {
	newLocker := impl.Fresh(t)
	const workers, rounds = 12, 3
	var (
		mu        sync.Mutex
		secs      []section
		deaths    int
		takeovers int
		wg        sync.WaitGroup
	)
	errs := make(chan error, workers*rounds)
	for g := range workers {
		l := newLocker(fmt.Sprintf("run-%02d", g))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				lease, err := l.Acquire(ctx(t), 2*time.Minute)
				if err != nil {
					errs <- fmt.Errorf("worker %d: %w", g, err)
					return
				}
				start := time.Now()
				valid := lease.Valid() == nil
				time.Sleep(time.Millisecond)
				end := time.Now()
				valid = valid && lease.Valid() == nil
				mu.Lock()
				if lease.TookOver() {
					takeovers++
				}
				if valid {
					secs = append(secs, section{fmt.Sprintf("worker %d round %d", g, r), start, end})
				}
				dies := g%4 == 0 && r == 1
				if dies {
					deaths++
				}
				mu.Unlock()
				if dies {
					lease.Abandon()
					return
				}
				_ = lease.Release(ctx(t)) // a lease lost on a starved host is not this test's concern
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	slices.SortFunc(secs, func(a, b section) int { return a.start.Compare(b.start) })
	for i := 1; i < len(secs); i++ {
		if secs[i].start.Before(secs[i-1].end) {
			t.Fatalf("two holders at once: %s until %s, %s from %s", secs[i-1].who, secs[i-1].end.Format(time.RFC3339Nano),
				secs[i].who, secs[i].start.Format(time.RFC3339Nano))
		}
	}
	// Every death but perhaps the last is taken over by a contender still
	// at work.
	if takeovers < deaths-1 || takeovers > deaths {
		t.Fatalf("%d deaths, %d takeovers", deaths, takeovers)
	}
	t.Logf("%d valid sections, %d deaths, %d takeovers", len(secs), deaths, takeovers)
}
