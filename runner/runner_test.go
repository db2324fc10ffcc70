package runner_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/plan"
	"github.com/relmig/relmig/runner"
)

// Real migration scripts: Node.js with the mongodb driver, and shell.
const (
	// addLocale reads relmig's history itself, proving the running record
	// exists while the script runs, then updates users.
	addLocale = `"use strict";
const { MongoClient } = require("mongodb");
const client = new MongoClient(process.env.MONGO_URL, { serverSelectionTimeoutMS: 10000 });
async function run() {
  const db = client.db(process.env.RELMIG_DB);
  const running = await db.collection("relmig_running").countDocuments({ migration: process.env.RELMIG_ID, status: "running" });
  console.log("running records of " + process.env.RELMIG_ID + ": " + running);
  const res = await db.collection("users").updateMany({ locale: { $exists: false } }, { $set: { locale: "en" } });
  console.log("add-locale: updated " + res.modifiedCount + " user(s)");
}
run().catch((e) => { console.error("add-locale: failed:", e.message); process.exitCode = 1; }).finally(() => client.close());
`
	// increment counts its runs in a counter document.
	increment = `"use strict";
const { MongoClient } = require("mongodb");
const client = new MongoClient(process.env.MONGO_URL, { serverSelectionTimeoutMS: 10000 });
client.db(process.env.RELMIG_DB).collection("counters")
  .updateOne({ _id: process.env.RELMIG_ID }, { $inc: { n: 1 } }, { upsert: true })
  .then(() => console.log("incremented"))
  .catch((e) => { console.error(e.message); process.exitCode = 1; })
  .finally(() => client.close());
`
	// halfway updates one user, then fails with exit code 3.
	halfway = `"use strict";
const { MongoClient } = require("mongodb");
const client = new MongoClient(process.env.MONGO_URL, { serverSelectionTimeoutMS: 10000 });
async function run() {
  const users = client.db(process.env.RELMIG_DB).collection("users");
  await users.updateOne({ _id: "u1" }, { $set: { tier: "gold" } });
  console.log("tier: updated 1 of 3 users");
  throw new Error("user u2 has no plan");
}
run().catch((e) => { console.error("tier: failed: " + e.message); process.exitCode = 3; }).finally(() => client.close());
`
	// neverExits updates users, prints its done marker and keeps its
	// connection (and an interval) open, like scripts that never exit.
	neverExits = `"use strict";
const { MongoClient } = require("mongodb");
const client = new MongoClient(process.env.MONGO_URL, { serverSelectionTimeoutMS: 10000 });
client.db(process.env.RELMIG_DB).collection("users").updateMany({}, { $set: { encrypted: true } })
  .then(() => { console.log("encrypt-api-keys: MIGRATION DONE"); setInterval(() => {}, 1000); })
  .catch((e) => { console.error(e.message); process.exit(1); });
`
	// shellInfo prints what relmig passes to scripts and leaves a mark.
	shellInfo = `set -eu
echo "id=$RELMIG_ID release=$RELMIG_RELEASE target=$RELMIG_TARGET db=$RELMIG_DB"
echo "$RELMIG_RUN_ID" > "$MARKS/$(basename "$0")"
`
	// markOnly leaves a mark: a later migration that must not start.
	markOnly = "touch \"$MARKS/$(basename \"$0\")\"\n"
	// slow sleeps far longer than any test waits.
	slow = "echo \"slow: started\"\ntouch \"$MARKS/$(basename \"$0\")\"\nsleep 120\n"
)

// TestApplyRunsScriptsInOrderOnce runs Node.js and shell scripts against the
// development server: real updates, every attempt recorded with its facts,
// the running record written before each script starts, and a second plan
// that finds nothing to do.
func TestApplyRunsScriptsInOrderOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.release("v1.0.0", map[string]string{
		"migrations/users/add-locale.js": addLocale,
		"migrations/teams/info.sh":       shellInfo,
	})
	f.repo.release("v1.1.0", map[string]string{"migrations/counters/increment.js": increment})
	seq := f.load(`relmig: 1
dir: migrations
runner:
  command: "node {path}"
  env: { MONGO_URL: "{uri}" }
releases:
  - version: v1.0.0
    migrations:
      - id: users/add-locale.js
      - id: teams/info.sh
        command: "sh {path}"
  - version: v1.1.0
    migrations:
      - id: counters/increment.js
`)
	f.insert("users", bson.D{{Key: "_id", Value: "u1"}}, bson.D{{Key: "_id", Value: "u2"}},
		bson.D{{Key: "_id", Value: "u3"}, {Key: "locale", Value: "fr"}})
	ctx := testCtx(t)

	var events []string
	r := f.runner(seq, func(o *runner.Options) {
		o.Target, o.RunID = "v1.1.0", "run-once-1"
		o.Events = func(ev runner.Event) {
			if ev.Kind == runner.EventEnd {
				events = append(events, ev.Result.String())
			}
		}
	})
	entries := f.plan(seq)
	if err := r.Check(ctx, entries); err != nil {
		t.Fatalf("Check: %v", err)
	}
	started := time.Now()
	res, err := r.Apply(ctx, nil, entries)
	if err != nil {
		t.Fatalf("Apply: %v\nlive output:\n%s", err, f.live)
	}
	if want := []string{"users/add-locale.js", "teams/info.sh", "counters/increment.js"}; !slices.Equal(ids(res), want) {
		t.Fatalf("applied %v, want %v", ids(res), want)
	}
	if len(events) != 3 || !strings.HasPrefix(events[0], "succeeded users/add-locale.js (") {
		t.Errorf("end events = %q", events)
	}

	// The scripts did their work.
	if n := f.count("users", bson.D{{Key: "locale", Value: "en"}}); n != 2 {
		t.Errorf("users with locale en = %d, want 2", n)
	}
	if n := f.count("users", bson.D{{Key: "locale", Value: "fr"}}); n != 1 {
		t.Errorf("user u3's own locale was overwritten")
	}
	var counter struct{ N int }
	if err := f.db.Collection("counters").FindOne(ctx, bson.D{{Key: "_id", Value: "counters/increment.js"}}).Decode(&counter); err != nil || counter.N != 1 {
		t.Errorf("counter = %d (%v), want 1", counter.N, err)
	}

	// The running record existed while the script ran; now it is finished.
	if !strings.Contains(res[0].Tail, "running records of users/add-locale.js: 1\n") {
		t.Errorf("add-locale did not see its running record; tail:\n%s", res[0].Tail)
	}
	// The shell script got relmig's variables.
	if want := "id=teams/info.sh release=v1.0.0 target=v1.1.0 db=" + f.db.Name(); !strings.Contains(res[1].Tail, want) {
		t.Errorf("info.sh tail = %q, want %q", res[1].Tail, want)
	}
	// Live output is prefixed.
	if !strings.Contains(f.live.String(), "  │ add-locale: updated 2 user(s)\n") {
		t.Errorf("live output lacks the prefixed line:\n%s", f.live)
	}

	// One succeeded record per migration, with the facts of the attempt.
	for i, x := range res {
		as := f.attempts(x.ID)
		if len(as) != 1 {
			t.Fatalf("%s: %d records, want 1", x.ID, len(as))
		}
		a := as[0]
		if a.Status != history.Succeeded || a.ID != x.AttemptID || a.RunID != "run-once-1" {
			t.Errorf("%s: record %+v", x.ID, a)
		}
		wantRel := "v1.0.0"
		if i == 2 {
			wantRel = "v1.1.0"
		}
		if a.Release != wantRel || a.Target != "v1.1.0" {
			t.Errorf("%s: release %q target %q", x.ID, a.Release, a.Target)
		}
		if a.ExitCode == nil || *a.ExitCode != 0 || a.Signal != "" {
			t.Errorf("%s: exit code %v signal %q, want 0", x.ID, a.ExitCode, a.Signal)
		}
		content, err := os.ReadFile(filepath.Join(f.repo.Dir, "migrations", filepath.FromSlash(x.ID)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(content)
		if a.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: sha256 %s, want the script's", x.ID, a.SHA256)
		}
		if a.StartedAt.Before(started.Add(-time.Second)) || a.FinishedAt == nil || a.FinishedAt.Before(a.StartedAt) {
			t.Errorf("%s: started %s finished %v", x.ID, a.StartedAt, a.FinishedAt)
		}
		if a.By.PID != os.Getpid() || a.By.Version != "v0.0.0-test" || a.By.Host == "" {
			t.Errorf("%s: by %+v", x.ID, a.By)
		}
		if a.OutputTail != x.Tail || a.OutputTail == "" {
			t.Errorf("%s: recorded tail %q, result tail %q", x.ID, a.OutputTail, x.Tail)
		}
		log, err := os.ReadFile(a.LogFile)
		if err != nil || string(log) != a.OutputTail {
			t.Errorf("%s: log file %s = %q (%v), want the whole output", x.ID, a.LogFile, log, err)
		}
	}

	// Exactly once: the plan is empty now, and an Apply of nothing records
	// nothing.
	if p := f.plan(seq); len(p) != 0 {
		t.Fatalf("second plan = %d migrations, want none", len(p))
	}
	if res, err := f.runner(seq, nil).Apply(ctx, nil, nil); err != nil || len(res) != 0 {
		t.Fatalf("empty Apply = %v, %v", res, err)
	}
	if n := f.records(); n != 3 {
		t.Errorf("%d history records, want 3", n)
	}
}

// TestApplyStopsAtFailure: a script that fails halfway is recorded with
// its exit code and the tail of its output; the run stops there and the
// later migrations neither start nor get a record.
func TestApplyStopsAtFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.release("v1.0.0", map[string]string{
		"migrations/first.js": increment,
		"migrations/tier.js":  halfway,
		"migrations/later.sh": markOnly,
	})
	f.repo.release("v1.1.0", map[string]string{"migrations/next.sh": markOnly})
	seq := f.load(`relmig: 1
dir: migrations
runner:
  command: "node {path}"
  env: { MONGO_URL: "{uri}" }
releases:
  - version: v1.0.0
    migrations:
      - id: first.js
      - id: tier.js
      - id: later.sh
        command: "sh {path}"
  - version: v1.1.0
    migrations:
      - id: next.sh
        command: "sh {path}"
`)
	f.insert("users", bson.D{{Key: "_id", Value: "u1"}}, bson.D{{Key: "_id", Value: "u2"}}, bson.D{{Key: "_id", Value: "u3"}})
	ctx := testCtx(t)

	applied, err := f.runner(seq, nil).Apply(ctx, nil, f.plan(seq))
	var pe *runner.PartialError
	if !errors.As(err, &pe) || !errors.Is(err, runner.ErrMigrationFailed) {
		t.Fatalf("Apply error = %v, want a *PartialError wrapping ErrMigrationFailed", err)
	}
	if !slices.Equal(ids(applied), []string{"first.js"}) || !slices.Equal(ids(pe.Applied), []string{"first.js"}) {
		t.Errorf("applied %v / %v, want [first.js]", ids(applied), ids(pe.Applied))
	}
	fail := pe.Failed
	if fail.ID != "tier.js" || fail.Status != history.Failed || fail.ExitCode == nil || *fail.ExitCode != 3 {
		t.Fatalf("failed result = %+v", fail)
	}
	if !strings.Contains(err.Error(), "failed tier.js") || !strings.Contains(err.Error(), "after 1 applied") {
		t.Errorf("error = %q", err)
	}

	a := f.attempts("tier.js")
	if len(a) != 1 || a[0].Status != history.Failed || a[0].ExitCode == nil || *a[0].ExitCode != 3 {
		t.Fatalf("tier.js records = %+v", a)
	}
	for _, want := range []string{"tier: updated 1 of 3 users\n", "tier: failed: user u2 has no plan\n"} {
		if !strings.Contains(a[0].OutputTail, want) {
			t.Errorf("recorded tail lacks %q:\n%s", want, a[0].OutputTail)
		}
	}
	if !strings.Contains(a[0].Reason, "exited with code 3") {
		t.Errorf("reason = %q", a[0].Reason)
	}
	// Halfway: the first update stays (there are no down migrations).
	if n := f.count("users", bson.D{{Key: "tier", Value: "gold"}}); n != 1 {
		t.Errorf("users updated = %d, want 1", n)
	}
	for _, id := range []string{"later.sh", "next.sh"} {
		if f.marked(id) {
			t.Errorf("%s started after the failure", id)
		}
		if as := f.attempts(id); len(as) != 0 {
			t.Errorf("%s has records after the failure: %+v", id, as)
		}
	}

	// The planner now refuses the failed, non-idempotent migration.
	sums, err := f.store.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := plan.Compute(plan.Input{Seq: seq, History: sums})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(pr.Err(), plan.ErrRefused) || len(pr.Refusals) != 1 || pr.Refusals[0].ID != "tier.js" {
		t.Errorf("plan after the failure: refusals %+v", pr.Refusals)
	}
}

// TestCheckRefusesBeforeAnythingRuns: a missing variable, an unreachable
// address and a false pre check are all listed, and nothing is recorded.
func TestCheckRefusesBeforeAnythingRuns(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.release("v1.0.0", map[string]string{
		"migrations/ok.sh":     markOnly,
		"migrations/redis.sh":  markOnly,
		"migrations/admins.sh": markOnly,
	})
	seq := f.load(`relmig: 1
dir: migrations
runner:
  command: "sh {path}"
releases:
  - version: v1.0.0
    migrations:
      - id: ok.sh
      - id: redis.sh
        requires: { env: [REDIS_HOST], reachable: ["{env.REDIS_HOST}:{env.REDIS_PORT}", "127.0.0.1:1"] }
      - id: admins.sh
        pre: [ { collection: users, filter: { super_admin: true }, min: 1 } ]
`)
	f.insert("users", bson.D{{Key: "_id", Value: "u1"}, {Key: "super_admin", Value: false}})
	ctx := testCtx(t)

	err := f.runner(seq, nil).Check(ctx, f.plan(seq))
	var re *runner.RequirementsError
	if !errors.As(err, &re) || !errors.Is(err, plan.ErrRefused) {
		t.Fatalf("Check = %v, want a *RequirementsError wrapping plan.ErrRefused", err)
	}
	var got []string
	for _, fnd := range re.Failures {
		got = append(got, fnd.String())
	}
	want := []string{
		"redis.sh: needs environment variable REDIS_HOST, which is not set",
		"redis.sh: needs 127.0.0.1:1 reachable: connection refused",
		"admins.sh: pre check 1: users matching {super_admin: true}: 0 documents, want at least 1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("failures:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := f.records(); n != 0 {
		t.Errorf("%d history records after a refusal, want none", n)
	}
	for _, id := range []string{"ok.sh", "redis.sh", "admins.sh"} {
		if f.marked(id) {
			t.Errorf("%s ran", id)
		}
	}

	// With the variable set and the data in place, only the addresses
	// fail: a port that was just free (never a well-known one, which a
	// test machine may well be serving) and port 1.
	closed := closedPort(t)
	f.env = append(f.env, "REDIS_HOST=127.0.0.1", "REDIS_PORT="+closed)
	f.insert("users", bson.D{{Key: "_id", Value: "admin"}, {Key: "super_admin", Value: true}})
	err = f.runner(seq, nil).Check(ctx, f.plan(seq))
	if !errors.As(err, &re) || len(re.Failures) != 2 || !strings.Contains(err.Error(), "needs 127.0.0.1:"+closed+" reachable") {
		t.Errorf("Check = %v, want the two unreachable addresses", err)
	}
}

// TestPostCheckFails: the script exits 0 but its post condition is false:
// the attempt is failed, with the check's reason.
func TestPostCheckFails(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.release("v1.0.0", map[string]string{
		"migrations/noop.sh":  "echo 'forgot to update teams'\n",
		"migrations/after.sh": markOnly,
	})
	seq := f.load(`relmig: 1
dir: migrations
runner:
  command: "sh {path}"
releases:
  - version: v1.0.0
    migrations:
      - id: noop.sh
        post: [ { collection: teams, filter: { members: { $exists: false } }, max: 0 } ]
      - id: after.sh
`)
	f.insert("teams", bson.D{{Key: "_id", Value: "t1"}})
	ctx := testCtx(t)

	_, err := f.runner(seq, nil).Apply(ctx, nil, f.plan(seq))
	var pe *runner.PartialError
	if !errors.As(err, &pe) || !errors.Is(err, runner.ErrMigrationFailed) || pe.Failed.ID != "noop.sh" {
		t.Fatalf("Apply = %v, want noop.sh failed", err)
	}
	a := f.attempts("noop.sh")
	if len(a) != 1 || a[0].Status != history.Failed || a[0].ExitCode == nil || *a[0].ExitCode != 0 {
		t.Fatalf("noop.sh records = %+v", a)
	}
	if r := a[0].Reason; !strings.HasPrefix(r, "post check 1: teams matching {members: ") || !strings.HasSuffix(r, ": 1 documents, want at most 0") {
		t.Errorf("reason = %q, want the post check's count and bound", r)
	}
	if f.marked("after.sh") {
		t.Error("after.sh started after a failed post check")
	}
}

// TestRedaction: the URI's password never reaches the live output, the
// log file, the result or the recorded tail.
func TestRedaction(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const password = "pa55-w0rd-secret"
	f.repo.release("v1.0.0", map[string]string{
		"migrations/leak.sh": `echo "connecting to $MONGO_URL"
printf 'password: %s\n' "$(echo "$MONGO_URL" | sed 's/.*relmig:\([^@]*\)@.*/\1/')" >&2
exit 4
`,
	})
	seq := f.load(`relmig: 1
dir: migrations
runner:
  command: "sh {path}"
  env: { MONGO_URL: "{uri}" }
releases:
  - version: v1.0.0
    migrations:
      - id: leak.sh
`)
	uri := "mongodb://relmig:" + password + "@db.example:27017/app?authMechanism=PLAIN"
	_, runErr := f.runner(seq, func(o *runner.Options) {
		o.URI, o.Redact = uri, []string{password}
	}).Apply(testCtx(t), nil, f.plan(seq))
	var pe *runner.PartialError
	if !errors.As(runErr, &pe) {
		t.Fatalf("Apply = %v, want leak.sh failed", runErr)
	}
	a := f.attempts("leak.sh")
	if len(a) != 1 {
		t.Fatalf("records = %+v", a)
	}
	log, err := os.ReadFile(a[0].LogFile)
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"recorded tail": a[0].OutputTail, "result tail": pe.Failed.Tail, "log file": string(log),
		"live output": f.live.String(), "reason": a[0].Reason, "error": runErr.Error(),
	} {
		if strings.Contains(text, password) {
			t.Errorf("%s shows the password:\n%s", name, text)
		}
		if name != "reason" && name != "error" && !strings.Contains(text, "connecting to mongodb://relmig:***@db.example:27017/app") {
			t.Errorf("%s lacks the redacted URI:\n%s", name, text)
		}
	}
	if !strings.Contains(a[0].OutputTail, "password: ***\n") {
		t.Errorf("tail lacks the redacted password line:\n%s", a[0].OutputTail)
	}
}

// closedPort returns a loopback port nothing listens on: one the system
// just handed out and that was closed again.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

// TestEnvTemplateThatDoesNotExpand: a runner env value naming a variable
// that is not set is a requirement the preflight reports, and never a
// script run without the variable.
func TestEnvTemplateThatDoesNotExpand(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.repo.release("v1.0.0", map[string]string{"migrations/a.sh": markOnly})
	seq := f.load(`relmig: 1
dir: migrations
runner:
  command: "sh {path}"
  env: { REDIS_URL: "redis://{env.RELMIG_TEST_UNSET_HOST}:6379" }
releases:
  - version: v1.0.0
    migrations:
      - id: a.sh
`)
	ctx := testCtx(t)
	err := f.runner(seq, nil).Check(ctx, f.plan(seq))
	var re *runner.RequirementsError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "env REDIS_URL: placeholder {env.RELMIG_TEST_UNSET_HOST}") {
		t.Fatalf("Check = %v, want the env value that does not expand", err)
	}
	if _, err := f.runner(seq, nil).Apply(ctx, nil, f.plan(seq)); !errors.Is(err, runner.ErrNotStarted) {
		t.Fatalf("Apply = %v, want not started", err)
	}
	if f.marked("a.sh") || f.records() != 0 {
		t.Fatal("the script ran, or something was recorded")
	}
}
