package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/relmig/relmig/history"
)

// benchStatus: a map of 100 releases × 10 migrations and 20,000 history
// records over the first 990 of them (the last release pending), written
// through the store's own API (history.MongoStore.Record), so that the
// per-migration summaries `status` reads are the ones relmig itself would
// have written. Then `relmig status --to <last> -o json`, a fresh process
// each time, best and median of RUNS (default 15); bar: under 150 ms. For
// context, the same for `relmig version` (process start) and `relmig map
// show` (process start + loading the map), and the status of the same map
// on an empty database.
func (b *bench) benchStatus(ctx context.Context) error {
	runs := b.runs
	if runs <= 0 {
		runs = 15
	}
	dir := filepath.Join(b.work, "status")
	ids, err := genMap(dir, statusReleases, statusPerRelease, "node {path}", ".js", "", nil)
	if err != nil {
		return err
	}
	dbName := b.freshDB("status")
	start := time.Now()
	withRecords := len(ids) - statusPerRelease
	if err := b.seedHistory(ctx, dbName, ids[:withRecords], statusRecords); err != nil {
		return fmt.Errorf("seed history: %w", err)
	}
	logf("seeded %d records over %d migrations through history.MongoStore.Record in %s", statusRecords, withRecords, time.Since(start).Round(time.Millisecond))

	last := version(statusReleases)
	env := []string{"MONGODB_URI=" + b.uri}
	status := proc{dir: dir, argv: []string{b.relmig, "status", "--db", dbName, "--to", last, "-o", "json"}, env: env}
	// Check once that status reads what was seeded.
	r, err := status.mustRun()
	if err != nil {
		return err
	}
	var doc struct {
		Current    string            `json:"current_release"`
		Target     string            `json:"target"`
		Plan       []string          `json:"plan"`
		Refusals   []json.RawMessage `json:"refusals"`
		Warnings   []json.RawMessage `json:"warnings"`
		Migrations []struct {
			State    string `json:"state"`
			Attempts int    `json:"attempts"`
		} `json:"migrations"`
	}
	if err := json.Unmarshal(r.stdout, &doc); err != nil {
		return fmt.Errorf("status -o json: %v\n%s", err, tail(r.stdout, 500))
	}
	attempts, applied := 0, 0
	for _, m := range doc.Migrations {
		attempts += m.Attempts
		if m.State == "applied" {
			applied++
		}
	}
	if doc.Current != version(statusReleases-1) || len(doc.Plan) != statusPerRelease || attempts != statusRecords || applied != withRecords || len(doc.Refusals) != 0 {
		return fmt.Errorf("status does not show what was seeded: current %q (want %s), plan %d (want %d), %d attempts (want %d), %d applied (want %d), %d refusals",
			doc.Current, version(statusReleases-1), len(doc.Plan), statusPerRelease, attempts, statusRecords, applied, withRecords, len(doc.Refusals))
	}
	logf("status -o json: current %s, target %s, %d migrations listed, %d applied, %d attempts, plan of %d, %d warnings, %d bytes",
		doc.Current, doc.Target, len(doc.Migrations), applied, attempts, len(doc.Plan), len(doc.Warnings), len(r.stdout))

	st, err := timings(status, runs)
	if err != nil {
		return err
	}
	version, err := timings(proc{dir: dir, argv: []string{b.relmig, "version"}, env: env}, runs)
	if err != nil {
		return err
	}
	show, err := timings(proc{dir: dir, argv: []string{b.relmig, "map", "show"}, env: env}, runs)
	if err != nil {
		return err
	}
	empty, err := timings(proc{dir: dir, argv: []string{b.relmig, "status", "--db", b.freshDB("status_empty"), "--to", last, "-o", "json"}, env: env}, runs)
	if err != nil {
		return err
	}
	logf("status best %s median %s; version %s/%s; map show %s/%s; status on an empty database %s/%s (best/median of %d)",
		ms(st[0]), ms(median(st)), ms(version[0]), ms(median(version)), ms(show[0]), ms(median(show)), ms(empty[0]), ms(median(empty)), runs)
	ratio := func(a, b time.Duration) string { return fmt.Sprintf("%.2f", float64(a)/float64(b)) }
	return b.emit(
		row{"status", fmt.Sprintf("status -o json, 1,000 migrations, 20,000 records (best of %d)", runs), ms(st[0]), ms(statusBar) + " (bar)", ratio(st[0], statusBar), "< 150 ms", verdict(st[0] < statusBar)},
		row{"status", "  same, median", ms(median(st)), ms(statusBar) + " (bar)", ratio(median(st), statusBar), "< 150 ms", verdict(median(st) < statusBar)},
		row{"status", "  status, same map, empty database", ms(empty[0]), "status " + ms(st[0]), ratio(empty[0], st[0]), "", "info"},
		row{"status", "  relmig map show, same map", ms(show[0]), "status " + ms(st[0]), ratio(show[0], st[0]), "", "info"},
		row{"status", "  relmig version (process start)", ms(version[0]), "status " + ms(st[0]), ratio(version[0], st[0]), "", "info"},
	)
}

// seedHistory records n terminal attempts over ids through the store's own
// Record, so that both the history records and the per-migration summaries
// that `status` reads are exactly what relmig writes. Migration m gets
// attempts k = 0, 1, …, started in rounds (round k records the k-th attempt
// of every migration, one second apart), so history reads as 21 runs over
// the migrations in release order. Earlier attempts cycle through failed,
// interrupted, succeeded and baselined; each migration's last attempt
// succeeded, so all of ids are applied.
//
// Speed: on the development server (FerretDB v1.24, SQLite) every update
// by _id scans its whole collection, so Record's summary updates cost in
// proportion to the number of summaries (about 10 µs per summary: 3
// minutes for 20,000 records into one collection of 990). So the records
// go in groups of seedGroup migrations, each group's summaries through a
// store whose state collection is a scratch one (WithStateCollection),
// and the finished summaries are then copied, as opaque documents, into
// relmig_state and the scratch collections dropped. History records go
// straight to relmig_history.
func (b *bench) seedHistory(ctx context.Context, dbName string, ids []string, n int) error {
	db := b.client.Database(dbName)
	count := make([]int, len(ids))
	for i := range n {
		count[i%len(ids)]++
	}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tailText := strings.Repeat("output line of a migration script\n", 30)
	cycle := []history.Status{history.Failed, history.Interrupted, history.Succeeded, history.Baselined}
	attempt := func(m, k int) history.Attempt {
		status := cycle[(k+m)%len(cycle)]
		if k == count[m]-1 {
			status = history.Succeeded
		}
		// Round k, migration m: every migration has at least
		// count[len(ids)-1] attempts and the counts fall with m, so rounds
		// before k are all full.
		seq := k*len(ids) + m
		started := t0.Add(time.Duration(seq) * time.Second)
		finished := started.Add(800 * time.Millisecond)
		exit := 0
		if status == history.Failed {
			exit = 1
		}
		return history.Attempt{
			Migration: ids[m], Release: version(m/statusPerRelease + 1), Status: status,
			RunID: fmt.Sprintf("20240101T000000Z-bench%08d", k), Target: version(statusReleases),
			StartedAt: started, FinishedAt: &finished, DurationMS: 800, ExitCode: &exit,
			SHA256: fmt.Sprintf("%064x", m), OutputTail: tailText, LogFile: fmt.Sprintf("/var/log/relmig/run%d/%d.log", k, m),
			Reason: "seeded by make bench", By: history.Actor{User: "ops", Host: "bench", PID: 1, Version: "bench"},
		}
	}
	var scratch []string
	defer func() {
		for _, c := range scratch {
			_ = db.Collection(c).Drop(context.WithoutCancel(ctx))
		}
	}()
	for g := 0; g*seedGroup < len(ids); g++ {
		name := fmt.Sprintf("bench_seed_state_%d", g)
		scratch = append(scratch, name)
		store, err := history.NewMongoStore(db, history.WithStateCollection(name))
		if err != nil {
			return err
		}
		var batch []history.Attempt
		for m := g * seedGroup; m < min((g+1)*seedGroup, len(ids)); m++ {
			for k := range count[m] {
				batch = append(batch, attempt(m, k))
			}
		}
		// One Record call modifies one summary per record; on the
		// development server an update command that modifies 100 or more
		// existing documents never answers, so calls stay below that.
		for chunk := range slices.Chunk(batch, seedChunk) {
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			_, err := store.Record(cctx, chunk...)
			cancel()
			if err != nil {
				return err
			}
		}
	}
	var heads []any
	for _, c := range scratch {
		cur, err := db.Collection(c).Find(ctx, bson.D{})
		if err != nil {
			return err
		}
		var docs []bson.Raw
		if err := cur.All(ctx, &docs); err != nil {
			return err
		}
		for _, d := range docs {
			heads = append(heads, d)
		}
	}
	if len(heads) != len(ids) {
		return fmt.Errorf("%d summaries for %d migrations", len(heads), len(ids))
	}
	if _, err := db.Collection(history.DefaultStateCollection).InsertMany(ctx, heads); err != nil {
		return fmt.Errorf("copy summaries: %w", err)
	}
	if c, err := db.Collection(history.DefaultHistoryCollection).CountDocuments(ctx, bson.D{}); err != nil || c != int64(n) {
		return fmt.Errorf("history holds %d records (%v), want %d", c, err, n)
	}
	return nil
}

// seedGroup is how many migrations share one scratch summary collection,
// seedChunk how many records one Record call writes (see seedHistory).
const (
	seedGroup = 20
	seedChunk = 90
)

// ---------------------------------------------------------------- apply
