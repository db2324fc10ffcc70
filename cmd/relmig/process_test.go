package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/relmig/relmig/internal/gittest"
	"github.com/relmig/relmig/internal/syncbuf"
	"github.com/relmig/relmig/lock"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/internal/testdb"
)

// These tests run relmig as a real process, built once with a plain `go
// build` (a -race binary would add seconds to every run), to send it the
// signals an operator or a crash would: Ctrl-C, a second Ctrl-C, SIGKILL.

// binary is the relmig executable the tests build once; TestMain removes
// its folder.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func relmigBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			binary.err = err
			return
		}
		if binary.dir, binary.err = os.MkdirTemp("", "relmig-bin-"); binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "relmig")
		cmd := exec.Command(goTool, "build", "-o", binary.path, ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// cleanupM removes the binary's folder after the tests ran.
type cleanupM struct{ m *testing.M }

func (c cleanupM) Run() int {
	code := c.m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	return code
}

// app is an application folder with a release map, its database, and a
// folder where its scripts leave marks ($MARKS).
type app struct {
	t     *testing.T
	dir   string
	marks string
	uri   string
	db    *mongo.Database
	store *history.MongoStore
}

// newApp writes files into a new application folder and connects to uri
// (a fresh database on the development server when empty).
func newApp(t *testing.T, uri string, files map[string]string) *app {
	t.Helper()
	if uri == "" {
		uri, _ = testdb.URIWithDB(t)
	}
	a := &app{t: t, dir: filepath.Join(t.TempDir(), "app"), uri: uri}
	a.marks = filepath.Join(a.dir, "marks")
	if err := os.MkdirAll(a.marks, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(a.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a.connect()
	return a
}

// commitTagged makes the app's folder a git repository with one commit of
// its map and scripts, tagged with each of tags (for workdir: release).
func (a *app) commitTagged(tags ...string) {
	a.t.Helper()
	git := func(args ...string) { gittest.Run(a.t, a.dir, gittest.Day(0), args...) }
	git("init", "-q", "-b", "main")
	git("add", "releasemap.yaml", "migrations")
	git("commit", "-q", "-m", tags[len(tags)-1])
	for _, tag := range tags {
		git("tag", tag)
	}
}

// connect opens the database (again, after a server restart).
func (a *app) connect() {
	a.t.Helper()
	client, err := mongo.Connect(options.Client().ApplyURI(a.uri).SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		a.t.Fatal(err)
	}
	a.db = client.Database(strings.TrimPrefix(a.uri[strings.LastIndex(a.uri, "/"):], "/"))
	db := a.db
	a.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = db.Drop(ctx)
		_ = client.Disconnect(ctx)
	})
	if a.store, err = history.NewMongoStore(a.db); err != nil {
		a.t.Fatal(err)
	}
}

// proc is a relmig process the test started.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncbuf.Buffer
	done           chan struct{}
	code           int
}

// command is relmig args, to run in the application folder.
func (a *app) command(args ...string) *exec.Cmd {
	cmd := exec.Command(relmigBinary(a.t), args...)
	cmd.Dir = a.dir
	cmd.Env = append(os.Environ(), "MONGODB_URI="+a.uri, "MARKS="+a.marks, "RELMIG_MAP=", "NODE_OPTIONS=")
	return cmd
}

// start runs relmig args in the application folder.
func (a *app) start(args ...string) *proc {
	a.t.Helper()
	p := &proc{stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, done: make(chan struct{})}
	p.cmd = a.command(args...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			p.code = ee.ExitCode()
		default:
			p.code = -2
		}
		close(p.done)
	}()
	a.t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// wait waits for the process to end and returns its exit code (-1 when a
// signal killed it).
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(2 * time.Minute):
		t.Fatalf("relmig %s did not exit\nstderr:\n%s", strings.Join(p.cmd.Args[1:], " "), p.stderr)
		return 0
	}
}

// run runs relmig args to the end.
func (a *app) run(args ...string) *proc {
	a.t.Helper()
	p := a.start(args...)
	p.wait(a.t)
	return p
}

// waitFor waits for a file in $MARKS (scripts write them when they are
// running), or for p to end first, which fails the test.
func (a *app) waitFor(p *proc, name string) string {
	a.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(a.marks, name)); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
		select {
		case <-p.done:
			a.t.Fatalf("relmig exited (%d) before %s appeared\nstderr:\n%s", p.code, name, p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	a.t.Fatalf("%s did not appear\nstderr:\n%s", name, p.stderr)
	return ""
}

// groupOf returns the process group a script wrote into $MARKS/name (its
// shell's pid: relmig starts each script as a group leader) and makes sure
// the group is killed when the test ends.
func (a *app) groupOf(p *proc, name string) int {
	a.t.Helper()
	var pgid int
	if _, err := fmt.Sscan(a.waitFor(p, name), &pgid); err != nil || pgid <= 1 {
		a.t.Fatalf("bad process group in %s: %v", name, err)
	}
	a.t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	return pgid
}

// groupGone waits for every process of group pgid to be gone.
func groupGone(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("process group %d is still alive", pgid)
}

// attempts returns a migration's records, newest first.
func (a *app) attempts(id string) []history.Attempt {
	a.t.Helper()
	as, err := a.store.List(context.Background(), history.Filter{Migration: id})
	if err != nil {
		a.t.Fatal(err)
	}
	return as
}

func (a *app) marked(name string) bool {
	_, err := os.Stat(filepath.Join(a.marks, name))
	return err == nil
}

// lockDocs counts the lease documents in the lock collection.
func (a *app) lockDocs() int64 {
	a.t.Helper()
	n, err := a.db.Collection(lock.DefaultCollection).CountDocuments(context.Background(), bson.D{{Key: "_id", Value: lock.DefaultName}})
	if err != nil {
		a.t.Fatal(err)
	}
	return n
}

func statuses(as []history.Attempt) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a.Status)
	}
	return out
}

const (
	slowScript = `echo $$ > "$MARKS/slow.pgid"
sleep 300 &
echo $! > "$MARKS/slow.child"
echo "slow: started"
wait
`
	// stubborn ignores SIGTERM: only SIGKILL stops it.
	stubbornScript = `trap 'echo "stubborn: ignoring TERM"' TERM
echo $$ > "$MARKS/stubborn.pgid"
while true; do sleep 0.1; done
`
	markScript = `touch "$MARKS/$(basename "$0")"` + "\n"
)

// TestInterruptStopsScript: the first Ctrl-C (SIGINT) stops the running
// script's whole process group, records the attempt interrupted, starts
// nothing else, releases the lock and exits non-zero.
func TestInterruptStopsScript(t *testing.T) {
	t.Parallel()
	a := newApp(t, "", map[string]string{
		"releasemap.yaml": `relmig: 1
dir: migrations
runner:
  command: "sh {path}"
releases:
  - version: v1.0.0
    migrations:
      - id: slow.sh
      - id: after.sh
`,
		"migrations/slow.sh":  slowScript,
		"migrations/after.sh": markScript,
	})
	p := a.start("up", "--apply", "--cache-dir", filepath.Join(a.dir, "cache"))
	pgid := a.groupOf(p, "slow.pgid")
	child := a.waitFor(p, "slow.child")
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 130 {
		t.Errorf("exit code %d after Ctrl-C, want 130\nstderr:\n%s", code, p.stderr)
	}
	groupGone(t, pgid)
	if !strings.Contains(p.stderr.String(), "relmig: interrupt: stopping the running script, recording it as interrupted and releasing the lock") {
		t.Errorf("stderr:\n%s", p.stderr)
	}
	if strings.Contains(p.stderr.String(), "release lock") {
		t.Errorf("releasing the lock failed:\n%s", p.stderr)
	}

	as := a.attempts("slow.sh")
	if len(as) != 1 {
		t.Fatalf("slow.sh records: %+v", as)
	}
	if r := as[0]; r.Status != history.Interrupted || r.Signal != "SIGTERM" || r.ExitCode != nil || r.FinishedAt == nil ||
		!strings.Contains(r.OutputTail, "slow: started") {
		t.Errorf("slow.sh record = %+v (its child was %s)", r, child)
	}
	if a.marked("after.sh") || len(a.attempts("after.sh")) != 0 {
		t.Error("after.sh started after the interruption")
	}
	if n := a.lockDocs(); n != 0 {
		t.Errorf("%d lease documents after the run, want the lock released", n)
	}
	// The next run takes the lock at once (no 4, no waiting) and refuses
	// the interrupted, non-idempotent migration.
	next := a.run("up", "--apply", "--cache-dir", filepath.Join(a.dir, "cache"))
	if next.code != 3 || !strings.Contains(next.stderr.String(), "refused: slow.sh: last attempt interrupted and it is not idempotent") {
		t.Errorf("next up --apply: exit %d\n%s", next.code, next.stderr)
	}
}

// TestSecondInterruptExitsAtOnce: a script that ignores SIGTERM keeps the
// first signal (SIGTERM here, as from an orchestrator) waiting for the
// script's grace period; a second one (Ctrl-C) exits 130 at once, without recording the outcome or releasing the lock (the lease
// expires, and the next run takes over).
func TestSecondInterruptExitsAtOnce(t *testing.T) {
	t.Parallel()
	a := newApp(t, "", map[string]string{
		"releasemap.yaml": `relmig: 1
dir: migrations
runner:
  command: "sh {path}"
releases:
  - version: v1.0.0
    migrations:
      - id: stubborn.sh
`,
		"migrations/stubborn.sh": stubbornScript,
	})
	p := a.start("up", "--apply", "--cache-dir", filepath.Join(a.dir, "cache"))
	pgid := a.groupOf(p, "stubborn.pgid")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(p.stderr.String(), "stubborn: ignoring TERM") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 130 {
		t.Errorf("exit code %d, want 130\nstderr:\n%s", code, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "relmig: terminated: stopping the running script") ||
		!strings.Contains(p.stderr.String(), "relmig: exiting without cleanup") {
		t.Errorf("stderr:\n%s", p.stderr)
	}
	// Nothing was recorded after the start: the attempt is still running,
	// and so is the lease, until it expires.
	if as := a.attempts("stubborn.sh"); len(as) != 1 || as[0].Status != history.Running {
		t.Errorf("stubborn.sh records = %v, want one running", statuses(as))
	}
	if n := a.lockDocs(); n != 1 {
		t.Errorf("%d lease documents, want the lease left to expire", n)
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// TestKillThenTakeOver: relmig killed with SIGKILL mid-script leaves a
// running record and a lease. The next `up --apply --wait-lock` takes the
// lease over once it expired, reports the attempt as interrupted, and
// follows the idempotency rule: it runs an idempotent migration again and
// refuses a non-idempotent one (exit 3). Nothing is recorded as succeeded
// that did not succeed.
func TestKillThenTakeOver(t *testing.T) {
	t.Parallel()
	a := newApp(t, "", map[string]string{
		"releasemap.yaml": `relmig: 1
dir: migrations
runner:
  command: "sh {path}"
releases:
  - version: v1.0.0
    migrations:
      - id: idem.sh
        idempotent: true
  - version: v1.1.0
    migrations:
      - id: fragile.sh
`,
		// idem.sh hangs the first time and succeeds the second.
		"migrations/idem.sh": `echo x >> "$MARKS/idem.runs"
if [ -f "$MARKS/idem.pgid" ]; then echo "idem: done"; exit 0; fi
echo $$ > "$MARKS/idem.pgid"
echo "idem: hanging"
sleep 300
`,
		"migrations/fragile.sh": `echo x >> "$MARKS/fragile.runs"
echo $$ > "$MARKS/fragile.pgid"
echo "fragile: hanging"
sleep 300
`,
	})
	cache := filepath.Join(a.dir, "cache")
	up := []string{"up", "--apply", "--lease", "5s", "--cache-dir", cache}

	// Run 1 dies in idem.sh; its script dies with it (as in a container).
	run1 := a.start(up...)
	idemGroup := a.groupOf(run1, "idem.pgid")
	if err := run1.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if code := run1.wait(t); code != -1 {
		t.Fatalf("run 1 exit code %d, want killed", code)
	}
	_ = syscall.Kill(-idemGroup, syscall.SIGKILL)
	if got := statuses(a.attempts("idem.sh")); len(got) != 1 || got[0] != "running" {
		t.Fatalf("after the crash idem.sh records = %v, want [running]", got)
	}

	// Run 2 waits for the lease to expire, takes over, re-runs idem.sh
	// (idempotent), and dies in fragile.sh.
	run2 := a.start(append(up, "--wait-lock", "30s")...)
	fragileGroup := a.groupOf(run2, "fragile.pgid")
	if err := run2.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	run2.wait(t)
	_ = syscall.Kill(-fragileGroup, syscall.SIGKILL)
	stderr := run2.stderr.String()
	if !strings.Contains(stderr, "took over the expired lock of run ") ||
		!strings.Contains(stderr, "  idem.sh: its running attempt (started ") ||
		!strings.Contains(stderr, "is now recorded as interrupted") ||
		!strings.Contains(stderr, "  │ idem: done\n") {
		t.Errorf("run 2 stderr:\n%s", stderr)
	}

	// Run 3 takes over again and refuses fragile.sh: exit 3.
	run3 := a.run(append(up, "--wait-lock", "30s")...)
	stderr = run3.stderr.String()
	if run3.code != 3 || !strings.Contains(stderr, "  fragile.sh: its running attempt (started ") ||
		!strings.Contains(stderr, "refused: fragile.sh: last attempt interrupted and it is not idempotent") {
		t.Errorf("run 3: exit %d\n%s", run3.code, stderr)
	}

	// History: every attempt is there, and only idem.sh's second one
	// succeeded.
	if got := statuses(a.attempts("idem.sh")); strings.Join(got, ",") != "succeeded,interrupted" {
		t.Errorf("idem.sh records (newest first) = %v, want [succeeded interrupted]", got)
	}
	if got := statuses(a.attempts("fragile.sh")); strings.Join(got, ",") != "interrupted" {
		t.Errorf("fragile.sh records = %v, want [interrupted]", got)
	}
	for _, r := range append(a.attempts("idem.sh")[1:], a.attempts("fragile.sh")...) {
		if r.ExitCode != nil || r.FinishedAt == nil || !strings.Contains(r.Reason, "lease") {
			t.Errorf("interrupted record %+v", r)
		}
	}
	for name, want := range map[string]string{"idem.runs": "x\nx\n", "fragile.runs": "x\n"} {
		if b, _ := os.ReadFile(filepath.Join(a.marks, name)); string(b) != want {
			t.Errorf("%s = %q, want %q", name, b, want)
		}
	}
	if n := a.lockDocs(); n != 0 {
		t.Errorf("run 3 left %d lease documents", n)
	}
}
