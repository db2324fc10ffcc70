package historytest

import (
	"testing"
	"time"

	"github.com/relmig/relmig/history"
)

// testFinishProgress: the last progress a script reported is stored with its
// outcome (to the millisecond, like every time), also for an interrupted
// attempt; an outcome without progress stores none.
func testFinishProgress(t *testing.T, s history.Store) {
	at := time.Date(2026, 11, 22, 4, 6, 3, 123456789, time.UTC)
	a := mustBegin(t, s, base("big.ts", "run-1"))
	got, err := s.Finish(ctx(t), a.ID, history.Outcome{
		Status: history.Interrupted, Duration: time.Minute, Reason: "interrupted by a signal to relmig",
		Progress: &history.Progress{Done: 412000, Total: 1000000, At: at},
	})
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	want := history.Progress{Done: 412000, Total: 1000000, At: at.Truncate(time.Millisecond)}
	if got.Progress == nil || *got.Progress != want {
		t.Fatalf("Finish returned progress %+v, want %+v", got.Progress, want)
	}
	stored, err := s.Get(ctx(t), a.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if stored.Progress == nil || stored.Progress.Done != want.Done || stored.Progress.Total != want.Total || !stored.Progress.At.Equal(want.At) {
		t.Fatalf("stored progress %+v, want %+v", stored.Progress, want)
	}
	listed, err := s.List(ctx(t), history.Filter{Migration: "big.ts"})
	if err != nil || len(listed) != 1 || listed[0].Progress == nil || listed[0].Progress.Done != want.Done {
		t.Fatalf("List: %v, %+v", err, listed)
	}

	// Without a total, and without any progress.
	b := mustBegin(t, s, base("count.ts", "run-1"))
	got, err = s.Finish(ctx(t), b.ID, history.Outcome{Status: history.Succeeded, Progress: &history.Progress{Done: 7, At: at}})
	if err != nil || got.Progress == nil || got.Progress.Total != 0 || got.Progress.Done != 7 {
		t.Fatalf("Finish without a total: %v, %+v", err, got.Progress)
	}
	c := mustFinish(t, s, mustBegin(t, s, base("quiet.ts", "run-1")).ID, history.Succeeded)
	if c.Progress != nil {
		t.Fatalf("progress %+v recorded for a script that reported none", c.Progress)
	}
	if stored, _ := s.Get(ctx(t), c.ID); stored.Progress != nil {
		t.Fatalf("progress %+v stored for a script that reported none", stored.Progress)
	}
}
