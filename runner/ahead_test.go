package runner_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/runner"
)

// waitFor is a script that succeeds once $MARKS/<name> exists and fails
// when it does not appear within a minute (never a hang).
func waitFor(name string, exit int) string {
	return `i=0
while [ ! -e "$MARKS/` + name + `" ]; do
	i=$((i+1)); [ $i -lt 600 ] || { echo "waited in vain for ` + name + `"; exit 9; }
	sleep 0.1
done
echo "saw ` + name + `"
echo "script $RELMIG_RELEASE end" >> "$MARKS/order.log"
exit ` + strconv.Itoa(exit) + "\n"
}

// aheadMap runs every script from its own release's checkout, with setup.
const aheadMap = `relmig: 1
dir: migrations
runner:
  command: "sh {path}"
  workdir: release
  setup: %q
releases:
  - version: v1.0.0
    migrations: [{id: first.sh}]
  - version: v1.1.0
    migrations: [{id: second.sh}]
  - version: v1.2.0
    migrations: [{id: third.sh}]
`

// aheadFixture is a repository of three releases, whose first script is
// first (the others only mark), and a map whose setup is setup.
func aheadFixture(t *testing.T, first, setup string) (*fixture, *releasemap.Sequence, func(edit func(*runner.Options)) (*runner.Runner, *[]string)) {
	f := newFixture(t)
	f.repo.release("v1.0.0", map[string]string{"migrations/first.sh": first})
	f.repo.release("v1.1.0", map[string]string{"migrations/second.sh": markOnly})
	f.repo.release("v1.2.0", map[string]string{"migrations/third.sh": markOnly})
	seq := f.load(strings.Replace(aheadMap, "%q", strconv.Quote(setup), 1))
	return f, seq, func(edit func(*runner.Options)) (*runner.Runner, *[]string) {
		var mu sync.Mutex
		notes := &[]string{}
		r := f.runner(seq, func(o *runner.Options) {
			o.Events = func(ev runner.Event) {
				if ev.Kind == runner.EventSetup {
					mu.Lock()
					*notes = append(*notes, ev.Note)
					mu.Unlock()
				}
			}
			if edit != nil {
				edit(o)
			}
		})
		return r, notes
	}
}

// logLines is the lines of $MARKS/name.
func logLines(t *testing.T, f *fixture, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.marks, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// TestPrepareAhead: the next releases' checkouts are exported and set up in
// the background while the first release's script runs (the script waits
// for v1.1.0's setup, which only a preparation ahead can have done by
// then), in order, and one setup at a time, the run's own included; their
// output goes to their log files, not to the live output, and every note
// about them says "ahead".
func TestPrepareAhead(t *testing.T) {
	t.Parallel()
	setup := `echo "setup output of $RELMIG_RELEASE"; echo "start $RELMIG_RELEASE" >> "$MARKS/setup.log"; sleep 0.3; touch "$MARKS/setup-$RELMIG_RELEASE"; echo "end $RELMIG_RELEASE" >> "$MARKS/setup.log"`
	f, seq, build := aheadFixture(t, waitFor("setup-v1.1.0", 0), setup)
	r, notes := build(nil)
	res, err := r.Apply(testCtx(t), nil, f.plan(seq))
	if err != nil {
		t.Fatalf("Apply: %v\n%s", err, f.live)
	}
	if !slices.Equal(ids(res), []string{"first.sh", "second.sh", "third.sh"}) {
		t.Fatalf("applied %v", ids(res))
	}
	// Setups never overlap, the run's own and those ahead: each ends
	// before the next starts.
	want := []string{"start v1.0.0", "end v1.0.0", "start v1.1.0", "end v1.1.0", "start v1.2.0", "end v1.2.0"}
	if got := logLines(t, f, "setup.log"); !slices.Equal(got, want) {
		t.Errorf("setups = %q, want one at a time in order %q", got, want)
	}
	live := f.live.String()
	if !strings.Contains(live, "setup output of v1.0.0") {
		t.Errorf("the run's own setup output is not live:\n%s", live)
	}
	if strings.Contains(live, "setup output of v1.1.0") {
		t.Errorf("a setup ahead wrote to the live output:\n%s", live)
	}
	logs, _ := filepath.Glob(filepath.Join(f.logs, "*", "setup-v1.1.0.log"))
	if len(logs) != 1 {
		t.Fatalf("setup logs of v1.1.0: %v", logs)
	}
	if b, _ := os.ReadFile(logs[0]); !strings.Contains(string(b), "setup output of v1.1.0") {
		t.Errorf("%s = %q", logs[0], b)
	}
	for _, tag := range []string{"v1.1.0", "v1.2.0"} {
		var found bool
		for _, n := range *notes {
			if strings.HasPrefix(n, "ahead: setup in "+tag+" (log ") {
				found = true
			}
			if strings.HasPrefix(n, "setup in "+tag) {
				t.Errorf("note %q: a setup ahead is not marked so", n)
			}
		}
		if !found {
			t.Errorf("no note says %s is set up ahead: %q", tag, *notes)
		}
	}
}

// TestPrepareAheadOff: with NoPrepareAhead, the next release is set up
// only after the first script ended.
func TestPrepareAheadOff(t *testing.T) {
	t.Parallel()
	setup := `echo "setup $RELMIG_RELEASE" >> "$MARKS/order.log"`
	first := "echo \"script $RELMIG_RELEASE end\" >> \"$MARKS/order.log\"\n"
	f, seq, build := aheadFixture(t, first, setup)
	r, notes := build(func(o *runner.Options) { o.NoPrepareAhead = true })
	if _, err := r.Apply(testCtx(t), nil, f.plan(seq)); err != nil {
		t.Fatalf("Apply: %v\n%s", err, f.live)
	}
	want := []string{"setup v1.0.0", "script v1.0.0 end", "setup v1.1.0", "setup v1.2.0"}
	if got := logLines(t, f, "order.log"); !slices.Equal(got, want) {
		t.Errorf("order = %q, want %q", got, want)
	}
	for _, n := range *notes {
		if strings.HasPrefix(n, "ahead:") {
			t.Errorf("note %q with NoPrepareAhead", n)
		}
	}
}

// TestPrepareAheadFailureRetried: a setup that fails ahead (here, the first
// time it runs) does not stop the run: the run sets the checkout up again
// itself when its turn comes, and says so.
func TestPrepareAheadFailureRetried(t *testing.T) {
	t.Parallel()
	setup := `if [ "$RELMIG_RELEASE" = v1.1.0 ] && [ ! -e "$MARKS/failed-once" ]; then touch "$MARKS/failed-once"; echo "flaky setup"; exit 3; fi; echo "setup $RELMIG_RELEASE" >> "$MARKS/setup.log"`
	f, seq, build := aheadFixture(t, waitFor("failed-once", 0), setup)
	r, notes := build(nil)
	res, err := r.Apply(testCtx(t), nil, f.plan(seq))
	if err != nil {
		t.Fatalf("Apply: %v\n%s", err, f.live)
	}
	if len(res) != 3 {
		t.Fatalf("applied %v", ids(res))
	}
	// Ahead stopped at its failure: v1.2.0 was set up by the run, after v1.1.0.
	if got, want := logLines(t, f, "setup.log"), []string{"setup v1.0.0", "setup v1.1.0", "setup v1.2.0"}; !slices.Equal(got, want) {
		t.Errorf("setups = %q, want %q", got, want)
	}
	joined := strings.Join(*notes, "\n")
	for _, want := range []string{"ahead: preparing v1.1.0 failed; the run prepares it itself", "preparing v1.1.0 ahead failed; preparing it again"} {
		if !strings.Contains(joined, want) {
			t.Errorf("notes lack %q:\n%s", want, joined)
		}
	}
	if strings.Contains(f.live.String(), "flaky setup") {
		t.Errorf("the failed setup ahead wrote to the live output:\n%s", f.live)
	}
}

// TestPrepareAheadStopsWithRun: when the run stops (its first script
// fails), a setup under way ahead is stopped with it, before Apply
// returns, and records no success: the next run sets that checkout up
// again.
func TestPrepareAheadStopsWithRun(t *testing.T) {
	t.Parallel()
	setup := `if [ "$RELMIG_RELEASE" = v1.1.0 ]; then echo $$ > "$MARKS/setup.pid.tmp"; mv "$MARKS/setup.pid.tmp" "$MARKS/setup.pid"; exec sleep 300; fi`
	f, seq, build := aheadFixture(t, waitFor("setup.pid", 1), setup)
	r, _ := build(nil)
	ctx := testCtx(t)
	_, err := r.Apply(ctx, nil, f.plan(seq))
	var pe *runner.PartialError
	if !errors.As(err, &pe) || pe.Failed.ID != "first.sh" {
		t.Fatalf("Apply: %v, want first.sh failed\n%s", err, f.live)
	}
	if ctx.Err() != nil {
		t.Fatal("Apply returned only when the test's deadline stopped the setup ahead")
	}
	b, err := os.ReadFile(filepath.Join(f.marks, "setup.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the setup ahead (pid %d) is still there after Apply returned: kill 0 = %v", pid, err)
	}
	if _, err := os.Stat(filepath.Join(f.cache, "checkouts", "v1.1.0.setup-done")); err == nil {
		t.Error("a setup stopped half-way was recorded as done")
	}
}
