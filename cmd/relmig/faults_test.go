package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Each test here is one of an operator's bad days, played with the real
// binary, real scripts and the development server. The verdicts are
// invariants (how often a script started, what history says), never
// timings.

// counterMap is a map of n non-idempotent migrations c1.sh … cn.sh in one
// release; each script counts its starts in $MARKS/<name>.runs.
func counterMap(n int, extra string) map[string]string {
	var b strings.Builder
	b.WriteString("relmig: 1\ndir: migrations\nrunner:\n  command: \"sh {path}\"\n" + extra + "releases:\n  - version: v1.0.0\n    migrations:\n")
	files := map[string]string{}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("c%02d.sh", i)
		fmt.Fprintf(&b, "      - id: %s\n", name)
		files["migrations/"+name] = counterScript
	}
	files["releasemap.yaml"] = b.String()
	return files
}

// counterScript counts its start, then works for a moment.
const counterScript = `echo x >> "$MARKS/$(basename "$0").runs"
sleep 0.2
`

// starts returns how often each script of counterMap started.
func (a *app) starts(n int) map[string]int {
	out := map[string]int{}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("c%02d.sh", i)
		b, _ := os.ReadFile(filepath.Join(a.marks, name+".runs"))
		out[name] = strings.Count(string(b), "x")
	}
	return out
}

// noneTwice fails the test for every script that started more than once,
// and for every succeeded record of a script that did not start.
func (a *app) noneTwice(n int) {
	a.t.Helper()
	for name, k := range a.starts(n) {
		if k > 1 {
			a.t.Errorf("%s started %d times", name, k)
		}
		succ := 0
		for _, r := range a.attempts(name) {
			if r.Status == "succeeded" {
				succ++
			}
		}
		if succ > k || succ > 1 {
			a.t.Errorf("%s: %d succeeded records, %d starts", name, succ, k)
		}
	}
}

// TestUnlockForceStopsHolder: an operator breaks the lock while a run goes
// through short migrations, and another run waits for the lock. The broken
// holder stops before its next start and exits non-zero; no migration
// starts twice.
func TestUnlockForceStopsHolder(t *testing.T) {
	t.Parallel()
	const n = 30
	a := newApp(t, "", counterMap(n, ""))
	cache := filepath.Join(a.dir, "cache")
	holder := a.start("up", "--apply", "--cache-dir", cache)
	a.waitFor(holder, "c03.sh.runs")
	waiter := a.start("up", "--apply", "--wait-lock", "2m", "--cache-dir", cache)
	if u := a.run("unlock", "--force", "--reason", "test: holder looks stuck"); u.code != 0 {
		t.Fatalf("unlock --force: exit %d\n%s", u.code, u.stderr)
	}
	hc := holder.wait(t)
	waiter.wait(t)
	if hc == 0 {
		t.Errorf("the broken holder exited 0\nstderr:\n%s", holder.stderr)
	}
	if !strings.Contains(holder.stderr.String(), "lease lost") && !strings.Contains(holder.stderr.String(), "claimed by") {
		t.Errorf("the broken holder does not say it lost the lock:\n%s", holder.stderr)
	}
	a.noneTwice(n)
}

// TestStalledHolderNeverRunsTwice: a holder stalls (SIGSTOP, as a paused VM
// or a frozen cgroup) right after a script ended; its lease expires and a
// waiting run takes over and finishes the upgrade. When the stalled
// holder resumes it must not start anything, and it exits non-zero.
func TestStalledHolderNeverRunsTwice(t *testing.T) {
	t.Parallel()
	const n = 6
	files := counterMap(n, "")
	// c01 stops its own relmig the first time it runs; it is idempotent,
	// so the run that takes over runs it again.
	files["migrations/c01.sh"] = `echo x >> "$MARKS/c01.sh.runs"
if [ ! -f "$MARKS/stopped" ]; then echo $PPID > "$MARKS/stopped"; kill -STOP $PPID; fi
`
	files["releasemap.yaml"] = strings.Replace(files["releasemap.yaml"], "      - id: c01.sh\n", "      - id: c01.sh\n        idempotent: true\n", 1)
	a := newApp(t, "", files)
	cache := filepath.Join(a.dir, "cache")
	up := []string{"up", "--apply", "--lease", "5s", "--cache-dir", cache}
	stalled := a.start(up...)
	a.waitFor(stalled, "stopped")
	t.Cleanup(func() { _ = stalled.cmd.Process.Signal(syscall.SIGCONT) })

	next := a.run(append(up, "--wait-lock", "2m")...)
	if next.code != 0 {
		t.Fatalf("the run that took over: exit %d\n%s", next.code, next.stderr)
	}
	if err := stalled.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if code := stalled.wait(t); code == 0 {
		t.Errorf("the stalled holder exited 0 after resuming\nstderr:\n%s", stalled.stderr)
	}
	for name, k := range a.starts(n) {
		want := 1
		if name == "c01.sh" {
			want = 2 // idempotent: interrupted, then run again
		}
		if k != want {
			t.Errorf("%s started %d times, want %d", name, k, want)
		}
	}
}

// TestScriptDiesWithRelmig: relmig is killed with SIGKILL while a script
// (with a grandchild) runs; its guard stops the script's whole group.
func TestScriptDiesWithRelmig(t *testing.T) {
	t.Parallel()
	a := newApp(t, "", map[string]string{
		"releasemap.yaml":    "relmig: 1\ndir: migrations\nrunner:\n  command: \"sh {path}\"\nreleases:\n  - version: v1.0.0\n    migrations:\n      - id: slow.sh\n",
		"migrations/slow.sh": slowScript,
	})
	p := a.start("up", "--apply", "--cache-dir", filepath.Join(a.dir, "cache"))
	pgid := a.groupOf(p, "slow.pgid")
	a.waitFor(p, "slow.child")
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.wait(t)
	groupGone(t, pgid)
}

// TestHangupCleansUp: SIGHUP (a closed SSH session) stops the script,
// records the attempt interrupted and releases the lock, like SIGTERM.
func TestHangupCleansUp(t *testing.T) {
	t.Parallel()
	a := newApp(t, "", map[string]string{
		"releasemap.yaml":     "relmig: 1\ndir: migrations\nrunner:\n  command: \"sh {path}\"\nreleases:\n  - version: v1.0.0\n    migrations:\n      - id: slow.sh\n      - id: after.sh\n",
		"migrations/slow.sh":  slowScript,
		"migrations/after.sh": markScript,
	})
	p := a.start("up", "--apply", "--cache-dir", filepath.Join(a.dir, "cache"))
	pgid := a.groupOf(p, "slow.pgid")
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 130 {
		t.Errorf("exit code %d, want 130\n%s", code, p.stderr)
	}
	groupGone(t, pgid)
	if got := statuses(a.attempts("slow.sh")); strings.Join(got, ",") != "interrupted" {
		t.Errorf("slow.sh records = %v, want [interrupted]", got)
	}
	if a.marked("after.sh") {
		t.Error("after.sh ran after the hang-up")
	}
	if n := a.lockDocs(); n != 0 {
		t.Errorf("%d lease documents left, want the lock released", n)
	}
}

// TestClosedOutputKeepsRunning: stdout and stderr are pipes whose reader
// went away (`relmig up --apply | head`, a dropped session). The run goes
// on, records every outcome, releases the lock and exits 0.
func TestClosedOutputKeepsRunning(t *testing.T) {
	t.Parallel()
	const n = 4
	a := newApp(t, "", counterMap(n, ""))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // every write to w now fails with EPIPE (or SIGPIPE)
	cmd := a.command("up", "--apply", "--cache-dir", filepath.Join(a.dir, "cache"))
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Run()
	w.Close()
	if err != nil {
		t.Fatalf("relmig with closed output: %v", err)
	}
	for name, k := range a.starts(n) {
		if k != 1 {
			t.Errorf("%s started %d times, want 1", name, k)
		}
		if got := statuses(a.attempts(name)); strings.Join(got, ",") != "succeeded" {
			t.Errorf("%s records = %v, want [succeeded]", name, got)
		}
	}
	if n := a.lockDocs(); n != 0 {
		t.Errorf("%d lease documents left, want the lock released", n)
	}
}

// TestBlipAfterScript: the server goes away just after a script succeeded
// and comes back a few seconds later. The outcome write is retried, the
// run exits 0, and history says succeeded: the next run has nothing to do.
// The lease survives the failed renewal in between (one failed renewal
// used to lose it).
func TestBlipAfterScript(t *testing.T) {
	t.Parallel()
	srv := startDevServer(t)
	a := newApp(t, srv.uri("app"), map[string]string{
		"releasemap.yaml": "relmig: 1\ndir: migrations\nrunner:\n  command: \"sh {path}\"\nreleases:\n  - version: v1.0.0\n    migrations:\n      - id: blip.sh\n      - id: after.sh\n",
		"migrations/blip.sh": `echo x >> "$MARKS/blip.runs"
echo 1 > "$MARKS/blip.started"
i=0; while [ ! -e "$MARKS/go" ] && [ $i -lt 1200 ]; do i=$((i+1)); sleep 0.05; done
echo 1 > "$MARKS/blip.done"
`,
		"migrations/after.sh": markScript,
	})
	up := []string{"up", "--apply", "--lease", "30s", "--server-timeout", "2s", "--cache-dir", filepath.Join(a.dir, "cache")}
	p := a.start(up...)
	a.waitFor(p, "blip.started")
	srv.kill()
	if err := os.WriteFile(filepath.Join(a.marks, "go"), []byte("go"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.waitFor(p, "blip.done")
	// The server stays away for longer than the renewal interval (a third
	// of the lease), so at least one renewal fails, as do the first outcome
	// writes; the lease is still valid when it comes back.
	time.Sleep(11 * time.Second)
	srv.start()
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit code %d, want 0: the outcome write is retried\nstderr:\n%s", code, p.stderr)
	}
	a.connect()
	if got := statuses(a.attempts("blip.sh")); strings.Join(got, ",") != "succeeded" {
		t.Errorf("blip.sh records = %v, want [succeeded]", got)
	}
	if !a.marked("after.sh") {
		t.Error("after.sh did not run")
	}
	if b, _ := os.ReadFile(filepath.Join(a.marks, "blip.runs")); string(b) != "x\n" {
		t.Errorf("blip.sh ran %q, want once", b)
	}
}

// TestSetupsDieWithRelmig: relmig is killed with SIGKILL while a release's
// setup runs, in the foreground or ahead beside a script; the run's guard
// stops every group still running, not only the script's.
func TestSetupsDieWithRelmig(t *testing.T) {
	const slowSetup = `echo $$ > "$MARKS/setup.pgid"; sleep 300 & echo $! > "$MARKS/setup.child"; wait`
	for _, tc := range []struct {
		name     string
		releases string
		groups   []string // the marks naming the groups that must be gone
	}{
		{"foreground", "  - version: v1.0.0\n    migrations:\n      - id: a.sh\n        setup: '" + slowSetup + "'\n", []string{"setup"}},
		{"ahead", "  - version: v1.0.0\n    migrations:\n      - id: slow.sh\n  - version: v1.1.0\n    migrations:\n      - id: a.sh\n        setup: '" + slowSetup + "'\n", []string{"slow", "setup"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, "", map[string]string{
				"releasemap.yaml":    "relmig: 1\ndir: migrations\nrunner:\n  command: \"sh {path}\"\n  workdir: release\nreleases:\n" + tc.releases,
				"migrations/slow.sh": slowScript,
				"migrations/a.sh":    markScript,
			})
			a.commitTagged("v1.0.0", "v1.1.0")
			p := a.start("up", "--apply", "--cache-dir", filepath.Join(a.dir, "cache"))
			var pgids []int
			for _, g := range tc.groups {
				pgids = append(pgids, a.groupOf(p, g+".pgid"))
				a.waitFor(p, g+".child")
			}
			if err := p.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			p.wait(t)
			for _, pgid := range pgids {
				groupGone(t, pgid)
			}
			if a.marked("a.sh") {
				t.Error("a.sh ran, though its setup never finished")
			}
		})
	}
}
