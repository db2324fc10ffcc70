package lock

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/internal/testdb"
)

const testLease = time.Second

func tctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func newStore(t *testing.T, db *mongo.Database) *history.MongoStore {
	t.Helper()
	s, err := history.NewMongoStore(db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newLocker(t *testing.T, db *mongo.Database, s history.Store, run string, opts ...Option) *Locker {
	t.Helper()
	opts = append([]Option{WithLeaseDuration(testLease)}, opts...)
	l, err := New(db, s, Owner{RunID: run, Host: "test-host", PID: 1000}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestNewLockerValidates(t *testing.T) {
	_, db := testdb.New(t)
	s := newStore(t, db)
	own := Owner{RunID: "r"}
	for name, c := range map[string]struct {
		db    *mongo.Database
		store history.Store
		owner Owner
		opts  []Option
	}{
		"nil db":       {nil, s, own, nil},
		"nil store":    {db, nil, own, nil},
		"no run id":    {db, s, Owner{Host: "h"}, nil},
		"short lease":  {db, s, own, []Option{WithLeaseDuration(10 * time.Millisecond)}},
		"slash name":   {db, s, own, []Option{WithName("a/b")}},
		"empty name":   {db, s, own, []Option{WithName("")}},
		"bad coll":     {db, s, own, []Option{WithCollection("")}},
		"zero retry":   {db, s, own, []Option{WithRetryInterval(0)}},
		"system coll":  {db, s, own, []Option{WithCollection("system.js")}},
		"dollar coll":  {db, s, own, []Option{WithCollection("$x")}},
		"neg duration": {db, s, own, []Option{WithLeaseDuration(-time.Second)}},
	} {
		if _, err := New(c.db, c.store, c.owner, c.opts...); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestLockHeldAndReleased(t *testing.T) {
	_, db := testdb.New(t)
	ctx := tctx(t)
	s := newStore(t, db)
	a, b := newLocker(t, db, s, "run-a"), newLocker(t, db, s, "run-b")

	if _, err := a.Inspect(ctx); !errors.Is(err, ErrNotLocked) {
		t.Fatalf("Inspect of a free lock: err = %v, want ErrNotLocked", err)
	}
	la, err := a.Acquire(ctx)
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	if la.Superseded() != nil {
		t.Fatalf("a free lock reported a takeover: %+v", la.Superseded())
	}
	_, err = b.Acquire(ctx)
	var held *HeldError
	if !errors.As(err, &held) || !errors.Is(err, ErrHeld) || held.Owner.RunID != "run-a" || held.Expires.IsZero() {
		t.Fatalf("second Acquire: err = %v, want *HeldError naming run-a", err)
	}
	if !strings.Contains(err.Error(), "run run-a (pid 1000 on test-host)") {
		t.Fatalf("held error %q does not name the holder", err)
	}
	if _, err := a.Acquire(ctx); !errors.As(err, &held) {
		t.Fatalf("Acquire again by the same run: err = %v, want *HeldError (no re-entry)", err)
	}
	info, err := b.Inspect(ctx)
	if err != nil || info.Owner.RunID != "run-a" || info.Token != la.Info().Token {
		t.Fatalf("Inspect = %+v, %v; want run-a's lease", info, err)
	}
	// AcquireWait gives up after its wait with the held error.
	start := time.Now()
	if _, err := b.AcquireWait(ctx, 300*time.Millisecond); !errors.Is(err, ErrHeld) {
		t.Fatalf("AcquireWait while held: err = %v, want ErrHeld", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 3*time.Second {
		t.Fatalf("AcquireWait(300ms) returned after %s", d)
	}

	// Release works with a cancelled context (Ctrl-C) and is idempotent.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := la.Release(cancelled); err != nil {
		t.Fatalf("Release with a cancelled context: %v", err)
	}
	if err := la.Release(ctx); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	if _, err := a.Inspect(ctx); !errors.Is(err, ErrNotLocked) {
		t.Fatalf("Inspect after Release: err = %v, want ErrNotLocked", err)
	}
	lb, err := b.Acquire(ctx)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	defer func() { _ = lb.Release(ctx) }()
	if lb.Superseded() != nil {
		t.Fatal("a released lock was reported as taken over")
	}
}

func TestLeaseRenews(t *testing.T) {
	_, db := testdb.New(t)
	ctx := tctx(t)
	l := newLocker(t, db, newStore(t, db), "run-a")
	lease, err := l.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := lease.Info().Expires
	select {
	case <-lease.Lost():
		t.Fatalf("lease lost: %v", lease.Err())
	case <-time.After(3 * testLease):
	}
	info, err := l.Inspect(ctx)
	if err != nil || !info.Expires.After(first.Add(testLease)) || info.Expired(time.Now()) {
		t.Fatalf("after 3 leases: %+v, %v; want a renewed, live lease", info, err)
	}
	if err := lease.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestBreak(t *testing.T) {
	_, db := testdb.New(t)
	ctx := tctx(t)
	s := newStore(t, db)
	holder, op := newLocker(t, db, s, "run-a"), newLocker(t, db, s, "run-op")
	if _, err := op.Break(ctx, history.Actor{User: "ops"}, "x"); !errors.Is(err, ErrNotLocked) {
		t.Fatalf("Break of a free lock: err = %v, want ErrNotLocked", err)
	}
	lease, err := holder.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	att, err := s.Begin(ctx, history.Attempt{Migration: "m.ts", RunID: "run-a"})
	if err != nil {
		t.Fatal(err)
	}
	by := history.Actor{User: "ops", Host: "bastion", PID: 7, Version: "v1"}
	got, err := op.Break(ctx, by, "holder pod is gone")
	if err != nil {
		t.Fatalf("Break: %v", err)
	}
	if got.Previous.Owner.RunID != "run-a" || len(got.Interrupted) != 1 || got.Interrupted[0].ID != att.ID {
		t.Fatalf("Break = %+v, want run-a's lease and its running attempt", got)
	}
	if a, _ := s.Get(ctx, att.ID); a.Status != history.Interrupted || !strings.Contains(a.Reason, "broken by ops@bastion: holder pod is gone") {
		t.Fatalf("attempt after Break: %s %q", a.Status, a.Reason)
	}
	if _, err := op.Inspect(ctx); !errors.Is(err, ErrNotLocked) {
		t.Fatalf("Inspect after Break: %v, want ErrNotLocked", err)
	}
	// The holder notices at its next renewal.
	select {
	case <-lease.Lost():
	case <-time.After(2 * testLease):
		t.Fatal("the holder did not notice its lease was broken")
	}
	if err := lease.Err(); !errors.Is(err, ErrLost) || !strings.Contains(err.Error(), "broken or released") {
		t.Fatalf("Err after Break = %v", err)
	}
	if err := lease.Release(ctx); !errors.Is(err, ErrLost) {
		t.Fatalf("Release of a broken lease: err = %v, want ErrLost", err)
	}
	evs, err := op.Events(ctx)
	if err != nil || len(evs) != 1 {
		t.Fatalf("Events = %+v, %v; want one", evs, err)
	}
	if e := evs[0]; e.Kind != EventBreak || e.By == nil || *e.By != by || e.Reason != "holder pod is gone" || e.Previous.Owner.RunID != "run-a" {
		t.Fatalf("break event %+v", e)
	}
}

// TestTakeoverOfDeadHolder: a holder that stops renewing is taken over after
// its lease expires, its running attempt becomes interrupted, the taker
// learns whom it displaced, and the dead holder's late Finish is refused.
func TestTakeoverOfDeadHolder(t *testing.T) {
	_, db := testdb.New(t)
	ctx := tctx(t)
	s := newStore(t, db)
	dead, taker := newLocker(t, db, s, "run-dead"), newLocker(t, db, s, "run-taker")
	dl, err := dead.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	att, err := s.Begin(ctx, history.Attempt{Migration: "m.ts", RunID: "run-dead"})
	if err != nil {
		t.Fatal(err)
	}
	dl.finish() // the process dies: no more renewals, no release
	expires := dl.Info().Expires

	if _, err := taker.Acquire(ctx); !errors.Is(err, ErrHeld) {
		t.Fatalf("Acquire before expiry: err = %v, want ErrHeld", err)
	}
	lease, err := taker.AcquireWait(ctx, 5*testLease)
	if err != nil {
		t.Fatalf("AcquireWait: %v", err)
	}
	defer func() { _ = lease.Release(ctx) }()
	if time.Now().Before(expires) {
		t.Fatalf("taken over before the lease expired at %s", expires)
	}
	sup := lease.Superseded()
	if sup == nil || sup.Previous.Owner.RunID != "run-dead" || len(sup.Interrupted) != 1 || sup.Interrupted[0].ID != att.ID {
		t.Fatalf("Superseded = %+v, want run-dead's lease and its attempt", sup)
	}
	if a, _ := s.Get(ctx, att.ID); a.Status != history.Interrupted || !strings.Contains(a.Reason, "run run-dead stopped renewing") {
		t.Fatalf("attempt after takeover: %s %q", a.Status, a.Reason)
	}
	if _, err := s.Finish(ctx, att.ID, history.Outcome{Status: history.Succeeded}); !errors.Is(err, history.ErrNotRunning) {
		t.Fatalf("late Finish of the dead run: err = %v, want history.ErrNotRunning", err)
	}
	if info := lease.Info(); len(info.DeadRuns) != 0 {
		t.Fatalf("dead runs left in the lease: %v", info.DeadRuns)
	}
	evs, _ := taker.Events(ctx)
	if len(evs) != 1 || evs[0].Kind != EventTakeover || evs[0].NewOwner == nil || evs[0].NewOwner.RunID != "run-taker" {
		t.Fatalf("events %+v, want one takeover by run-taker", evs)
	}
}

// TestLeaseLostToTakeover: a holder whose lease expired (here: forced into
// the past, as a long pause would) and was taken over learns so at its next
// renewal, and its Release leaves the successor's lease alone.
func TestLeaseLostToTakeover(t *testing.T) {
	_, db := testdb.New(t)
	ctx := tctx(t)
	s := newStore(t, db)
	slow, taker := newLocker(t, db, s, "run-slow"), newLocker(t, db, s, "run-taker")
	sl, err := slow.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection(DefaultCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: DefaultName}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "expires", Value: time.Now().Add(-time.Hour)}}}}); err != nil {
		t.Fatal(err)
	}
	tl, err := taker.Acquire(ctx)
	if err != nil {
		t.Fatalf("Acquire of the expired lease: %v", err)
	}
	select {
	case <-sl.Lost():
	case <-time.After(2 * testLease):
		t.Fatal("the slow holder did not notice the takeover")
	}
	if err := sl.Err(); !errors.Is(err, ErrLost) || !strings.Contains(err.Error(), "taken over by run run-taker") {
		t.Fatalf("Err = %v", err)
	}
	_ = sl.Release(ctx)
	info, err := taker.Inspect(ctx)
	if err != nil || info.Token != tl.Info().Token {
		t.Fatalf("the loser's Release touched the successor's lease: %+v, %v", info, err)
	}
	if err := tl.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestLockCustomNames: two lock names in one collection are independent.
func TestLockCustomNames(t *testing.T) {
	_, db := testdb.New(t)
	ctx := tctx(t)
	s := newStore(t, db)
	a := newLocker(t, db, s, "run-a", WithCollection("locks"), WithName("one"))
	b := newLocker(t, db, s, "run-b", WithCollection("locks"), WithName("two"))
	la, err := a.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := b.Acquire(ctx)
	if err != nil {
		t.Fatalf("a second lock name was held by the first: %v", err)
	}
	for _, l := range []*Lease{la, lb} {
		if err := l.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := db.Collection(DefaultCollection).CountDocuments(ctx, bson.D{}); n != 0 {
		t.Fatalf("%d documents in the default lock collection", n)
	}
}

func fmtIntervals(iv []interval) string {
	var b strings.Builder
	for _, i := range iv {
		fmt.Fprintf(&b, "%s %s–%s\n", i.Who, i.Start.Format("15:04:05.000000"), i.End.Format("15:04:05.000000"))
	}
	return b.String()
}
