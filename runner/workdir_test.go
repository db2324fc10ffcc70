package runner_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/relmig/relmig/plan"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/runner"
	"github.com/relmig/relmig/runner/process"
)

// greet imports application code that only its own release has.
const greet = `"use strict";
const greeting = require("../lib/greeting.js");
console.log("greet: " + greeting);
require("fs").writeFileSync(process.env.MARKS + "/greet.js", greeting);
`

// appRepo builds an application whose v1.0.0 has lib/greeting.js and
// whose v1.1.0 deleted it; the work tree has moved on past both tags.
func appRepo(f *fixture) {
	f.repo.release("v1.0.0", map[string]string{
		"lib/greeting.js":      `module.exports = "greeting of v1.0.0";` + "\n",
		"migrations/greet.js":  greet,
		"migrations/second.sh": markOnly,
	})
	f.repo.release("v1.1.0", map[string]string{
		"lib/greeting.js":     "",
		"lib/salutation.js":   `module.exports = "salutation of v1.1.0";` + "\n",
		"migrations/third.sh": markOnly,
	})
	// After the tags, the script changed in the work tree.
	f.repo.Write(map[string]string{"migrations/greet.js": "console.log('greet: the work tree version'); process.exit(9);\n"})
}

const appMap = `relmig: 1
dir: migrations
runner:
  command: "node {path}"
  workdir: %s
  setup: 'echo "setup $RELMIG_RELEASE in $(basename "$PWD")" >> "$MARKS/setup.log"'
releases:
  - version: v1.0.0
    migrations:
      - id: greet.js
      - id: second.sh
        command: "sh {path}"
  - version: v1.1.0
    migrations:
      - id: third.sh
        command: "sh {path}"
`

// TestWorkdirRelease: with workdir: release each migration runs from an
// export of its own release's tag (the module it imports exists only
// there), and setup runs once per checkout.
func TestWorkdirRelease(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	appRepo(f)
	seq := f.load(strings.Replace(appMap, "%s", "release", 1))
	ctx := testCtx(t)

	var notes []string
	edit := func(o *runner.Options) {
		o.NoPrepareAhead = true // the notes' order is the point here; ahead_test.go tests the rest
		o.Events = func(ev runner.Event) {
			if ev.Kind == runner.EventSetup {
				notes = append(notes, ev.Note)
			}
		}
	}
	// The first run applies greet.js only; the second one the rest, reusing
	// the v1.0.0 checkout and its setup.
	res, err := f.runner(seq, edit).Apply(ctx, nil, planTo(t, f, seq, "v1.0.0")[:1])
	if err != nil {
		t.Fatalf("Apply: %v\n%s", err, f.live)
	}
	more, err := f.runner(seq, edit).Apply(ctx, nil, f.plan(seq))
	if err != nil {
		t.Fatalf("second Apply: %v\n%s", err, f.live)
	}
	res = append(res, more...)
	if !slices.Equal(ids(res), []string{"greet.js", "second.sh", "third.sh"}) {
		t.Fatalf("applied %v", ids(res))
	}
	if !strings.Contains(res[0].Tail, "greet: greeting of v1.0.0\n") {
		t.Errorf("greet.js tail = %q", res[0].Tail)
	}
	// The tag's content ran and was hashed, not the work tree's.
	sum := sha256.Sum256([]byte(greet))
	if a := f.attempts("greet.js"); len(a) != 1 || a[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("greet.js record = %+v, want the sha256 of its v1.0.0 content", a)
	}
	setup, err := os.ReadFile(filepath.Join(f.marks, "setup.log"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "setup v1.0.0 in v1.0.0\nsetup v1.1.0 in v1.1.0\n"; string(setup) != want {
		t.Errorf("setup.log = %q, want one setup per checkout: %q", setup, want)
	}
	want := []string{"exporting v1.0.0", "setup in v1.0.0 (log ", "setup in v1.0.0 done in ", "exporting v1.1.0", "setup in v1.1.0 (log ", "setup in v1.1.0 done in "}
	if len(notes) != len(want) {
		t.Fatalf("setup events = %q, want %q", notes, want)
	}
	for i := range want {
		if !strings.HasPrefix(notes[i], want[i]) {
			t.Errorf("setup event %d = %q, want %q…", i, notes[i], want[i])
		}
	}
}

// TestWorkdirCurrent: the same script with workdir: current runs from the
// repository as it is, where the module it imports no longer exists.
func TestWorkdirCurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	appRepo(f)
	// The work tree's greet.js is the tag's again: only the import differs.
	f.repo.Write(map[string]string{"migrations/greet.js": greet})
	seq := f.load(strings.Replace(appMap, "%s", "current", 1))

	_, err := f.runner(seq, nil).Apply(testCtx(t), nil, f.plan(seq))
	var pe *runner.PartialError
	if !errors.As(err, &pe) || pe.Failed.ID != "greet.js" || pe.Failed.ExitCode == nil || *pe.Failed.ExitCode != 1 {
		t.Fatalf("Apply = %v, want greet.js to fail with exit code 1", err)
	}
	if !strings.Contains(pe.Failed.Tail, "Cannot find module '../lib/greeting.js'") {
		t.Errorf("tail = %q", pe.Failed.Tail)
	}
	if _, err := os.Stat(filepath.Join(f.marks, "setup.log")); err == nil {
		t.Error("setup ran for workdir: current")
	}
	if _, err := os.Stat(filepath.Join(f.cache, "checkouts")); err == nil {
		t.Error("a checkout was exported for workdir: current")
	}
}

// TestSetupRerunsAfterFailure: a failed setup fails the migration without
// starting its script, and runs again on the next attempt.
func TestSetupRerunsAfterFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.release("v1.0.0", map[string]string{
		"migrations/a.sh": markOnly,
		"migrations/b.sh": markOnly,
	})
	seq := f.load(`relmig: 1
dir: migrations
runner:
  command: "sh {path}"
  workdir: release
  setup: 'if ! test -f "$MARKS/registry-up"; then echo "setup: registry unreachable"; exit 1; fi; echo ran >> "$MARKS/setup.log"'
releases:
  - version: v1.0.0
    migrations:
      - id: a.sh
      - id: b.sh
`)
	ctx := testCtx(t)

	// A failed setup is not an attempt of the script: nothing is recorded,
	// so the next run needs no --retry, even for a non-idempotent one.
	_, err := f.runner(seq, nil).Apply(ctx, nil, f.plan(seq))
	if !errors.Is(err, runner.ErrNotStarted) || errors.Is(err, runner.ErrMigrationFailed) ||
		!strings.Contains(err.Error(), "setup in checkout of v1.0.0 failed") {
		t.Fatalf("Apply = %v, want a.sh not started because its setup failed", err)
	}
	if a := f.attempts("a.sh"); len(a) != 0 {
		t.Fatalf("a.sh records = %+v, want none", a)
	}
	if f.marked("a.sh") || f.marked("b.sh") {
		t.Fatal("a script ran although setup failed")
	}
	if !strings.Contains(f.live.String(), "setup: registry unreachable") {
		t.Errorf("live output lacks the setup's output:\n%s", f.live)
	}

	// The registry is back: setup runs again, once for both migrations.
	if err := os.WriteFile(filepath.Join(f.marks, "registry-up"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := f.runner(seq, nil).Apply(ctx, nil, f.plan(seq))
	if err != nil || !slices.Equal(ids(res), []string{"a.sh", "b.sh"}) {
		t.Fatalf("second Apply = %v, %v", ids(res), err)
	}
	if log, _ := os.ReadFile(filepath.Join(f.marks, "setup.log")); string(log) != "ran\n" {
		t.Errorf("setup.log = %q, want one successful setup", log)
	}
}

// planTo returns the plan to target.
func planTo(t *testing.T, f *fixture, seq *releasemap.Sequence, target string) []releasemap.RangeEntry {
	t.Helper()
	sums, err := f.store.Latest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := plan.Compute(plan.Input{Seq: seq, History: sums, Target: releasemap.MustParseVersion(target)})
	if err != nil || res.Err() != nil {
		t.Fatalf("plan: %v %v", err, res.Err())
	}
	return res.Plan
}

// TestSetupTimeout: setup_timeout, else the migration's timeout, bounds
// its checkout's setup: a setup that hangs (a stalled install) is
// stopped, and nothing is recorded for the script, which never started;
// with a setup_timeout long enough, the same setup outlives the script's
// timeout.
func TestSetupTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, timeouts, setup string
		stopped               bool
	}{
		{"timeout bounds setup", "timeout: 1s", "echo installing; sleep 300", true},
		{"setup_timeout bounds setup", "timeout: 10m\n  setup_timeout: 1s", "echo installing; sleep 300", true},
		{"setup_timeout outlasts timeout", "timeout: 1s\n  setup_timeout: 10m", "sleep 1.5", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.repo.release("v1.0.0", map[string]string{"migrations/a.sh": markOnly})
			seq := f.load(fmt.Sprintf(`relmig: 1
dir: migrations
runner:
  command: "sh {path}"
  workdir: release
  %s
  setup: '%s'
releases:
  - version: v1.0.0
    migrations:
      - id: a.sh
`, tc.timeouts, tc.setup))
			_, err := f.runner(seq, nil).Apply(testCtx(t), nil, f.plan(seq))
			if !tc.stopped {
				if err != nil || !f.marked("a.sh") {
					t.Fatalf("Apply = %v, marked %v: want the setup to finish and the script to run", err, f.marked("a.sh"))
				}
				return
			}
			if !errors.Is(err, runner.ErrNotStarted) || !errors.Is(err, process.ErrTimeout) {
				t.Fatalf("Apply = %v, want not started because the setup timed out", err)
			}
			if f.marked("a.sh") || f.records() != 0 {
				t.Fatal("the script ran, or something was recorded")
			}
		})
	}
}
