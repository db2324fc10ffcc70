package runner_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/runner"
)

// TestDoneMarkerAndTimeout: a script that prints its marker and never
// exits succeeds; one that runs past its timeout is stopped, recorded as
// failed with the signal, and the run stops.
func TestDoneMarkerAndTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.release("v1.0.0", map[string]string{
		"migrations/encrypt.js": neverExits,
		"migrations/slow.sh":    slow,
		"migrations/after.sh":   markOnly,
	})
	seq := f.load(`relmig: 1
dir: migrations
runner:
  command: "node {path}"
  env: { MONGO_URL: "{uri}" }
releases:
  - version: v1.0.0
    migrations:
      - id: encrypt.js
        done_marker: "MIGRATION DONE$"
        timeout: 2m
      - id: slow.sh
        command: "sh {path}"
        timeout: 1s
      - id: after.sh
        command: "sh {path}"
`)
	f.insert("users", bson.D{{Key: "_id", Value: "u1"}})
	ctx := testCtx(t)

	applied, err := f.runner(seq, nil).Apply(ctx, nil, f.plan(seq))
	var pe *runner.PartialError
	if !errors.As(err, &pe) || !errors.Is(err, runner.ErrMigrationFailed) {
		t.Fatalf("Apply error = %v, want a *PartialError wrapping ErrMigrationFailed", err)
	}

	// The done marker: succeeded, stopped by relmig, so no exit code.
	if len(applied) != 1 || applied[0].ID != "encrypt.js" || applied[0].Status != history.Succeeded {
		t.Fatalf("applied = %+v", applied)
	}
	if n := f.count("users", bson.D{{Key: "encrypted", Value: true}}); n != 1 {
		t.Errorf("encrypt.js did not update users")
	}
	enc := f.attempts("encrypt.js")
	if len(enc) != 1 || enc[0].Status != history.Succeeded || enc[0].ExitCode != nil ||
		!strings.Contains(enc[0].Reason, "done marker") || !strings.Contains(enc[0].OutputTail, "MIGRATION DONE") {
		t.Errorf("encrypt.js record = %+v", enc)
	}

	// The timeout: failed, the signal recorded, no exit code.
	if pe.Failed.ID != "slow.sh" || pe.Failed.Status != history.Failed || pe.Failed.Signal != "SIGTERM" {
		t.Errorf("failed = %+v", pe.Failed)
	}
	sl := f.attempts("slow.sh")
	if len(sl) != 1 || sl[0].Status != history.Failed || sl[0].Signal != "SIGTERM" || sl[0].ExitCode != nil ||
		!strings.Contains(sl[0].Reason, "timed out") || !strings.Contains(sl[0].OutputTail, "slow: started") {
		t.Errorf("slow.sh record = %+v", sl)
	}
	if !f.marked("slow.sh") || f.marked("after.sh") || len(f.attempts("after.sh")) != 0 {
		t.Errorf("slow.sh ran: %v; after.sh started: %v", f.marked("slow.sh"), f.marked("after.sh"))
	}
}

// TestInterruptedByCancel: cancelling the context (Ctrl-C in relmig)
// stops the script's process group and records the attempt interrupted,
// with the signal, even though the context is gone.
func TestInterruptedByCancel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.release("v1.0.0", map[string]string{"migrations/slow.sh": slow, "migrations/after.sh": markOnly})
	seq := f.load(`relmig: 1
dir: migrations
runner:
  command: "sh {path}"
releases:
  - version: v1.0.0
    migrations:
      - id: slow.sh
      - id: after.sh
`)
	ctx, cancel := context.WithCancel(testCtx(t))
	r := f.runner(seq, func(o *runner.Options) {
		o.Events = func(ev runner.Event) {
			if ev.Kind == runner.EventStart && ev.N == 1 {
				go func() {
					// Cancel once the script is surely running.
					for !f.marked("slow.sh") {
						time.Sleep(20 * time.Millisecond)
					}
					cancel()
				}()
			}
		}
	})
	_, err := r.Apply(ctx, nil, f.plan(seq))
	var pe *runner.PartialError
	if !errors.As(err, &pe) || !errors.Is(err, context.Canceled) || errors.Is(err, runner.ErrMigrationFailed) {
		t.Fatalf("Apply = %v, want a *PartialError wrapping context.Canceled", err)
	}
	a := f.attempts("slow.sh")
	if len(a) != 1 || a[0].Status != history.Interrupted || a[0].Signal != "SIGTERM" || a[0].FinishedAt == nil {
		t.Fatalf("slow.sh records = %+v", a)
	}
	if f.marked("after.sh") || len(f.attempts("after.sh")) != 0 {
		t.Error("after.sh started after the interruption")
	}
}
