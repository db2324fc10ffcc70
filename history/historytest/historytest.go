// Package historytest is the conformance suite every history.Store must
// pass: each method, each documented error, append-only behaviour and the
// summaries the planner reads.
package historytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/relmig/relmig/history"
)

// Run runs the suite. newStore must return an empty store, a fresh one per
// call; subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) history.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, history.Store)
	}{
		{"BeginThenGet", testBeginThenGet},
		{"BeginInvalid", testBeginInvalid},
		{"FinishOnce", testFinishOnce},
		{"FinishErrors", testFinishErrors},
		{"OutputTailTrimmed", testOutputTailTrimmed},
		{"Record", testRecord},
		{"RecordInvalid", testRecordInvalid},
		{"RecordMany", testRecordMany},
		{"ListFilters", testListFilters},
		{"InterruptRunning", testInterruptRunning},
		{"Latest", testLatest},
		{"ConcurrentWriters", testConcurrentWriters},
		{"CancelledContext", testCancelledContext},
		{"ClaimOnePerMigration", testClaimOnePerMigration},
		{"ClaimRace", testClaimRace},
		{"Abandon", testAbandon},
		{"LatestEnded", testLatestEnded},
		{"FinishProgress", testFinishProgress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// base is a record with every caller-provided field set.
func base(migration, run string) history.Attempt {
	return history.Attempt{
		Migration: migration,
		Release:   "v1.2.0",
		RunID:     run,
		Target:    "v2.0.1",
		SHA256:    strings.Repeat("ab", 32),
		LogFile:   "/var/log/relmig/" + run + "/" + migration + ".log",
		By:        history.Actor{User: "ops", Host: "db-admin-1", PID: 4242, Version: "v0.1.0"},
	}
}

// same fails unless a and b have the same JSON form (the history contract).
func same(t *testing.T, what string, got, want history.Attempt) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func mustBegin(t *testing.T, s history.Store, a history.Attempt) history.Attempt {
	t.Helper()
	got, err := s.Begin(ctx(t), a)
	if err != nil {
		t.Fatalf("Begin(%s): %v", a.Migration, err)
	}
	return got
}

func mustFinish(t *testing.T, s history.Store, id string, st history.Status) history.Attempt {
	t.Helper()
	code := 0
	if st == history.Failed {
		code = 1
	}
	got, err := s.Finish(ctx(t), id, history.Outcome{Status: st, Duration: 1500 * time.Millisecond, ExitCode: &code, OutputTail: "done\n"})
	if err != nil {
		t.Fatalf("Finish(%s, %s): %v", id, st, err)
	}
	return got
}

func count(t *testing.T, s history.Store) int {
	t.Helper()
	all, err := s.List(ctx(t), history.Filter{})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return len(all)
}

func testBeginThenGet(t *testing.T, s history.Store) {
	in := base("users/add-index.ts", "run-1")
	a := mustBegin(t, s, in)
	if a.ID == "" || a.Status != history.Running || a.StartedAt.IsZero() || a.FinishedAt != nil || a.ExitCode != nil {
		t.Fatalf("Begin returned %+v, want an id, running, a start time, no end", a)
	}
	if time.Since(a.StartedAt) > time.Minute || time.Until(a.StartedAt) > time.Minute {
		t.Fatalf("StartedAt %s is not now", a.StartedAt)
	}
	want := in
	want.ID, want.Status, want.StartedAt = a.ID, history.Running, a.StartedAt
	same(t, "Begin result", a, want)
	got, err := s.Get(ctx(t), a.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	same(t, "Get after Begin", got, a)

	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	in2 := base("users/other.ts", "run-1")
	in2.StartedAt = at
	b := mustBegin(t, s, in2)
	if !b.StartedAt.Equal(at.Truncate(time.Millisecond)) {
		t.Fatalf("StartedAt = %s, want the given %s at millisecond precision", b.StartedAt, at)
	}
	if b.ID == a.ID {
		t.Fatal("two attempts share an id")
	}
}

func testBeginInvalid(t *testing.T, s history.Store) {
	for name, a := range map[string]history.Attempt{
		"no migration": base("", "run-1"),
		"no run id":    base("m.ts", ""),
		"terminal":     func() history.Attempt { a := base("m.ts", "run-1"); a.Status = history.Succeeded; return a }(),
	} {
		if _, err := s.Begin(ctx(t), a); !errors.Is(err, history.ErrInvalid) {
			t.Errorf("Begin with %s: err = %v, want ErrInvalid", name, err)
		}
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("invalid Begins wrote %d records", n)
	}
}

func testFinishOnce(t *testing.T, s history.Store) {
	a := mustBegin(t, s, base("m.ts", "run-1"))
	end := time.Now().Add(2 * time.Second).UTC().Truncate(time.Millisecond)
	code := 3
	got, err := s.Finish(ctx(t), a.ID, history.Outcome{
		Status: history.Failed, FinishedAt: end, Duration: 2 * time.Second,
		ExitCode: &code, Signal: "", OutputTail: "boom\n", Reason: "exit status 3",
	})
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	want := a
	want.Status, want.FinishedAt, want.DurationMS, want.ExitCode = history.Failed, &end, 2000, &code
	want.OutputTail, want.Reason = "boom\n", "exit status 3"
	same(t, "Finish result", got, want)
	stored, err := s.Get(ctx(t), a.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	same(t, "Get after Finish", stored, want)

	// Terminal records are never changed again.
	_, err = s.Finish(ctx(t), a.ID, history.Outcome{Status: history.Succeeded})
	var nr *history.NotRunningError
	if !errors.As(err, &nr) || !errors.Is(err, history.ErrNotRunning) || nr.Status != history.Failed || nr.ID != a.ID {
		t.Fatalf("second Finish: err = %v, want *NotRunningError{%s, failed}", err, a.ID)
	}
	stored, _ = s.Get(ctx(t), a.ID)
	same(t, "record after refused second Finish", stored, want)
}

func testFinishErrors(t *testing.T, s history.Store) {
	if _, err := s.Finish(ctx(t), "000000000000000000000000", history.Outcome{Status: history.Succeeded}); !errors.Is(err, history.ErrNotFound) {
		t.Errorf("Finish of unknown id: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx(t), "000000000000000000000000"); !errors.Is(err, history.ErrNotFound) {
		t.Errorf("Get of unknown id: err = %v, want ErrNotFound", err)
	}
	a := mustBegin(t, s, base("m.ts", "run-1"))
	for _, o := range []history.Outcome{{Status: history.Running}, {Status: "done"}, {Status: history.Succeeded, Duration: -time.Second}} {
		if _, err := s.Finish(ctx(t), a.ID, o); !errors.Is(err, history.ErrInvalid) {
			t.Errorf("Finish with %+v: err = %v, want ErrInvalid", o, err)
		}
	}
	if got, _ := s.Get(ctx(t), a.ID); got.Status != history.Running {
		t.Fatalf("invalid Finish changed the record to %s", got.Status)
	}
}

func testOutputTailTrimmed(t *testing.T, s history.Store) {
	a := mustBegin(t, s, base("m.ts", "run-1"))
	out := strings.Repeat("é", history.MaxOutputTail) + "END" // 32 KiB + 3 bytes, multi-byte runes
	got, err := s.Finish(ctx(t), a.ID, history.Outcome{Status: history.Succeeded, OutputTail: out})
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	tail := got.OutputTail
	if len(tail) > history.MaxOutputTail || len(tail) < history.MaxOutputTail-utf8.UTFMax ||
		!utf8.ValidString(tail) || !strings.HasSuffix(out, tail) {
		t.Fatalf("stored tail: %d bytes, valid UTF-8 %v, suffix %v; want the last %d bytes at a rune boundary",
			len(tail), utf8.ValidString(tail), strings.HasSuffix(out, tail), history.MaxOutputTail)
	}
	stored, _ := s.Get(ctx(t), a.ID)
	if stored.OutputTail != tail {
		t.Fatal("Get returns another tail than Finish")
	}
}

func testRecord(t *testing.T, s history.Store) {
	b := base("a.ts", "run-9")
	b.Status, b.Reason = history.Baselined, "migrated by hand before relmig"
	k := base("b.ts", "run-9")
	k.Status, k.Reason = history.Skipped, "data already correct"
	got, err := s.Record(ctx(t), b, k)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if len(got) != 2 || got[0].ID == "" || got[0].ID == got[1].ID {
		t.Fatalf("Record returned %+v, want two records with distinct ids", got)
	}
	for i, r := range got {
		if r.FinishedAt == nil || !r.FinishedAt.Equal(r.StartedAt) || r.StartedAt.IsZero() {
			t.Fatalf("record %d: started %s finished %v, want both now", i, r.StartedAt, r.FinishedAt)
		}
		stored, err := s.Get(ctx(t), r.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		same(t, "Get after Record", stored, r)
	}
	if got[0].Status != history.Baselined || got[1].Reason != k.Reason {
		t.Fatalf("Record changed the input: %+v", got)
	}
	if _, err := s.Finish(ctx(t), got[0].ID, history.Outcome{Status: history.Failed}); !errors.Is(err, history.ErrNotRunning) {
		t.Fatalf("Finish of a recorded record: err = %v, want ErrNotRunning", err)
	}
	if none, err := s.Record(ctx(t)); err != nil || len(none) != 0 {
		t.Fatalf("Record() = %v, %v; want nothing", none, err)
	}
}

// testRecordMany records more migrations at once than one write command of
// the development server takes (a baseline of a long-lived application).
func testRecordMany(t *testing.T, s history.Store) {
	const n = 230
	as := make([]history.Attempt, n)
	for i := range as {
		as[i] = base(fmt.Sprintf("many/%03d.js", i), "run-many")
		as[i].Status = history.Baselined
		as[i].Reason = "adopted"
	}
	got, err := s.Record(ctx(t), as...)
	if err != nil {
		t.Fatalf("Record(%d records): %v", n, err)
	}
	if len(got) != n {
		t.Fatalf("Record returned %d records, want %d", len(got), n)
	}
	sums, err := s.Latest(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for i := range as {
		sum, ok := sums[as[i].Migration]
		if !ok || sum.Applied == nil || sum.Latest.Status != history.Baselined || sum.Attempts != 1 {
			t.Fatalf("summary of %s = %+v (present %v), want one baselined record", as[i].Migration, sum, ok)
		}
	}
	list, err := s.List(ctx(t), history.Filter{RunID: "run-many"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n {
		t.Fatalf("List found %d records, want %d", len(list), n)
	}
}

func testRecordInvalid(t *testing.T, s history.Store) {
	ok := base("a.ts", "run-1")
	ok.Status, ok.Reason = history.Succeeded, "applied by hand"
	for name, bad := range map[string]history.Attempt{
		"running":      func() history.Attempt { a := ok; a.Status = history.Running; return a }(),
		"no status":    func() history.Attempt { a := ok; a.Status = ""; return a }(),
		"no reason":    func() history.Attempt { a := ok; a.Reason = ""; return a }(),
		"no migration": func() history.Attempt { a := ok; a.Migration = ""; return a }(),
	} {
		if _, err := s.Record(ctx(t), ok, bad); !errors.Is(err, history.ErrInvalid) {
			t.Errorf("Record with %s: err = %v, want ErrInvalid", name, err)
		}
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("invalid Records wrote %d records, want none (all or nothing)", n)
	}
}

func testListFilters(t *testing.T, s history.Store) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := func(m, run, rel string, st history.Status, min int) history.Attempt {
		a := base(m, run)
		a.Release, a.Status, a.Reason, a.StartedAt = rel, st, "test", t0.Add(time.Duration(min)*time.Minute)
		return a
	}
	in := []history.Attempt{
		rec("a.ts", "r1", "v1.0.0", history.Baselined, 0),
		rec("b.ts", "r1", "v1.0.0", history.Failed, 1),
		rec("b.ts", "r2", "v1.0.0", history.Succeeded, 2),
		rec("c.ts", "r2", "v1.1.0", history.Succeeded, 3),
	}
	// Record them out of order: List orders by start time, not insertion.
	if _, err := s.Record(ctx(t), in[2], in[0], in[3], in[1]); err != nil {
		t.Fatalf("Record: %v", err)
	}
	run := mustBegin(t, s, func() history.Attempt {
		a := base("d.ts", "r3")
		a.Release = "v1.1.0"
		a.StartedAt = t0.Add(4 * time.Minute)
		return a
	}())

	ids := func(f history.Filter) string {
		t.Helper()
		got, err := s.List(ctx(t), f)
		if err != nil {
			t.Fatalf("List(%+v): %v", f, err)
		}
		var parts []string
		for _, a := range got {
			parts = append(parts, fmt.Sprintf("%s@%d", a.Migration, int(a.StartedAt.Sub(t0).Minutes())))
		}
		return strings.Join(parts, " ")
	}
	for _, c := range []struct {
		f    history.Filter
		want string
	}{
		{history.Filter{}, "d.ts@4 c.ts@3 b.ts@2 b.ts@1 a.ts@0"},
		{history.Filter{Migration: "b.ts"}, "b.ts@2 b.ts@1"},
		{history.Filter{Status: history.Succeeded}, "c.ts@3 b.ts@2"},
		{history.Filter{Status: history.Running}, "d.ts@4"},
		{history.Filter{Release: "v1.1.0"}, "d.ts@4 c.ts@3"},
		{history.Filter{RunID: "r1"}, "b.ts@1 a.ts@0"},
		{history.Filter{Since: t0.Add(2 * time.Minute)}, "d.ts@4 c.ts@3 b.ts@2"},
		{history.Filter{Limit: 2}, "d.ts@4 c.ts@3"},
		{history.Filter{Migration: "b.ts", RunID: "r2"}, "b.ts@2"},
		{history.Filter{Migration: "zzz"}, ""},
	} {
		if got := ids(c.f); got != c.want {
			t.Errorf("List(%+v) = %q, want %q", c.f, got, c.want)
		}
	}
	if got, _ := s.List(ctx(t), history.Filter{RunID: "r3"}); len(got) != 1 || got[0].ID != run.ID {
		t.Errorf("List by run r3 = %+v, want the running attempt", got)
	}
}

func testInterruptRunning(t *testing.T, s history.Store) {
	a1 := mustBegin(t, s, base("a.ts", "dead"))
	a2 := mustBegin(t, s, base("b.ts", "dead"))
	a0 := mustBegin(t, s, base("z.ts", "dead"))
	mustFinish(t, s, a0.ID, history.Succeeded)
	other := mustBegin(t, s, base("c.ts", "alive"))

	got, err := s.InterruptRunning(ctx(t), "dead", "lease expired")
	if err != nil {
		t.Fatalf("InterruptRunning: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("InterruptRunning returned %d records, want 2", len(got))
	}
	for _, a := range got {
		if a.Status != history.Interrupted || a.Reason != "lease expired" || a.FinishedAt == nil || (a.ID != a1.ID && a.ID != a2.ID) {
			t.Fatalf("interrupted record %+v", a)
		}
		stored, _ := s.Get(ctx(t), a.ID)
		same(t, "Get after InterruptRunning", stored, a)
	}
	if st, _ := s.Get(ctx(t), a0.ID); st.Status != history.Succeeded {
		t.Fatalf("a terminal record of the dead run became %s", st.Status)
	}
	if st, _ := s.Get(ctx(t), other.ID); st.Status != history.Running {
		t.Fatalf("another run's record became %s", st.Status)
	}
	// The dead run's late Finish does not overwrite the interruption.
	_, err = s.Finish(ctx(t), a1.ID, history.Outcome{Status: history.Succeeded})
	var nr *history.NotRunningError
	if !errors.As(err, &nr) || nr.Status != history.Interrupted {
		t.Fatalf("Finish after interruption: err = %v, want *NotRunningError{interrupted}", err)
	}
	if again, err := s.InterruptRunning(ctx(t), "dead", "again"); err != nil || len(again) != 0 {
		t.Fatalf("second InterruptRunning = %d records, %v; want none", len(again), err)
	}
	if _, err := s.InterruptRunning(ctx(t), "", "x"); !errors.Is(err, history.ErrInvalid) {
		t.Fatalf("InterruptRunning of empty run: err = %v, want ErrInvalid", err)
	}
	if n := count(t, s); n != 4 {
		t.Fatalf("%d records, want 4: history is append-only", n)
	}
}

func testLatest(t *testing.T, s history.Store) {
	got, err := s.Latest(ctx(t))
	if err != nil || len(got) != 0 {
		t.Fatalf("Latest of an empty store = %v, %v", got, err)
	}
	// m1: succeeded, then failed: latest failed, applied the success.
	m1a := mustFinish(t, s, mustBegin(t, s, base("m1.ts", "r1")).ID, history.Succeeded)
	m1b := mustFinish(t, s, mustBegin(t, s, base("m1.ts", "r2")).ID, history.Failed)
	// m2: running.
	m2 := mustBegin(t, s, base("m2.ts", "r2"))
	// m3: baselined.
	b := base("m3.ts", "r0")
	b.Status, b.Reason = history.Baselined, "adopted"
	m3, err := s.Record(ctx(t), b)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	// m4: succeeded, then a new running attempt.
	m4a := mustFinish(t, s, mustBegin(t, s, base("m4.ts", "r1")).ID, history.Succeeded)
	m4b := mustBegin(t, s, base("m4.ts", "r3"))

	check := func(id string, latest history.Attempt, applied *history.Attempt, attempts int) {
		t.Helper()
		all, err := s.Latest(ctx(t))
		if err != nil {
			t.Fatalf("Latest: %v", err)
		}
		sum, ok := all[id]
		if !ok {
			t.Fatalf("Latest has no %s", id)
		}
		if sum.Latest != latest.Entry() {
			t.Fatalf("%s latest = %+v, want %+v", id, sum.Latest, latest.Entry())
		}
		if (sum.Applied == nil) != (applied == nil) || (applied != nil && *sum.Applied != applied.Entry()) {
			t.Fatalf("%s applied = %+v, want %+v", id, sum.Applied, applied)
		}
		if sum.Attempts != attempts {
			t.Fatalf("%s attempts = %d, want %d", id, sum.Attempts, attempts)
		}
	}
	check("m1.ts", m1b, &m1a, 2)
	check("m2.ts", m2, nil, 1)
	check("m3.ts", m3[0], &m3[0], 1)
	check("m4.ts", m4b, &m4a, 2)
	all, _ := s.Latest(ctx(t))
	if len(all) != 4 {
		t.Fatalf("Latest has %d migrations, want 4", len(all))
	}

	m2done := mustFinish(t, s, m2.ID, history.Succeeded)
	check("m2.ts", m2done, &m2done, 1)
	dead, err := s.InterruptRunning(ctx(t), "r3", "lease expired")
	if err != nil || len(dead) != 1 {
		t.Fatalf("InterruptRunning = %v, %v", dead, err)
	}
	check("m4.ts", dead[0], &m4a, 2)
}

func testConcurrentWriters(t *testing.T, s history.Store) {
	const writers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				a, err := s.Begin(ctx(t), base(fmt.Sprintf("w%d.ts", w), fmt.Sprintf("run-%d-%d", w, i)))
				if err != nil {
					errs <- err
					return
				}
				if _, err := s.Finish(ctx(t), a.ID, history.Outcome{Status: history.Succeeded}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := count(t, s); n != writers*each {
		t.Fatalf("%d records, want %d", n, writers*each)
	}
	all, err := s.Latest(ctx(t))
	if err != nil {
		t.Fatalf("Latest: %v", err)
	}
	for w := range writers {
		sum := all[fmt.Sprintf("w%d.ts", w)]
		if sum.Attempts != each || sum.Latest.RunID != fmt.Sprintf("run-%d-%d", w, each-1) || sum.Applied == nil || sum.Latest.Status != history.Succeeded {
			t.Fatalf("w%d: %+v, want %d attempts, latest of run-%d-%d", w, sum, each, w, each-1)
		}
	}
}

func testCancelledContext(t *testing.T, s history.Store) {
	c, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Begin(c, base("m.ts", "r")); !errors.Is(err, context.Canceled) {
		t.Errorf("Begin with a cancelled context: err = %v, want context.Canceled", err)
	}
	if _, err := s.List(c, history.Filter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("List with a cancelled context: err = %v, want context.Canceled", err)
	}
	if _, err := s.Latest(c); !errors.Is(err, context.Canceled) {
		t.Errorf("Latest with a cancelled context: err = %v, want context.Canceled", err)
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("a cancelled Begin wrote %d records", n)
	}
}

func testClaimOnePerMigration(t *testing.T, s history.Store) {
	a := mustBegin(t, s, base("m.ts", "run-1"))
	_, err := s.Begin(ctx(t), base("m.ts", "run-2"))
	var ce *history.ClaimedError
	if !errors.As(err, &ce) || !errors.Is(err, history.ErrClaimed) || ce.Holder.ID != a.ID || ce.Holder.RunID != "run-1" {
		t.Fatalf("second Begin of a running migration: err = %v, want *ClaimedError naming %s", err, a.ID)
	}
	// Another migration is not affected.
	mustBegin(t, s, base("other.ts", "run-2"))
	// The claim ends with the attempt; the next attempt may claim again.
	mustFinish(t, s, a.ID, history.Failed)
	b := mustBegin(t, s, base("m.ts", "run-2"))
	if _, err := s.InterruptRunning(ctx(t), "run-2", "dead"); err != nil {
		t.Fatalf("InterruptRunning: %v", err)
	}
	c := mustBegin(t, s, base("m.ts", "run-3"))
	if c.ID == b.ID {
		t.Fatal("a new claim reused an attempt id")
	}
	if n := count(t, s); n != 4 {
		t.Fatalf("%d records, want 4 (the refused Begin writes none)", n)
	}
}

func testClaimRace(t *testing.T, s history.Store) {
	const contenders = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, claimed := 0, 0
	var other []error
	start := make(chan struct{})
	for i := range contenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.Begin(ctx(t), base("race.ts", fmt.Sprintf("run-%d", i)))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, history.ErrClaimed):
				claimed++
			default:
				other = append(other, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(other) > 0 {
		t.Fatalf("unexpected errors: %v", other)
	}
	if won != 1 || claimed != contenders-1 {
		t.Fatalf("%d claims won and %d refused, want exactly 1 and %d", won, claimed, contenders-1)
	}
}

func testAbandon(t *testing.T, s history.Store) {
	a := mustBegin(t, s, base("m.ts", "run-1"))
	if err := s.Abandon(ctx(t), a.ID); err != nil {
		t.Fatalf("Abandon: %v", err)
	}
	if _, err := s.Get(ctx(t), a.ID); !errors.Is(err, history.ErrNotFound) {
		t.Fatalf("Get after Abandon: err = %v, want ErrNotFound", err)
	}
	if err := s.Abandon(ctx(t), a.ID); !errors.Is(err, history.ErrNotFound) {
		t.Fatalf("second Abandon: err = %v, want ErrNotFound", err)
	}
	all, err := s.Latest(ctx(t))
	if err != nil || len(all) != 0 {
		t.Fatalf("Latest after Abandon = %v, %v; want nothing", all, err)
	}
	// The claim is free again, and a finished record cannot be abandoned.
	b := mustBegin(t, s, base("m.ts", "run-2"))
	mustFinish(t, s, b.ID, history.Succeeded)
	if err := s.Abandon(ctx(t), b.ID); !errors.Is(err, history.ErrNotFound) {
		t.Fatalf("Abandon of an ended record: err = %v, want ErrNotFound", err)
	}
	if n := count(t, s); n != 1 {
		t.Fatalf("%d records, want 1", n)
	}
}

func testLatestEnded(t *testing.T, s history.Store) {
	if e, err := s.LatestEnded(ctx(t), "m.ts"); err != nil || e != nil {
		t.Fatalf("LatestEnded with no record = %+v, %v; want nil", e, err)
	}
	a := mustBegin(t, s, base("m.ts", "run-1"))
	if e, err := s.LatestEnded(ctx(t), "m.ts"); err != nil || e != nil {
		t.Fatalf("LatestEnded with only a running record = %+v, %v; want nil", e, err)
	}
	fa := mustFinish(t, s, a.ID, history.Failed)
	if e, err := s.LatestEnded(ctx(t), "m.ts"); err != nil || e == nil || *e != fa.Entry() {
		t.Fatalf("LatestEnded = %+v, %v; want %+v", e, err, fa.Entry())
	}
	m := base("m.ts", "run-2")
	m.Status, m.Reason = history.Skipped, "checked by hand"
	rec, err := s.Record(ctx(t), m)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if e, err := s.LatestEnded(ctx(t), "m.ts"); err != nil || e == nil || *e != rec[0].Entry() {
		t.Fatalf("LatestEnded after a mark = %+v, %v; want %+v", e, err, rec[0].Entry())
	}
	if e, _ := s.LatestEnded(ctx(t), "other.ts"); e != nil {
		t.Fatalf("LatestEnded of another migration = %+v", e)
	}
}
