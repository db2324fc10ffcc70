package lock

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/internal/testdb"
)

// interval is one holder's time in the critical section, as far as the
// holder can know it held the lease: Start is read after Acquire returned
// and End before Release is called (or the holder "dies"), and each only
// counts when a Valid check that follows it passes. A lease is exclusive
// only while it is valid, so on a starved machine a holder may find it
// lost; then its section is not exclusive and is left out (sectioned
// returns false). Intervals that count never overlap: that is the lock's
// guarantee, and it does not depend on timing.
type interval struct {
	Who   string    `bson:"who"`
	Start time.Time `bson:"start"`
	End   time.Time `bson:"end"`
}

// sectioned reads the time and reports whether lease was valid after it
// (see interval).
func sectioned(lease *Lease) (time.Time, bool) {
	t := time.Now()
	return t, lease.Valid() == nil
}

// checkNoOverlap proves that at every moment at most one holder was in the
// critical section.
func checkNoOverlap(t *testing.T, ivs []interval) {
	t.Helper()
	slices.SortFunc(ivs, func(a, b interval) int { return a.Start.Compare(b.Start) })
	var last interval
	for i, iv := range ivs {
		if iv.End.Before(iv.Start) {
			t.Fatalf("interval ends before it starts: %+v", iv)
		}
		if i > 0 && iv.Start.Before(last.End) {
			t.Fatalf("two holders at once: %s until %s, %s from %s\n%s",
				last.Who, last.End.Format(time.RFC3339Nano), iv.Who, iv.Start.Format(time.RFC3339Nano), fmtIntervals(ivs))
		}
		if iv.End.After(last.End) {
			last = iv
		}
	}
}

// TestLockRace16: 16 goroutines, each its own owner, contend for one lock;
// four of them die once while holding it (no renewal, no release). Exactly
// one holder at every moment, every death is taken over exactly once, and
// every dead holder's running attempt ends interrupted.
func TestLockRace16(t *testing.T) {
	_, db := testdb.New(t)
	ctx := tctx(t)
	s := newStore(t, db)
	const workers, rounds = 16, 4
	var (
		mu        sync.Mutex
		ivs       []interval
		lost      int // sections whose lease was found lost (a starved host)
		takeovers atomic.Int32
		deaths    atomic.Int32
		wg        sync.WaitGroup
	)
	errs := make(chan error, workers)
	for g := range workers {
		l := newLocker(t, db, s, fmt.Sprintf("run-%02d", g), WithRetryInterval(20*time.Millisecond))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				lease, err := l.AcquireWait(ctx, time.Minute)
				if err != nil {
					errs <- fmt.Errorf("worker %d: %w", g, err)
					return
				}
				start, valid := sectioned(lease)
				if sup := lease.Superseded(); sup != nil {
					takeovers.Add(1)
					// A dead holder that could not know its lease was valid
					// claimed nothing (the fence), so it may leave none.
					if len(sup.Interrupted) > 1 {
						errs <- fmt.Errorf("worker %d took over %s and interrupted %d attempts, want at most 1", g, sup.Previous.Owner, len(sup.Interrupted))
					}
				}
				// The fence: a holder that cannot know its lease is valid
				// claims nothing.
				var att history.Attempt
				if valid {
					if att, err = s.Begin(ctx, history.Attempt{Migration: fmt.Sprintf("m%d.ts", r), RunID: l.owner.RunID}); err != nil {
						errs <- err
					}
				}
				time.Sleep(time.Duration(rand.N(3000)) * time.Microsecond)
				if g%4 == 0 && r == 1 {
					// Die holding the lock, with the attempt still running.
					end, stillValid := sectioned(lease)
					lease.finish()
					deaths.Add(1)
					mu.Lock()
					if valid && stillValid {
						ivs = append(ivs, interval{fmt.Sprintf("worker %d (died)", g), start, end})
					} else {
						lost++
					}
					mu.Unlock()
					return
				}
				if att.ID != "" {
					if _, err := s.Finish(ctx, att.ID, history.Outcome{Status: history.Succeeded}); err != nil && !errors.Is(err, history.ErrNotRunning) {
						errs <- err
					}
				}
				end, stillValid := sectioned(lease)
				mu.Lock()
				if valid && stillValid {
					ivs = append(ivs, interval{fmt.Sprintf("worker %d", g), start, end})
				} else {
					lost++
				}
				mu.Unlock()
				if err := lease.Release(ctx); err != nil && !(errors.Is(err, ErrLost) && !stillValid) {
					errs <- fmt.Errorf("worker %d release: %w", g, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkNoOverlap(t, ivs)
	if want := workers*rounds - 4*(rounds-2); len(ivs)+lost != want {
		t.Fatalf("%d critical sections and %d with the lease lost, want %d in all", len(ivs), lost, want)
	}
	// The last death may have no successor if every other worker was done.
	if d, k := deaths.Load(), takeovers.Load(); d != 4 || k < d-1 || k > d {
		t.Fatalf("%d deaths, %d takeovers", d, k)
	}
	running, err := s.List(ctx, history.Filter{Status: history.Running})
	if err != nil {
		t.Fatal(err)
	}
	if int32(len(running)) > deaths.Load()-takeovers.Load() {
		t.Fatalf("%d attempts still running after %d deaths and %d takeovers", len(running), deaths.Load(), takeovers.Load())
	}
	t.Logf("%d critical sections (%d more with the lease lost on a starved host), %d takeovers, no overlap", len(ivs), lost, takeovers.Load())
}

// sharedDB returns a database that helper processes can reach by URI, and
// drops it when the test ends.
func sharedDB(t *testing.T) (uri, name string, db *mongo.Database) {
	t.Helper()
	uri, name = testdb.URIWithDB(t)
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	db = client.Database(name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = db.Drop(ctx)
		_ = client.Disconnect(ctx)
	})
	return uri, name, db
}

// helper starts this test binary as a helper process running
// TestHelperLocker in the given mode.
func helper(t *testing.T, mode, uri, db, run string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLocker$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		"RELMIG_HELPER_LOCKER="+mode, "RELMIG_HELPER_URI="+uri, "RELMIG_HELPER_DB="+db, "RELMIG_HELPER_RUN="+run)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	return cmd, &stderr
}

const helperRounds = 5

// TestLockProcesses: four OS processes contend for one lock, each appending
// its critical sections to a collection; no two overlap.
func TestLockProcesses(t *testing.T) {
	uri, name, db := sharedDB(t)
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for p := range 4 {
		cmd, stderr := helper(t, "contend", uri, name, fmt.Sprintf("proc-%d", p))
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, &stdout, stderr)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper %d: %v\n%s%s", i, err, outs[2*i], outs[2*i+1])
		}
	}
	ctx := tctx(t)
	cur, err := db.Collection("intervals").Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var ivs []interval
	if err := cur.All(ctx, &ivs); err != nil {
		t.Fatal(err)
	}
	if len(ivs) != 4*helperRounds {
		t.Fatalf("%d intervals, want %d", len(ivs), 4*helperRounds)
	}
	ivs = slices.DeleteFunc(ivs, func(iv interval) bool { return strings.HasSuffix(iv.Who, " (lease lost)") })
	checkNoOverlap(t, ivs)
}

// TestLockSIGKILL: a holder process killed with SIGKILL keeps the lock
// until its lease expires; then exactly one of three contenders takes it
// over, learns whom it displaced, and the victim's running attempt is
// interrupted.
func TestLockSIGKILL(t *testing.T) {
	uri, name, db := sharedDB(t)
	ctx := tctx(t)
	cmd, stderr := helper(t, "hold", uri, name, "proc-victim")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "ready "); ok {
				ready <- id
			}
		}
		close(ready)
	}()
	var attemptID string
	select {
	case id, ok := <-ready:
		if !ok {
			t.Fatalf("helper exited before holding the lock:\n%s", stderr)
		}
		attemptID = id
	case <-time.After(time.Minute):
		t.Fatalf("helper not ready:\n%s", stderr)
	}

	s := newStore(t, db)
	var ls []*Locker
	for i := range 3 {
		ls = append(ls, newLocker(t, db, s, fmt.Sprintf("run-%d", i), WithRetryInterval(20*time.Millisecond)))
	}
	// Alive, it renews across several leases.
	time.Sleep(2 * testLease)
	var held *HeldError
	if _, err := ls[0].Acquire(ctx); !errors.As(err, &held) || held.Owner.RunID != "proc-victim" || held.Owner.PID != cmd.Process.Pid {
		t.Fatalf("Acquire while the helper lives: err = %v, want held by proc-victim pid %d", err, cmd.Process.Pid)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	type result struct {
		sup *Superseded
		at  time.Time
		err error
	}
	results := make(chan result, len(ls))
	for _, l := range ls {
		go func() {
			lease, err := l.AcquireWait(ctx, 10*testLease)
			if err != nil {
				results <- result{err: err}
				return
			}
			r := result{sup: lease.Superseded(), at: time.Now()}
			time.Sleep(20 * time.Millisecond)
			r.err = lease.Release(ctx)
			results <- r
		}()
	}
	var took []result
	for range ls {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.sup != nil {
			took = append(took, r)
		}
	}
	if len(took) != 1 {
		t.Fatalf("%d contenders took over the dead lease, want exactly 1", len(took))
	}
	sup := took[0].sup
	if sup.Previous.Owner.RunID != "proc-victim" || len(sup.Interrupted) != 1 || sup.Interrupted[0].ID != attemptID {
		t.Fatalf("Superseded = %+v, want proc-victim's lease and attempt %s", sup, attemptID)
	}
	if took[0].at.Before(sup.Previous.Expires) {
		t.Fatalf("taken over at %s, before the lease expired at %s", took[0].at, sup.Previous.Expires)
	}
	a, err := s.Get(ctx, attemptID)
	if err != nil || a.Status != history.Interrupted {
		t.Fatalf("victim's attempt: %+v, %v; want interrupted", a, err)
	}
	t.Logf("taken over %s after the lease expired; reason: %s", took[0].at.Sub(sup.Previous.Expires).Round(time.Millisecond), a.Reason)
}

// TestHelperLocker is not a test: it is the body of the helper processes of
// TestLockProcesses and TestLockSIGKILL (the standard helper-process
// pattern), selected by RELMIG_HELPER_LOCKER.
func TestHelperLocker(t *testing.T) {
	mode := os.Getenv("RELMIG_HELPER_LOCKER")
	if mode == "" {
		t.Skip("helper process only")
	}
	ctx := context.Background()
	client, err := mongo.Connect(options.Client().ApplyURI(os.Getenv("RELMIG_HELPER_URI")))
	if err != nil {
		t.Fatal(err)
	}
	db := client.Database(os.Getenv("RELMIG_HELPER_DB"))
	s := newStore(t, db)
	run := os.Getenv("RELMIG_HELPER_RUN")
	l, err := New(db, s, Owner{RunID: run, Host: "helper", PID: os.Getpid()},
		WithLeaseDuration(testLease), WithRetryInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "contend":
		for r := range helperRounds {
			lease, err := l.AcquireWait(ctx, 2*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			start, valid := sectioned(lease)
			if valid {
				att, err := s.Begin(ctx, history.Attempt{Migration: fmt.Sprintf("m%d.ts", r), RunID: run})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.Finish(ctx, att.ID, history.Outcome{Status: history.Succeeded}); err != nil && !errors.Is(err, history.ErrNotRunning) {
					t.Fatal(err)
				}
			}
			time.Sleep(time.Duration(rand.N(5000)) * time.Microsecond)
			end, stillValid := sectioned(lease)
			iv := interval{Who: run, Start: start, End: end}
			if !valid || !stillValid {
				iv.Who += " (lease lost)"
			}
			if _, err := db.Collection("intervals").InsertOne(ctx, iv); err != nil {
				t.Fatal(err)
			}
			if err := lease.Release(ctx); err != nil && stillValid {
				t.Fatal(err)
			}
		}
	case "hold":
		if _, err := l.Acquire(ctx); err != nil {
			t.Fatal(err)
		}
		att, err := s.Begin(ctx, history.Attempt{Migration: "victim.ts", RunID: run})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("ready " + att.ID)
		time.Sleep(time.Hour) // until SIGKILL
	default:
		t.Fatalf("unknown helper mode %q", mode)
	}
}
