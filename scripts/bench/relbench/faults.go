package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/lock"
)

// The shape of the fault stress.
const (
	faultScripts  = 60
	faultRunners  = 32               // runners alive at any moment
	faultDuration = 75 * time.Second // of chaos; then the runners finish
	faultLease    = 5 * time.Second  // the shortest lease relmig accepts
)

// faultScript logs its start and end with its attempt id (RELMIG_ATTEMPT_ID,
// which relmig sets), and its process group keyed by its relmig's pid, so
// that the driver can kill a holder's script with it. Appends of one short
// line with O_APPEND are atomic.
const faultScript = `echo "start $RELMIG_ATTEMPT_ID $RELMIG_ID" >> "$MARKS/starts"
echo $$ > "$MARKS/pg.$PPID"
sleep 0.$(( ($$ % 3) + 1 ))
echo "end $RELMIG_ATTEMPT_ID $RELMIG_ID" >> "$MARKS/ends"
`

// benchFaults: exactly once under faults. Runners (`relmig up --apply
// --wait-lock`), faultRunners of them alive at once and replaced as they
// exit, work through faultScripts shell scripts (every tenth one not
// idempotent) while a driver, every second or so, picks the lock's holder
// and SIGKILLs it, SIGKILLs it with its script's process group, SIGSTOPs
// it past its lease and resumes it, or breaks the lock with `relmig unlock
// --force`. Then the invariants, read from the scripts' own logs and
// history, not from relmig's output:
//
//   - no attempt started twice, and every start belongs to an attempt in
//     history;
//   - no migration that is not idempotent started twice;
//   - no succeeded record for an attempt whose script did not finish;
//   - at most one succeeded record per migration.
func (b *bench) benchFaults(ctx context.Context) error {
	dir := filepath.Join(b.work, "faults")
	ids, err := genMap(dir, 6, faultScripts/6, "sh {path}", ".sh", faultScript, nil)
	if err != nil {
		return err
	}
	fragile := map[string]bool{}
	mapFile := filepath.Join(dir, "releasemap.yaml")
	y, err := os.ReadFile(mapFile)
	if err != nil {
		return err
	}
	text := string(y)
	for i, id := range ids {
		if i%10 == 9 {
			fragile[id] = true
			continue
		}
		text = strings.Replace(text, "      - id: "+id+"\n", "      - id: "+id+"\n        idempotent: true\n", 1)
	}
	if err := os.WriteFile(mapFile, []byte(text), 0o644); err != nil {
		return err
	}
	marks := filepath.Join(dir, "marks")
	if err := os.MkdirAll(marks, 0o755); err != nil {
		return err
	}
	db := b.freshDB("faults")
	env := []string{"MONGODB_URI=" + b.uri, "RELMIG_MAP=", "MARKS=" + marks}
	args := []string{"--db", db, "--cache-dir", filepath.Join(dir, "cache"), "--log-dir", filepath.Join(dir, "logs")}

	d := &faultDriver{b: b, dir: dir, env: env, args: args, db: db, codes: map[int]int{}}
	start := time.Now()
	d.chaos(ctx, start.Add(faultDuration))
	wall := time.Since(start)

	v, err := b.faultVerdict(ctx, db, marks, fragile)
	if err != nil {
		return err
	}
	logf("fault stress: %d runners over %s; %d holders SIGKILLed alone, %d with their script's group, %d stalled (SIGSTOP past the lease), %d lock breaks, %d refusals resolved with relmig mark; exits %v",
		d.started, secs(wall), d.kills, d.groupKills, d.stalls, d.breaks, d.resolved, d.codes)
	logf("%d attempts started, %d migrations of %d applied (%d refused after an interrupted non-idempotent one)", v.starts, v.applied, len(ids), v.refusedLeft)
	for _, p := range v.problems {
		logf("%s", p)
	}
	ok := len(v.problems) == 0
	faults := fmt.Sprintf("%d kills, %d group kills, %d stalls, %d breaks", d.kills, d.groupKills, d.stalls, d.breaks)
	return b.emit(
		row{"faults", fmt.Sprintf("%d runners (%d at once), %d scripts, %s", d.started, faultRunners, len(ids), faults), secs(wall), "", "", "", "info"},
		row{"faults", "  migrations started twice", fmt.Sprint(v.twice), fmt.Sprintf("%d attempts started", v.starts), "", "0", verdict(v.twice == 0)},
		row{"faults", "  succeeded records of scripts that did not finish", fmt.Sprint(v.falseSuccess), fmt.Sprintf("%d applied", v.applied), "", "0", verdict(v.falseSuccess == 0)},
		row{"faults", "  other invariant breaches", fmt.Sprint(len(v.problems) - v.twice - v.falseSuccess), "", "", "0", verdict(ok)},
	)
}

// faultDriver keeps runners going and injects faults into the holder.
type faultDriver struct {
	b                          *bench
	dir, db                    string
	env                        []string
	args                       []string
	mu                         sync.Mutex
	runners                    map[int]*exec.Cmd
	stopped                    map[int]bool
	codes                      map[int]int
	started                    int
	kills                      int
	groupKills, stalls, breaks int
	resolved                   int // refusals resolved with relmig mark
	wg                         sync.WaitGroup
}

func (d *faultDriver) spawn() error {
	argv := append([]string{d.b.relmig, "up", "--apply", "--wait-lock", "10m", "--lease", faultLease.String()}, d.args...)
	c := proc{dir: d.dir, argv: argv, env: d.env}.cmd()
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		return err
	}
	d.mu.Lock()
	d.runners[c.Process.Pid] = c
	d.started++
	d.mu.Unlock()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		err := c.Wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		d.mu.Lock()
		delete(d.runners, c.Process.Pid)
		d.codes[code]++
		d.mu.Unlock()
	}()
	return nil
}

// chaos runs until the deadline or until nothing is left to do, then
// resumes every stalled runner and waits for all of them.
func (d *faultDriver) chaos(ctx context.Context, deadline time.Time) {
	d.runners, d.stopped = map[int]*exec.Cmd{}, map[int]bool{}
	for time.Now().Before(deadline) {
		d.mu.Lock()
		alive := len(d.runners)
		d.mu.Unlock()
		// A few new runners per round, so that runners refused at once do
		// not turn into a fork storm.
		for n := 0; alive < faultRunners && n < 8; alive, n = alive+1, n+1 {
			if err := d.spawn(); err != nil {
				logf("start a runner: %v", err)
				break
			}
		}
		time.Sleep(time.Duration(500+rand.N(1000)) * time.Millisecond)
		if d.done(ctx) {
			break
		}
		d.strike(ctx)
	}
	d.mu.Lock()
	for pid := range d.stopped {
		_ = syscall.Kill(pid, syscall.SIGCONT)
	}
	d.mu.Unlock()
	finished := make(chan struct{})
	go func() { d.wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(procTimeout):
		d.mu.Lock()
		for _, c := range d.runners {
			_ = c.Process.Kill()
		}
		d.mu.Unlock()
		<-finished
	}
}

// done reports whether the database has nothing left that a runner could
// do: every migration applied, or an interrupted one that is not
// idempotent waits for a person.
func (d *faultDriver) done(ctx context.Context) bool {
	c := proc{dir: d.dir, argv: append([]string{d.b.relmig, "status", "-o", "json"}, d.args[:2]...), env: d.env}.run()
	var st struct {
		Plan     []string `json:"plan"`
		Refusals []struct {
			ID     string `json:"id"`
			Reason string `json:"reason"`
		} `json:"refusals"`
	}
	if c.err != nil || json.Unmarshal(c.stdout, &st) != nil {
		return false
	}
	for _, r := range st.Refusals {
		if strings.Contains(r.Reason, "not idempotent") {
			d.resolve(ctx, r.ID)
		}
	}
	return len(st.Plan) == 0
}

// resolve does what an operator does with an interrupted migration that
// is not idempotent: read what its script did (here: its own log), then
// mark it, applied when the script finished, skipped when it did not (the
// stress never runs such a script twice, so that the invariant stays
// checkable).
func (d *faultDriver) resolve(ctx context.Context, id string) {
	ends, _ := readLog(filepath.Join(d.dir, "marks", "ends"))
	finished := false
	for _, mig := range ends {
		finished = finished || mig == id
	}
	as, why := "skipped", "fault stress: its script did not finish; not run again"
	if finished {
		as, why = "applied", "fault stress: its script finished (its log says so)"
	}
	c := proc{dir: d.dir, argv: append([]string{d.b.relmig, "mark", id, "--as", as, "--reason", why}, d.args[:2]...), env: d.env}.run()
	if c.err == nil && c.code == 0 {
		d.resolved++
	}
}

// strike picks the lock's current holder and does one thing to it.
func (d *faultDriver) strike(ctx context.Context) {
	var lease lock.Info
	err := d.b.client.Database(d.db).Collection(lock.DefaultCollection).
		FindOne(ctx, bson.D{{Key: "_id", Value: lock.DefaultName}}).Decode(&lease)
	if err != nil {
		return // free, or being taken over
	}
	pid := lease.Owner.PID
	d.mu.Lock()
	_, ours := d.runners[pid]
	stopped := d.stopped[pid]
	d.mu.Unlock()
	if !ours || stopped {
		return
	}
	switch rand.N(4) {
	case 0:
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			d.kills++
		}
	case 1:
		pg := readPG(filepath.Join(d.dir, "marks", fmt.Sprintf("pg.%d", pid)))
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			d.groupKills++
			if pg > 1 {
				_ = syscall.Kill(-pg, syscall.SIGKILL)
			}
		}
	case 2:
		if syscall.Kill(pid, syscall.SIGSTOP) == nil {
			d.stalls++
			d.mu.Lock()
			d.stopped[pid] = true
			d.mu.Unlock()
			// Past the lease: a waiting runner takes over meanwhile.
			time.AfterFunc(faultLease+time.Duration(1000+rand.N(3000))*time.Millisecond, func() {
				_ = syscall.Kill(pid, syscall.SIGCONT)
				d.mu.Lock()
				delete(d.stopped, pid)
				d.mu.Unlock()
			})
		}
	case 3:
		c := proc{dir: d.dir, argv: append([]string{d.b.relmig, "unlock", "--force", "--reason", "fault stress"}, d.args[:2]...), env: d.env}.run()
		if c.err == nil && c.code == 0 {
			d.breaks++
		}
	}
}

func readPG(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var pg int
	_, _ = fmt.Sscan(strings.TrimSpace(string(b)), &pg)
	return pg
}

type faultVerdict struct {
	starts, applied, refusedLeft int
	twice, falseSuccess          int
	problems                     []string
}

// faultVerdict checks the invariants of benchFaults.
func (b *bench) faultVerdict(ctx context.Context, dbName, marks string, fragile map[string]bool) (faultVerdict, error) {
	var v faultVerdict
	starts, err := readLog(filepath.Join(marks, "starts"))
	if err != nil {
		return v, err
	}
	ends, err := readLog(filepath.Join(marks, "ends"))
	if err != nil {
		return v, err
	}
	cur, err := b.client.Database(dbName).Collection(history.DefaultHistoryCollection).Find(ctx, bson.D{})
	if err != nil {
		return v, err
	}
	var recs []history.Attempt
	if err := cur.All(ctx, &recs); err != nil {
		return v, err
	}
	byID := map[string]history.Attempt{}
	succeeded := map[string]int{}
	for _, r := range recs {
		byID[r.ID] = r
		if r.Status == history.Succeeded {
			succeeded[r.Migration]++
			if ends[r.ID] == "" {
				v.falseSuccess++
				v.problems = append(v.problems, fmt.Sprintf("%s: attempt %s recorded succeeded, but its script never finished", r.Migration, r.ID))
			}
		}
	}
	perMigration := map[string]int{}
	for attempt, mig := range starts {
		v.starts++
		perMigration[mig]++
		if _, ok := byID[attempt]; !ok {
			// Still running when the stress ended would be a bug too: every
			// runner has exited by now.
			v.problems = append(v.problems, fmt.Sprintf("%s: attempt %s started but history has no ended record of it", mig, attempt))
		}
	}
	for attempt, n := range startCounts(filepath.Join(marks, "starts")) {
		if n > 1 {
			v.twice++
			v.problems = append(v.problems, fmt.Sprintf("attempt %s started %d times", attempt, n))
		}
	}
	for mig, n := range perMigration {
		if fragile[mig] && n > 1 {
			v.twice++
			v.problems = append(v.problems, fmt.Sprintf("%s is not idempotent and started %d times", mig, n))
		}
	}
	for mig, n := range succeeded {
		v.applied++
		if n > 1 {
			v.problems = append(v.problems, fmt.Sprintf("%s has %d succeeded records", mig, n))
		}
	}
	for mig := range fragile {
		if succeeded[mig] == 0 && perMigration[mig] > 0 {
			v.refusedLeft++
		}
	}
	return v, nil
}

// readLog reads "start|end ATTEMPT MIGRATION" lines: attempt → migration.
func readLog(path string) (map[string]string, error) {
	out := map[string]string{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) == 3 {
			out[fs[1]] = fs[2]
		}
	}
	return out, sc.Err()
}

// startCounts counts the start lines per attempt.
func startCounts(path string) map[string]int {
	out := map[string]int{}
	b, _ := os.ReadFile(path)
	for _, l := range strings.Split(string(b), "\n") {
		if fs := strings.Fields(l); len(fs) == 3 {
			out[fs[1]]++
		}
	}
	return out
}
