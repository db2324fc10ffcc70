package unlockcmd_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/cmd/relmig/internal/root"
	"github.com/relmig/relmig/cmd/relmig/internal/unlockcmd"
	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/internal/testdb"
	"github.com/relmig/relmig/lock"
)

const testMap = `relmig: 1
dir: migrations
releases:
  - version: v1.0.0
    migrations:
      - id: a.js
      - id: b.js
`

// env is a database of the test's own, reached both through relmig's
// command line (uri) and directly (db), as another process would.
type env struct {
	uri     string
	mapFile string
	db      *mongo.Database
	store   *history.MongoStore
}

func newEnv(t *testing.T) *env {
	t.Helper()
	uri, name := testdb.URIWithDB(t)
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	db := client.Database(name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = db.Drop(ctx)
		_ = client.Disconnect(ctx)
	})
	store, err := history.NewMongoStore(db)
	if err != nil {
		t.Fatal(err)
	}
	mapFile := filepath.Join(t.TempDir(), "releasemap.yaml")
	if err := os.WriteFile(mapFile, []byte(testMap), 0o644); err != nil {
		t.Fatal(err)
	}
	return &env{uri: uri, mapFile: mapFile, db: db, store: store}
}

// relmig runs the command line in this process, as `relmig ARGS...`.
func (e *env) relmig(t *testing.T, args ...string) (code cmdutil.ExitCode, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	getenv := func(k string) string {
		switch k {
		case "MONGODB_URI":
			return e.uri
		case "RELMIG_MAP":
			return e.mapFile
		}
		return ""
	}
	code = root.Main(context.Background(), args, io, getenv, "v9.9.9")
	return code, out.String(), errOut.String()
}

// TestLiveLock: a lease held by another process is refused (exit 4, the
// holder named), by unlock and by the commands that write; --force breaks
// it, interrupts the holder's running attempt and records an event.
func TestLiveLock(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	holder := lock.Owner{RunID: "20240501T020000Z-00000000000000aa", Host: "replica-7", PID: 4242}
	locker, err := lock.New(e.db, e.store, holder)
	if err != nil {
		t.Fatal(err)
	}
	lease, err := locker.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lease.Release(ctx) })
	running, err := e.store.Begin(ctx, history.Attempt{Migration: "a.js", Release: "v1.0.0", RunID: holder.RunID})
	if err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := e.relmig(t, "unlock")
	if code != cmdutil.ExitLocked {
		t.Fatalf("unlock of a live lease: exit %d, want 4; stderr %q", code, stderr)
	}
	wantErr := "relmig: lock relmig held by run 20240501T020000Z-00000000000000aa (pid 4242 on replica-7) until "
	if !strings.HasPrefix(stderr, wantErr) || !strings.Contains(stderr, "pass --force to break it") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("unlock stderr = %q, want one line starting %q", stderr, wantErr)
	}
	if !strings.Contains(stdout, "run 20240501T020000Z-00000000000000aa (pid 4242 on replica-7)") || !strings.Contains(stdout, " live\n") {
		t.Errorf("unlock stdout does not show the live holder:\n%s", stdout)
	}

	// The commands that write refuse too, naming the holder, and write
	// nothing.
	for _, args := range [][]string{
		{"baseline", "v1.0.0", "--reason", "adopt"},
		{"mark", "b.js", "--as", "skipped", "--reason", "not needed"},
	} {
		code, stdout, stderr := e.relmig(t, args...)
		if code != cmdutil.ExitLocked || stdout != "" || !strings.Contains(stderr, "held by run 20240501T020000Z-00000000000000aa (pid 4242 on replica-7)") {
			t.Errorf("%v under a held lock: exit %d, stdout %q, stderr %q; want 4 naming the holder", args, code, stdout, stderr)
		}
	}
	if n := records(t, e); n != 1 {
		t.Fatalf("%d records after refused writes, want only the running one", n)
	}

	code, stdout, stderr = e.relmig(t, "unlock", "--force", "--reason", "pod replica-7 was deleted")
	if code != cmdutil.ExitOK {
		t.Fatalf("unlock --force: exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stderr, "broke lock relmig of run 20240501T020000Z-00000000000000aa") ||
		!strings.Contains(stderr, "marked interrupted: a.js (record "+running.ID) {
		t.Errorf("unlock --force stderr:\n%s", stderr)
	}
	if !strings.Contains(stdout, "live, broken") || !strings.Contains(stdout, "a.js") || !strings.Contains(stdout, "interrupted") {
		t.Errorf("unlock --force stdout does not show the broken lease and the interrupted attempt:\n%s", stdout)
	}
	got, err := e.store.Get(ctx, running.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != history.Interrupted || !strings.Contains(got.Reason, "pod replica-7 was deleted") {
		t.Errorf("holder's attempt after --force: %s %q, want interrupted with the reason", got.Status, got.Reason)
	}
	if _, err := locker.Inspect(ctx); !errors.Is(err, lock.ErrNotLocked) {
		t.Errorf("lease after --force: %v, want ErrNotLocked", err)
	}
	// The holder finds out at its next renewal; Release says so.
	if err := lease.Release(ctx); !errors.Is(err, lock.ErrLost) {
		t.Errorf("holder's Release after the break: %v, want ErrLeaseLost", err)
	}

	code, stdout, stderr = e.relmig(t, "history", "--events")
	if code != 0 || !strings.Contains(stdout, " break ") || !strings.Contains(stdout, "pod replica-7 was deleted") ||
		!strings.Contains(stdout, "run 20240501T020000Z-00000000000000aa (pid 4242 on replica-7)") {
		t.Errorf("history --events after the break: exit %d\n%s%s", code, stdout, stderr)
	}

	code, _, stderr = e.relmig(t, "unlock")
	if code != 0 || stderr != "not locked\n" {
		t.Errorf("unlock after the break: exit %d, stderr %q", code, stderr)
	}
	// With the lock free, the writes go through.
	if code, _, stderr := e.relmig(t, "mark", "b.js", "--as", "skipped", "--reason", "not needed"); code != 0 {
		t.Errorf("mark after the break: exit %d, stderr %q", code, stderr)
	}
}

// TestExpiredLease: the lease of a run that died is removed without
// --force; its running attempt becomes interrupted, and the events record
// the takeover and who unlocked it, and why.
func TestExpiredLease(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dead := lock.Owner{RunID: "20240501T020000Z-00000000000000dd", Host: "replica-3", PID: 99}
	running, err := e.store.Begin(ctx, history.Attempt{Migration: "a.js", Release: "v1.0.0", RunID: dead.RunID})
	if err != nil {
		t.Fatal(err)
	}
	// A dead holder is a lease nobody renews: write it as it would be
	// found a minute after its run was killed.
	past := time.Now().Add(-2 * time.Minute).UTC().Truncate(time.Millisecond)
	_, err = e.db.Collection(lock.DefaultCollection).InsertOne(ctx, lock.Info{
		Name: lock.DefaultName, Owner: dead, Token: "deadbeef", Acquired: past, Renewed: past,
		Expires: past.Add(time.Minute), DeadRuns: []string{},
	})
	if err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := e.relmig(t, "unlock", "-o", "json")
	if code != 0 {
		t.Fatalf("unlock of an expired lease: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{`"expired": true`, `"broken": true`, `"run_id": "20240501T020000Z-00000000000000dd"`, `"id": "` + running.ID + `"`, `"status": "interrupted"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("unlock JSON lacks %s:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "broke expired lock relmig of run 20240501T020000Z-00000000000000dd (pid 99 on replica-3)") {
		t.Errorf("unlock stderr: %q", stderr)
	}
	got, err := e.store.Get(ctx, running.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != history.Interrupted {
		t.Errorf("dead run's attempt is %s, want interrupted", got.Status)
	}
	locker, err := lock.New(e.db, e.store, lock.Owner{RunID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := locker.Inspect(ctx); !errors.Is(err, lock.ErrNotLocked) {
		t.Errorf("lease after unlock: %v, want ErrNotLocked", err)
	}
	evs, err := locker.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[lock.EventKind]lock.Event{}
	for _, ev := range evs {
		kinds[ev.Kind] = ev
	}
	if tk, ok := kinds[lock.EventTakeover]; !ok || tk.Previous.Owner != dead {
		t.Errorf("no takeover event of the dead lease: %+v", evs)
	}
	if br, ok := kinds[lock.EventBreak]; !ok || br.By == nil || !strings.Contains(br.Reason, unlockcmd.DefaultReason) ||
		!strings.Contains(br.Reason, dead.String()) {
		t.Errorf("no break event naming the operator, the reason and the dead holder: %+v", evs)
	}
}

// TestUnreachable: a server that does not answer fails within the server
// timeout with one line and exit 1, for every command that connects.
func TestUnreachable(t *testing.T) {
	e := &env{uri: "mongodb://127.0.0.1:1/relmig"}
	for _, cmd := range []string{"unlock", "history"} {
		start := time.Now()
		code, stdout, stderr := e.relmig(t, cmd, "--server-timeout", "1s")
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s: took %s with --server-timeout 1s", cmd, took)
		}
		// After half the timeout relmig says it is connecting; then the
		// error, on one line.
		connecting, errLine, _ := strings.Cut(stderr, "\n")
		if code != cmdutil.ExitError || stdout != "" || strings.Count(stderr, "\n") != 2 ||
			connecting != "connecting to mongodb://127.0.0.1:1/relmig…" ||
			!strings.HasPrefix(errLine, "relmig: connect to mongodb://127.0.0.1:1/relmig: no server answered within 1s: ") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", cmd, code, stdout, stderr)
		}
	}
}

func TestFlagParsing(t *testing.T) {
	f := &cmdutil.Factory{IO: &cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, Getenv: func(string) string { return "" }}
	var got *unlockcmd.Options
	cmd := unlockcmd.NewCmd(f, func(o *unlockcmd.Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--force"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil || !got.Force || got.Reason != unlockcmd.DefaultReason {
		t.Fatalf("options = %+v", got)
	}
}

func records(t *testing.T, e *env) int {
	t.Helper()
	as, err := e.store.List(context.Background(), history.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(as)
}
