package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// benchApply: 200 migrations that do nothing, each run on a fresh database.
//
// What is fair. relmig runs every migration as its own process (the loose
// scripts of an application, each in its own release's checkout), while
// migrate-mongo require()s every migration into one node process, so an
// empty migration costs migrate-mongo one changelog insert and relmig one
// process start plus its history writes. The figures therefore come in
// three forms:
//
//   - node: each relmig migration is an empty .js file run as `node
//     {path}`, the command form a real user has (the headline, as the issue
//     asks: relmig total ≤ 0.6 × migrate-mongo). It pays 200 node start-ups
//     that migrate-mongo pays once, so this ratio is bounded below by
//     200 × node start-up / migrate-mongo total, whatever relmig does.
//   - /bin/true: the same with the cheapest possible process, which
//     isolates relmig's own cost per migration; this is the comparison of
//     the two tools' machinery.
//   - overhead: relmig's total minus the scripts' own run time (the same
//     200 commands, same folder, run one after the other by this program
//     without relmig), per migration; bar < 5 ms for both forms.
//
// migrate-mongo applies 200 migrations whose up() is empty, from a
// generated migrate-mongo-config.js in a temporary folder, via
// node_modules/.bin/migrate-mongo up, to a fresh database on the same
// server. Every figure is the best of RUNS (default 2), each on a fresh
// database, wall time of the whole process.
func (b *bench) benchApply(ctx context.Context) error {
	runs := b.runs
	if runs <= 0 {
		runs = 2
	}
	mm := filepath.Join(b.root, "node_modules", ".bin", "migrate-mongo")
	if _, err := os.Stat(mm); err != nil {
		return fmt.Errorf("migrate-mongo is not installed (make node_modules/.installed): %v", err)
	}
	mmDir := filepath.Join(b.work, "migrate-mongo")
	if err := os.MkdirAll(filepath.Join(mmDir, "migrations"), 0o755); err != nil {
		return err
	}
	for i := 1; i <= applyScripts; i++ {
		name := fmt.Sprintf("20240101%06d-m%04d.js", i, i)
		if err := os.WriteFile(filepath.Join(mmDir, "migrations", name), []byte("module.exports = {\n  async up(db, client) {},\n  async down(db, client) {},\n};\n"), 0o644); err != nil {
			return err
		}
	}
	mmRun := func() (time.Duration, error) {
		db := b.freshDB("migrate_mongo")
		cfg := fmt.Sprintf("module.exports = {\n  mongodb: { url: %q, databaseName: %q, options: {} },\n  migrationsDir: \"migrations\",\n  changelogCollectionName: \"changelog\",\n  migrationFileExtension: \".js\",\n  useFileHash: false,\n  moduleSystem: \"commonjs\",\n};\n", b.uri, db)
		if err := os.WriteFile(filepath.Join(mmDir, "migrate-mongo-config.js"), []byte(cfg), 0o644); err != nil {
			return 0, err
		}
		r, err := proc{dir: mmDir, argv: []string{mm, "up"}}.mustRun()
		if err != nil {
			return 0, err
		}
		if n := bytes.Count(r.stdout, []byte("MIGRATED UP")); n != applyScripts {
			return 0, fmt.Errorf("migrate-mongo up migrated %d, want %d:\n%s", n, applyScripts, tail(r.stdout, 500))
		}
		if c, err := b.client.Database(db).Collection("changelog").CountDocuments(ctx, bson.D{}); err != nil || c != applyScripts {
			return 0, fmt.Errorf("migrate-mongo changelog has %d entries (%v), want %d", c, err, applyScripts)
		}
		return r.wall, nil
	}

	type form struct {
		name, command, ext, content string
	}
	forms := []form{
		{"node", "node {path}", ".js", ""},
		{"/bin/true", "/bin/true", ".sh", ""},
	}
	type result struct {
		relmig, own time.Duration
		// inScripts is the scripts' time as relmig measured it (the sum
		// of duration_ms of its results) in the run with the best wall.
		inScripts time.Duration
	}
	results := map[string]*result{}
	var mmBest time.Duration
	for _, f := range forms {
		dir := filepath.Join(b.work, "apply-"+strings.Trim(strings.ReplaceAll(f.name, "/", "-"), "-"))
		ids, err := genMap(dir, 20, applyScripts/20, f.command, f.ext, f.content, nil)
		if err != nil {
			return err
		}
		// The scripts' own run: the same argv, folder and order, one after
		// the other, output discarded like relmig's is to a log file.
		own := func() (time.Duration, error) {
			start := time.Now()
			for _, id := range ids {
				argv := strings.Fields(strings.ReplaceAll(f.command, "{path}", filepath.Join(dir, "migrations", id)))
				if _, err := (proc{dir: dir, argv: argv}).mustRun(); err != nil {
					return 0, err
				}
			}
			return time.Since(start), nil
		}
		res := &result{}
		results[f.name] = res
		for i := range runs {
			db := b.freshDB("apply")
			r, err := proc{dir: dir, argv: []string{b.relmig, "up", "--apply", "--db", db, "-o", "json",
				"--cache-dir", filepath.Join(dir, "cache"), "--log-dir", filepath.Join(dir, "logs")},
				env: []string{"MONGODB_URI=" + b.uri}}.mustRun()
			if err != nil {
				return err
			}
			var doc struct {
				Applied []string `json:"applied"`
				Results []struct {
					DurationMS int64 `json:"duration_ms"`
				} `json:"results"`
			}
			if err := json.Unmarshal(r.stdout, &doc); err != nil || len(doc.Applied) != applyScripts {
				return fmt.Errorf("relmig up --apply (%s) applied %d of %d (%v)", f.name, len(doc.Applied), applyScripts, err)
			}
			o, err := own()
			if err != nil {
				return err
			}
			m, err := mmRun()
			if err != nil {
				return err
			}
			logf("%s run %d: relmig up --apply %s, scripts' own %s, migrate-mongo %s", f.name, i+1, secs(r.wall), secs(o), secs(m))
			if res.relmig == 0 || r.wall < res.relmig {
				res.relmig = r.wall
				res.inScripts = 0
				for _, x := range doc.Results {
					res.inScripts += time.Duration(x.DurationMS) * time.Millisecond
				}
			}
			if res.own == 0 || o < res.own {
				res.own = o
			}
			if mmBest == 0 || m < mmBest {
				mmBest = m
			}
		}
	}
	var rows []row
	for _, f := range forms {
		res := results[f.name]
		per := (res.relmig - res.own) / applyScripts
		rows = append(rows,
			row{"apply", fmt.Sprintf("relmig up --apply, 200 × %s (total)", f.name), secs(res.relmig), "migrate-mongo " + secs(mmBest),
				fmt.Sprintf("%.2f", res.relmig.Seconds()/mmBest.Seconds()), "<= 0.60", verdict(res.relmig.Seconds() <= migrateMongoBar*mmBest.Seconds())},
			row{"apply", fmt.Sprintf("  overhead per migration beyond the scripts' own (%s)", f.name), ms(per),
				fmt.Sprintf("scripts' own %s (%s each)", secs(res.own), ms(res.own/applyScripts)),
				fmt.Sprintf("%.2f", float64(per)/float64(overheadBar)), "< 5 ms", verdict(per < overheadBar)},
			row{"apply", fmt.Sprintf("  same, by relmig's own account (wall − Σ duration_ms, %s)", f.name), ms((res.relmig - res.inScripts) / applyScripts),
				fmt.Sprintf("Σ duration_ms %s", secs(res.inScripts)), "", "", "info"},
		)
	}
	node := results["node"]
	machinery := node.relmig - node.own
	rows = append(rows,
		row{"apply", "  relmig machinery (node total − scripts' own)", secs(machinery), "migrate-mongo " + secs(mmBest),
			fmt.Sprintf("%.2f", machinery.Seconds()/mmBest.Seconds()), "", "info"},
		row{"apply", "  floor for node: 200 node start-ups alone", secs(node.own), "migrate-mongo " + secs(mmBest),
			fmt.Sprintf("%.2f", node.own.Seconds()/mmBest.Seconds()), "", "info"},
	)
	return b.emit(rows...)
}

// ---------------------------------------------------------------- once

// counterScript increments the counter document of its migration, with
// the mongodb npm driver, in the database relmig runs against.
const counterScript = `const { MongoClient } = require("mongodb");
(async () => {
  const client = await MongoClient.connect(process.env.MONGO_URL);
  try {
    await client.db(process.env.RELMIG_DB).collection("counters")
      .updateOne({ _id: process.env.RELMIG_ID }, { $inc: { n: 1 } }, { upsert: true });
  } finally {
    await client.close();
  }
})().catch((err) => { console.error(err); process.exit(1); });
`
