package history_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/history/historytest"
	"github.com/relmig/relmig/internal/testdb"
	"github.com/relmig/relmig/lock"
)

// TestMongoStoreConformance runs the conformance suite against the
// development server, each subtest in a fresh database.
func TestMongoStoreConformance(t *testing.T) {
	historytest.Run(t, func(t *testing.T) history.Store {
		_, db := testdb.New(t)
		s, err := history.NewMongoStore(db)
		if err != nil {
			t.Fatalf("NewMongoStore: %v", err)
		}
		return s
	})
}

// TestMongoStoreCustomCollections checks that the collection options are
// honoured: nothing lands in the default collections.
func TestMongoStoreCustomCollections(t *testing.T) {
	_, db := testdb.New(t)
	ctx := context.Background()
	s, err := history.NewMongoStore(db, history.WithHistoryCollection("h"), history.WithStateCollection("st"), history.WithRunningCollection("run"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Begin(ctx, history.Attempt{Migration: "m.ts", RunID: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Finish(ctx, a.ID, history.Outcome{Status: history.Succeeded}); err != nil {
		t.Fatal(err)
	}
	names, err := db.ListCollectionNames(ctx, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(names, ",")
	if !strings.Contains(got, "h") || !strings.Contains(got, "st") || !strings.Contains(got, "run") || strings.Contains(got, "relmig_") {
		t.Fatalf("collections %s, want h, st and run only", got)
	}
}

func TestNewMongoStoreValidates(t *testing.T) {
	_, db := testdb.New(t)
	for name, c := range map[string]struct {
		db   *mongo.Database
		opts []history.StoreOption
	}{
		"nil db":          {nil, nil},
		"empty name":      {db, []history.StoreOption{history.WithHistoryCollection("")}},
		"dollar":          {db, []history.StoreOption{history.WithStateCollection("a$b")}},
		"system":          {db, []history.StoreOption{history.WithHistoryCollection("system.x")}},
		"same collection": {db, []history.StoreOption{history.WithHistoryCollection("x"), history.WithStateCollection("x")}},
	} {
		if _, err := history.NewMongoStore(c.db, c.opts...); !errors.Is(err, history.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

// TestUnreachableServer: a server nobody answers on gives a clear error
// within the server-selection timeout, never a hang, and the lock does not
// mistake it for "held".
func TestUnreachableServer(t *testing.T) {
	client, err := mongo.Connect(options.Client().ApplyURI("mongodb://127.0.0.1:1/relmig").
		SetServerSelectionTimeout(500 * time.Millisecond).SetConnectTimeout(500 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	db := client.Database("relmig")
	s, err := history.NewMongoStore(db)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	start := time.Now()
	_, err = s.Begin(ctx, history.Attempt{Migration: "m.ts", RunID: "r"})
	if err == nil || !strings.Contains(err.Error(), "server selection") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("Begin on an unreachable server: err = %v, want a server selection error naming the address", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Begin took %s to fail", d)
	}
	t.Logf("Begin: %v (after %s)", err, time.Since(start).Round(time.Millisecond))

	if _, err := s.Latest(ctx); err == nil {
		t.Fatal("Latest on an unreachable server succeeded")
	}
	l, err := lock.New(db, s, lock.Owner{RunID: "r", Host: "h", PID: 1})
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	_, err = l.AcquireWait(ctx, 10*time.Second)
	if err == nil || errors.Is(err, lock.ErrHeld) || !strings.Contains(err.Error(), "server selection") {
		t.Fatalf("Acquire on an unreachable server: err = %v, want a server selection error, not held", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("AcquireWait took %s to fail: it must not retry real errors", d)
	}
}
