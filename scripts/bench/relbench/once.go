package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/relmig/relmig/history"
)

// benchOnce: 100 node scripts that each increment a counter document
// ({_id: <migration id>} $inc n:1), 16 `relmig up --apply --wait-lock 10m`
// processes started at once on a fresh database. Every process must exit
// 0, every counter must be exactly 1, and history must hold exactly one
// succeeded attempt per migration. The reference is one `relmig up
// --apply` of the same map on another fresh database.
func (b *bench) benchOnce(ctx context.Context) error {
	dir := filepath.Join(b.work, "once")
	ids, err := genMap(dir, 10, onceScripts/10, "node {path}", ".js", counterScript, map[string]string{"MONGO_URL": "{uri}"})
	if err != nil {
		return err
	}
	env := []string{"MONGODB_URI=" + b.uri, "RELMIG_MAP=", "NODE_PATH=" + filepath.Join(b.root, "node_modules")}
	upArgs := func(db string) []string {
		return []string{b.relmig, "up", "--apply", "--wait-lock", "10m", "--db", db,
			"--cache-dir", filepath.Join(dir, "cache"), "--log-dir", filepath.Join(dir, "logs")}
	}

	refDB := b.freshDB("once_ref")
	ref, err := proc{dir: dir, argv: upArgs(refDB), env: env}.mustRun()
	if err != nil {
		return err
	}
	if err := b.checkOnce(ctx, refDB, ids); err != nil {
		return fmt.Errorf("one process: %w", err)
	}
	logf("one relmig up --apply over %d counter scripts: %s", onceScripts, secs(ref.wall))

	db := b.freshDB("once")
	cmds := make([]*exec.Cmd, onceProcs)
	outs := make([]*bytes.Buffer, onceProcs)
	for i := range cmds {
		cmds[i] = proc{dir: dir, argv: upArgs(db), env: env}.cmd()
		outs[i] = &bytes.Buffer{}
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
	}
	start := time.Now()
	for i, c := range cmds {
		if err := c.Start(); err != nil {
			for _, s := range cmds[:i] {
				_ = s.Process.Signal(syscall.SIGTERM)
				_ = s.Wait()
			}
			return fmt.Errorf("start process %d: %w", i+1, err)
		}
	}
	var hung atomic.Bool
	timer := time.AfterFunc(procTimeout, func() {
		hung.Store(true)
		for _, c := range cmds {
			_ = c.Process.Kill()
		}
	})
	defer timer.Stop()
	var wg sync.WaitGroup
	errs := make([]error, onceProcs)
	walls := make([]time.Duration, onceProcs)
	for i, c := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Wait()
			walls[i] = time.Since(start)
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	if hung.Load() {
		return fmt.Errorf("the %d processes were not done after %s: killed", onceProcs, procTimeout)
	}
	var failed []string
	ran := 0
	for i, err := range errs {
		if err != nil {
			failed = append(failed, fmt.Sprintf("process %d: %v\n%s", i+1, err, tail(outs[i].Bytes(), 1500)))
		}
		// `up --apply` announces "run <run id>: N migrations to <target>"
		// before it runs anything; a process that found the plan done does not.
		for _, l := range strings.Split(outs[i].String(), "\n") {
			if strings.HasPrefix(l, "run ") && strings.Contains(l, " to v") {
				ran++
				break
			}
		}
	}
	countErr := b.checkOnce(ctx, db, ids)
	exitedOK := onceProcs - len(failed)
	slices.Sort(walls)
	logf("%d processes at once: %s wall (first done after %s), %d exited 0, %d ran the plan, counters: %v",
		onceProcs, secs(wall), secs(walls[0]), exitedOK, ran, errOr(countErr, "all exactly 1"))
	for _, f := range failed {
		logf("%s", f)
	}
	rows := []row{
		row{"exactly once", fmt.Sprintf("%d × relmig up --apply --wait-lock, %d counter scripts (wall)", onceProcs, onceScripts), secs(wall),
			"one process " + secs(ref.wall), fmt.Sprintf("%.2f", wall.Seconds()/ref.wall.Seconds()), "", "info"},
		row{"exactly once", "  processes that exited 0", fmt.Sprintf("%d of %d", exitedOK, onceProcs), fmt.Sprintf("%d ran the plan, %d found it done", ran, onceProcs-ran), "", "all", verdict(len(failed) == 0)},
		row{"exactly once", "  counters exactly 1, one succeeded record each", errOr(countErr, fmt.Sprintf("%d of %d", onceScripts, onceScripts)), "", "", "all", verdict(countErr == nil)},
	}
	return b.emit(rows...)
}

func errOr(err error, ok string) string {
	if err != nil {
		return err.Error()
	}
	return ok
}

// checkOnce checks that every counter of ids is exactly 1, that there is
// no other counter, and that history holds exactly one succeeded attempt
// per migration.
func (b *bench) checkOnce(ctx context.Context, dbName string, ids []string) error {
	db := b.client.Database(dbName)
	cur, err := db.Collection("counters").Find(ctx, bson.D{})
	if err != nil {
		return err
	}
	var docs []struct {
		ID string `bson:"_id"`
		N  int    `bson:"n"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return err
	}
	got := map[string]int{}
	for _, d := range docs {
		got[d.ID] = d.N
	}
	var bad []string
	for _, id := range ids {
		if got[id] != 1 {
			bad = append(bad, fmt.Sprintf("%s=%d", id, got[id]))
		}
	}
	if len(docs) != len(ids) {
		bad = append(bad, fmt.Sprintf("%d counter documents for %d scripts", len(docs), len(ids)))
	}
	cur, err = db.Collection(history.DefaultHistoryCollection).Find(ctx, bson.D{{Key: "status", Value: string(history.Succeeded)}})
	if err != nil {
		return err
	}
	var recs []struct {
		Migration string `bson:"migration"`
	}
	if err := cur.All(ctx, &recs); err != nil {
		return err
	}
	succ := map[string]int{}
	for _, r := range recs {
		succ[r.Migration]++
	}
	for _, id := range ids {
		if succ[id] != 1 {
			bad = append(bad, fmt.Sprintf("%s has %d succeeded records", id, succ[id]))
		}
	}
	if len(bad) > 0 {
		if len(bad) > 5 {
			bad = append(bad[:5], fmt.Sprintf("and %d more", len(bad)-5))
		}
		return errors.New("not exactly once: " + strings.Join(bad, ", "))
	}
	return nil
}
