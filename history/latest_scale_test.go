package history

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/relmig/relmig/internal/testdb"
)

const (
	scaleMigrations = 1000
	scaleRecords    = 20000
)

// seedScale writes scaleRecords records over scaleMigrations migrations
// (1 KiB of output each; the latest attempt of the first `running`
// migrations still running) straight into the collections, heads included:
// going through Record would take minutes on the development server. The
// heads are computed as settle and markPending would leave them; the
// conformance suite covers that write path, and TestLatestAtScale checks
// the result against a full scan.
func seedScale(tb testing.TB, s *MongoStore, running int) {
	tb.Helper()
	ctx := context.Background()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	heads := make([]head, scaleMigrations)
	docs := make([]any, 0, scaleRecords)
	var runningDocs []any
	tail := strings.Repeat("x", 1023) + "\n"
	for i := range scaleRecords {
		m := i % scaleMigrations
		a := Attempt{
			ID: bson.NewObjectID().Hex(), Migration: fmt.Sprintf("dir%02d/m%04d.migration.ts", m%37, m),
			Release: fmt.Sprintf("v1.%d.0", m/10), Status: []Status{Failed, Succeeded, Interrupted, Succeeded}[i/scaleMigrations%4],
			RunID: fmt.Sprintf("run-%d", i/scaleMigrations), Target: "v9.0.0", StartedAt: t0.Add(time.Duration(i) * time.Second),
			SHA256: strings.Repeat("a", 64), OutputTail: tail, By: Actor{User: "ops", Host: "h", PID: 1, Version: "v"},
		}
		last := i >= scaleRecords-scaleMigrations
		h := &heads[m]
		h.Migration = a.Migration
		if last && m < running {
			// Under way: in the running collection, not yet in history.
			a.Status = Running
			runningDocs = append(runningDocs, a)
			continue
		} else {
			f := a.StartedAt.Add(time.Second)
			a.FinishedAt = &f
			h.Attempts++
			h.Latest = encodeEntry(a.Entry())
			if a.Status.Applied() {
				h.Applied = h.Latest
			}
		}
		docs = append(docs, a)
	}
	if err := s.ensure(ctx); err != nil {
		tb.Fatal(err)
	}
	for chunk := range slices.Chunk(docs, 2000) {
		if _, err := s.history.InsertMany(ctx, chunk); err != nil {
			tb.Fatal(err)
		}
	}
	if len(runningDocs) > 0 {
		if _, err := s.running.InsertMany(ctx, runningDocs); err != nil {
			tb.Fatal(err)
		}
	}
	hs := make([]any, len(heads))
	for i, h := range heads {
		if h.Pending == nil {
			h.Pending = []string{}
		}
		hs[i] = h
	}
	if _, err := s.state.InsertMany(ctx, hs); err != nil {
		tb.Fatal(err)
	}
}

// TestLatestAtScale measures Latest, the planner's read, with 20,000
// records over 1,000 migrations (make bench holds `relmig status` to 150 ms for the
// whole command), checks it against a full scan, and logs what a full
// scan and single writes cost on the same server for comparison.
func TestLatestAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 20,000 records")
	}
	_, db := testdb.New(t)
	s := newStore(t, db)
	ctx := tctx(t)
	seedScale(t, s, 1)

	measure := func(what string) map[string]Summary {
		var times []time.Duration
		var got map[string]Summary
		for range 5 {
			start := time.Now()
			var err error
			got, err = s.Latest(ctx)
			if err != nil {
				t.Fatal(err)
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		t.Logf("Latest over %d records, %d migrations, %s: median %s (min %s, max %s)", scaleRecords, scaleMigrations, what,
			times[2].Round(time.Millisecond), times[0].Round(time.Millisecond), times[4].Round(time.Millisecond))
		return got
	}
	got := measure("one attempt running")

	start := time.Now()
	all, err := s.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("for comparison, List of all %d records: %s", len(all), time.Since(start).Round(time.Millisecond))
	want := summarize(all)
	if len(got) != len(want) {
		t.Fatalf("Latest has %d migrations, a full scan %d", len(got), len(want))
	}
	for id, w := range want {
		g := got[id]
		if g.Latest.ID != w.Latest.ID || g.Attempts != w.Attempts || (g.Applied == nil) != (w.Applied == nil) ||
			(g.Applied != nil && *g.Applied != *w.Applied) || g.Latest != w.Latest {
			t.Fatalf("%s: Latest says %+v, a full scan %+v", id, g, w)
		}
	}

	running := got["dir00/m0000.migration.ts"].Latest
	if running.Status != Running {
		t.Fatalf("seeded running attempt reads as %s", running.Status)
	}
	start = time.Now()
	if _, err := s.Finish(ctx, running.ID, Outcome{Status: Succeeded}); err != nil {
		t.Fatal(err)
	}
	t.Logf("Finish with %d records: %s", scaleRecords, time.Since(start).Round(time.Millisecond))
	if got := measure("none running"); got["dir00/m0000.migration.ts"].Latest.Status != Succeeded {
		t.Fatal("Finish did not reach the summary")
	}

	for _, op := range []struct {
		name string
		fn   func() error
	}{
		{"Begin", func() error { _, err := s.Begin(ctx, Attempt{Migration: "x.ts", RunID: "r"}); return err }},
	} {
		start := time.Now()
		if err := op.fn(); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s with %d records: %s", op.name, scaleRecords, time.Since(start).Round(time.Millisecond))
	}
}

// summarize is Latest computed the slow way, from every record.
func summarize(all []Attempt) map[string]Summary {
	out := map[string]Summary{}
	for _, a := range all {
		e := a.Entry()
		s := out[a.Migration]
		s.Attempts++
		if s.Latest.ID == "" || newer(e, s.Latest) {
			s.Latest = e
		}
		if e.Status.Applied() && (s.Applied == nil || newer(e, *s.Applied)) {
			s.Applied = &e
		}
		out[a.Migration] = s
	}
	return out
}

// BenchmarkLatest measures Latest with 20,000 records over 1,000 migrations
// and nothing running (make bench's status scenario):
//
//	scripts/with-devdb.sh go test -run '^$' -bench Latest -benchtime 20x ./history/
func BenchmarkLatest(b *testing.B) {
	_, db := testdb.New(b)
	s, err := NewMongoStore(db)
	if err != nil {
		b.Fatal(err)
	}
	seedScale(b, s, 0)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Latest(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWriteCost logs what recording one migration costs (Begin, then
// Finish) on a fresh database: the store's share of the runner's
// per-migration overhead (make bench's "apply overhead").
func TestWriteCost(t *testing.T) {
	_, db := testdb.New(t)
	s := newStore(t, db)
	ctx := tctx(t)
	const n = 200
	start := time.Now()
	for i := range n {
		a, err := s.Begin(ctx, Attempt{Migration: fmt.Sprintf("m%03d.ts", i), RunID: "r"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Finish(ctx, a.ID, Outcome{Status: Succeeded}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("Begin+Finish of %d migrations on a fresh database: %s per migration", n, (time.Since(start) / n).Round(10*time.Microsecond))
}

func tctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func newStore(t *testing.T, db *mongo.Database) *MongoStore {
	t.Helper()
	s, err := NewMongoStore(db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
