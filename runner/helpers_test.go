package runner_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relmig/relmig/internal/syncbuf"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/internal/gittest"
	"github.com/relmig/relmig/internal/testdb"
	"github.com/relmig/relmig/plan"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/releasemap/gitscan"
	"github.com/relmig/relmig/runner"
	"github.com/relmig/relmig/runner/process"
	"github.com/relmig/relmig/runner/toolchain"
)

// nodeModules returns the module root's node_modules folder (the mongodb
// driver that `make node_modules/.installed` installs from the committed
// lockfile), found by walking up from the test's working directory to
// go.mod. It fails the test when node or the driver is missing: the
// scripts under test are real Node.js scripts.
func nodeModules(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is not installed: the runner's end-to-end tests run real Node.js scripts (README: Node.js 20)")
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's working directory")
		}
		dir = parent
	}
	nm := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(nm, "mongodb", "package.json")); err != nil {
		t.Fatalf("%s/mongodb is missing: run `make node_modules/.installed` (npm ci from the committed lockfile)", nm)
	}
	return nm
}

// repo is an application repository with one tagged commit per release.
type repo struct {
	*gittest.Repo
	t   *testing.T
	day int
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	return &repo{Repo: gittest.New(t), t: t}
}

// release writes files (an empty content deletes one), commits them and
// tags the commit.
func (r *repo) release(tag string, files map[string]string) {
	r.t.Helper()
	r.day++
	r.Commit(gittest.Day(r.day), "release "+tag, files)
	r.Tag(tag, "HEAD")
}

// fixture is one application repository, a fresh database on the
// development server with relmig's store in it, and a runner's folders.
type fixture struct {
	t     *testing.T
	repo  *repo
	uri   string // the database's URI, as scripts get it
	db    *mongo.Database
	store *history.MongoStore
	cache string
	logs  string
	// env is the parent environment the runner passes on; tests add to it.
	env  []string
	live *syncbuf.Buffer
	// marks is a folder where scripts leave files to prove they ran
	// ($MARKS).
	marks string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	uri, name := testdb.URIWithDB(t)
	client, err := mongo.Connect(options.Client().ApplyURI(testdb.URI(t)).SetServerSelectionTimeout(10 * time.Second))
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
	var env []string
	for _, kv := range os.Environ() {
		// The tests decide which of these a script sees.
		if !strings.HasPrefix(kv, "REDIS_HOST=") && !strings.HasPrefix(kv, "NODE_PATH=") {
			env = append(env, kv)
		}
	}
	tmp := t.TempDir()
	marks := filepath.Join(tmp, "marks")
	if err := os.MkdirAll(marks, 0o755); err != nil {
		t.Fatal(err)
	}
	env = append(env, "NODE_PATH="+nodeModules(t), "MARKS="+marks)
	return &fixture{
		t: t, repo: newRepo(t), uri: uri, db: db, store: store,
		cache: filepath.Join(tmp, "cache"), logs: filepath.Join(tmp, "logs"),
		env: env, live: &syncbuf.Buffer{}, marks: marks,
	}
}

// load parses a release map written for this fixture's repository.
func (f *fixture) load(yamlText string) *releasemap.Sequence {
	f.t.Helper()
	m, err := releasemap.Parse([]byte(yamlText), "releasemap.yaml")
	if err != nil {
		f.t.Fatal(err)
	}
	if err := m.Validate(releasemap.ValidateOptions{Templates: process.Checker{}, Toolchain: toolchain.Checker{}}); err != nil {
		f.t.Fatal(err)
	}
	seq, err := m.Sequence()
	if err != nil {
		f.t.Fatal(err)
	}
	return seq
}

// runner builds a runner for seq as `relmig up` does, with a fresh run id
// and short grace periods; edit changes options first.
func (f *fixture) runner(seq *releasemap.Sequence, edit func(*runner.Options)) *runner.Runner {
	f.t.Helper()
	opts := runner.Options{
		URI: f.uri, DB: f.db.Name(), RepoRoot: f.repo.Dir, Dir: "migrations",
		CacheDir: f.cache, LogDir: f.logs, Env: f.env,
		RunID: history.NewRunID(), Target: "test", Actor: history.CurrentActor("v0.0.0-test"),
		Live: f.live, Grace: 2 * time.Second, MarkerGrace: 300 * time.Millisecond,
		Export: func(ctx context.Context, tag, dest string) error {
			return gitscan.ExportTree(ctx, gitscan.ExportOptions{Repo: f.repo.Dir, Tag: tag, Dest: dest})
		},
	}
	if edit != nil {
		edit(&opts)
	}
	r, err := runner.New(f.store, f.db, seq, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// plan returns what the planner would run now, failing on a refusal.
func (f *fixture) plan(seq *releasemap.Sequence) []releasemap.RangeEntry {
	f.t.Helper()
	sums, err := f.store.Latest(testCtx(f.t))
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := plan.Compute(plan.Input{Seq: seq, History: sums})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		f.t.Fatal(err)
	}
	return res.Plan
}

// attempts returns a migration's records, newest first.
func (f *fixture) attempts(id string) []history.Attempt {
	f.t.Helper()
	as, err := f.store.List(testCtx(f.t), history.Filter{Migration: id})
	if err != nil {
		f.t.Fatal(err)
	}
	return as
}

// records counts every attempt record, ended (relmig_history) or under
// way (relmig_running).
func (f *fixture) records() int64 {
	f.t.Helper()
	var total int64
	for _, c := range []string{history.DefaultHistoryCollection, history.DefaultRunningCollection} {
		n, err := f.db.Collection(c).CountDocuments(testCtx(f.t), bson.D{})
		if err != nil {
			f.t.Fatal(err)
		}
		total += n
	}
	return total
}

// insert adds documents to a collection of the test database.
func (f *fixture) insert(coll string, docs ...bson.D) {
	f.t.Helper()
	list := make([]any, len(docs))
	for i, d := range docs {
		list[i] = d
	}
	if _, err := f.db.Collection(coll).InsertMany(testCtx(f.t), list); err != nil {
		f.t.Fatal(err)
	}
}

// count counts documents of coll matching filter.
func (f *fixture) count(coll string, filter bson.D) int64 {
	f.t.Helper()
	n, err := f.db.Collection(coll).CountDocuments(testCtx(f.t), filter)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// marked reports whether a script left the file name in $MARKS.
func (f *fixture) marked(name string) bool {
	_, err := os.Stat(filepath.Join(f.marks, name))
	return err == nil
}

func ids(rs []runner.Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
