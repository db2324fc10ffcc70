package runner_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/runner"
)

const noopMap = `relmig: 1
dir: migrations
requires: { env: [NEEDED_BY_ALL] }
runner:
  command: "sh {path}"
  workdir: release
releases:
  - version: v1.0.0
    migrations:
      - id: first.sh
  - version: v1.1.0
    migrations:
      - id: exports-only.sh
        noop: "only exports a function that its spec calls"
      - id: last.sh
`

// TestNoop: a migration declared as doing nothing is recorded as skipped
// with the map's reason, counts as applied, and is never run nor checked
// out; the map-wide requires apply to every other migration.
func TestNoop(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.release("v1.0.0", map[string]string{"migrations/first.sh": markOnly})
	f.repo.release("v1.1.0", map[string]string{"migrations/exports-only.sh": markOnly, "migrations/last.sh": markOnly})
	seq := f.load(noopMap)
	ctx := testCtx(t)

	// The map-wide requirement: every script needs NEEDED_BY_ALL, the
	// noop does not (it never runs).
	err := f.runner(seq, nil).Check(ctx, f.plan(seq))
	var re *runner.RequirementsError
	if !errors.As(err, &re) || len(re.Failures) != 2 || re.Failures[0].ID != "first.sh" || re.Failures[1].ID != "last.sh" {
		t.Fatalf("Check = %v, want first.sh and last.sh to need NEEDED_BY_ALL", err)
	}
	f.env = append(f.env, "NEEDED_BY_ALL=1")
	r := f.runner(seq, nil)
	if err := r.Check(ctx, f.plan(seq)); err != nil {
		t.Fatalf("Check with the variable set: %v", err)
	}
	// Only v1.1.0's noop left in the plan: nothing is exported.
	if _, err := r.Apply(ctx, nil, planTo(t, f, seq, "v1.0.0")); err != nil {
		t.Fatal(err)
	}
	res, err := f.runner(seq, nil).Apply(ctx, nil, f.plan(seq)[:1])
	if err != nil {
		t.Fatalf("Apply: %v\n%s", err, f.live)
	}
	if len(res) != 1 || res[0].Status != history.Skipped {
		t.Fatalf("results %v, want exports-only.sh skipped", res)
	}
	if f.marked("exports-only.sh") {
		t.Error("the noop script ran")
	}
	if _, err := os.Stat(filepath.Join(f.cache, "checkouts", "v1.1.0")); err == nil {
		t.Error("v1.1.0 was exported for a noop")
	}
	a := f.attempts("exports-only.sh")
	if len(a) != 1 || a[0].Status != history.Skipped || a[0].Reason != runner.NoopReasonPrefix+"only exports a function that its spec calls" {
		t.Fatalf("records %+v, want one skipped record with the map's reason", a)
	}
	// Skipped counts as applied: the plan moves on to last.sh.
	if p := f.plan(seq); !slices.Equal(idsOf(p), []string{"last.sh"}) {
		t.Errorf("plan after the noop = %v", idsOf(p))
	}
	if notes := strings.Join(seq.Entries[1].Migration.Notes(seq.Runner), "; "); !strings.Contains(notes, "does nothing: recorded as skipped (only exports") {
		t.Errorf("notes = %q", notes)
	}
}

func idsOf(es []releasemap.RangeEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Migration.ID
	}
	return out
}

// TestNoopPostChecks: a noop's post checks must hold when it is passed;
// when they do not, the data needed the script after all: it is recorded
// as failed and the run stops.
func TestNoopPostChecks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.release("v1.0.0", map[string]string{"migrations/n.sh": markOnly})
	seq := f.load(`relmig: 1
dir: migrations
runner: { command: "sh {path}", workdir: release }
releases:
  - version: v1.0.0
    migrations:
      - id: n.sh
        noop: "exports only"
        post: [ { collection: users, filter: { email: { $regex: "[A-Z]" } }, max: 0 } ]
`)
	f.insert("users", bson.D{{Key: "email", Value: "Upper@Example.com"}})
	_, err := f.runner(seq, nil).Apply(testCtx(t), nil, f.plan(seq))
	var pe *runner.PartialError
	if !errors.As(err, &pe) || pe.Failed.Status != history.Failed || !errors.Is(err, runner.ErrMigrationFailed) {
		t.Fatalf("Apply = %v, want n.sh failed", err)
	}
	if a := f.attempts("n.sh"); len(a) != 1 || a[0].Status != history.Failed || !strings.Contains(a[0].Reason, "declared noop in the release map, but post check 1") {
		t.Errorf("records %+v", a)
	}
	if f.marked("n.sh") {
		t.Error("the noop ran")
	}
}
