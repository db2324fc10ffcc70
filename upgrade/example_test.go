package upgrade_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/lock"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/runner"
	"github.com/relmig/relmig/runner/process"
	"github.com/relmig/relmig/upgrade"
)

// Upgrading a database from a Go program, without the command line: a map
// of two releases with one shell script each, the history in the target
// database, the lease lock, a dry run, the upgrade, and a second upgrade
// that finds nothing to do. (It needs the development server: make test
// sets MONGODB_URI.)
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "relmig-example-")
	defer os.RemoveAll(dir)
	files := map[string]string{
		"releasemap.yaml": `relmig: 1
dir: migrations
runner:
  command: "sh {path}"
  workdir: current
releases:
  - version: v1.0.0
    migrations:
      - id: add-locale.sh
  - version: v1.1.0
    migrations:
      - id: backfill-teams.sh
`,
		"migrations/add-locale.sh":     "echo adding locales\n",
		"migrations/backfill-teams.sh": "echo backfilling teams\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		_ = os.WriteFile(p, []byte(content), 0o644)
	}

	// The map, compiled once.
	m, seq, err := releasemap.Open(filepath.Join(dir, "releasemap.yaml"), releasemap.ValidateOptions{Templates: process.Checker{}})
	if err != nil {
		fmt.Println(err)
		return
	}

	// The target database, its history store and its lock.
	client, err := mongo.Connect(options.Client().ApplyURI(os.Getenv("MONGODB_URI")).SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Disconnect(ctx)
	db := client.Database(fmt.Sprintf("example_%d", time.Now().UnixNano()))
	defer db.Drop(ctx)
	store, _ := history.NewMongoStore(db)
	runID := history.NewRunID()
	me := history.CurrentActor("example")
	locker, _ := lock.New(db, store, lock.Owner{RunID: runID, Host: me.Host, PID: me.PID})

	u, err := upgrade.New(seq, store, db, locker, upgrade.Options{
		Runner: runner.Options{
			RunID: runID, Actor: me, DB: db.Name(),
			RepoRoot: dir, Dir: m.Dir, CacheDir: filepath.Join(dir, "cache"), LogDir: filepath.Join(dir, "logs"),
			Env: []string{"PATH=" + os.Getenv("PATH")},
		},
		Events: func(ev upgrade.Event) {
			if ev.Kind == upgrade.EventMigration && ev.Runner.Kind == runner.EventEnd {
				fmt.Printf("  %s %s\n", ev.Runner.Result.Status, ev.Runner.Result.ID)
			}
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	dry, err := u.DryRun(ctx, releasemap.Version{})
	fmt.Printf("dry run: %d to run, refused: %v\n", len(dry.Plan.Plan), err != nil)

	rep, err := u.Apply(ctx, releasemap.Version{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("applied %s; database now at %s\n", strings.Join(rep.Applied(), ", "), rep.After.Current)

	again, _ := u.Apply(ctx, releasemap.Version{})
	fmt.Printf("again: %d to run\n", len(again.Plan.Plan))
	// Output:
	// dry run: 2 to run, refused: false
	//   succeeded add-locale.sh
	//   succeeded backfill-teams.sh
	// applied add-locale.sh, backfill-teams.sh; database now at v1.1.0
	// again: 0 to run
}
