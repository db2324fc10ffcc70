// Command relbench runs the database benchmarks of make bench for
// scripts/bench/bench.sh (`make bench`): status, apply overhead and exactly
// once. It needs MONGODB_URI (scripts/with-devdb.sh sets it), bin/relmig and
// node_modules (the mongodb driver and migrate-mongo).
//
//	relbench -root REPO -work DIR -rows FILE status|apply|once|faults
//	relbench table FILE
//
// Each benchmark appends rows to FILE, one per measurement, tab-separated:
//
//	benchmark, measurement, value, reference, ratio, bar, PASS|FAIL|info
//
// and `table` prints them aligned and exits 1 when a row says FAIL. Every
// benchmark uses its own fresh database (a new name on the server) and its
// own folder under DIR; relbench stops with a clear message at the first
// thing that does not work as it should (a process exiting non-zero, a
// status document that does not say what was seeded, a counter that is not
// 1).
//
// What each benchmark measures is described at its function: benchStatus,
// benchApply, benchOnce.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The bars the benchmarks hold relmig to (README: Development).
const (
	statusBar        = 150 * time.Millisecond // relmig status, whole process
	overheadBar      = 5 * time.Millisecond   // relmig's wall per migration beyond the script's own
	migrateMongoBar  = 0.6                    // relmig total / migrate-mongo total
	statusReleases   = 100
	statusPerRelease = 10
	statusRecords    = 20000
	applyScripts     = 200
	onceScripts      = 100
	onceProcs        = 16
)

type bench struct {
	root, work, rows string
	uri              string
	relmig           string
	runs             int
	client           *mongo.Client
	seq              int // fresh database names
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "table" {
		os.Exit(table(os.Args[2]))
	}
	b := &bench{}
	flag.StringVar(&b.root, "root", "", "relmig repository (bin/relmig, node_modules)")
	flag.StringVar(&b.work, "work", "", "scratch folder (created; the caller removes it)")
	flag.StringVar(&b.rows, "rows", "", "file the result rows are appended to")
	flag.IntVar(&b.runs, "runs", 0, "repetitions (default per benchmark: status 15, apply 2)")
	flag.Parse()
	if b.root == "" || b.work == "" || b.rows == "" || flag.NArg() != 1 {
		fatalf("usage: relbench -root REPO -work DIR -rows FILE status|apply|once|faults, or relbench table FILE")
	}
	b.uri = os.Getenv("MONGODB_URI")
	if b.uri == "" {
		fatalf("MONGODB_URI is not set: run under scripts/with-devdb.sh")
	}
	b.relmig = filepath.Join(b.root, "bin", "relmig")
	if _, err := os.Stat(b.relmig); err != nil {
		fatalf("%s is not built (make build): %v", b.relmig, err)
	}
	var err error
	if b.client, err = mongo.Connect(options.Client().ApplyURI(b.uri).SetServerSelectionTimeout(10 * time.Second)); err != nil {
		fatalf("connect: %v", err)
	}
	ctx := context.Background()
	if err := b.client.Ping(ctx, nil); err != nil {
		fatalf("no server at MONGODB_URI: %v", err)
	}
	defer b.client.Disconnect(ctx)
	if err := os.MkdirAll(b.work, 0o755); err != nil {
		fatalf("%v", err)
	}
	switch flag.Arg(0) {
	case "status":
		err = b.benchStatus(ctx)
	case "apply":
		err = b.benchApply(ctx)
	case "once":
		err = b.benchOnce(ctx)
	case "faults":
		err = b.benchFaults(ctx)
	default:
		err = fmt.Errorf("unknown benchmark %q (status, apply, once, faults)", flag.Arg(0))
	}
	if err != nil {
		fatalf("%s: %v", flag.Arg(0), err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "relbench: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "  "+format+"\n", args...)
}

// freshDB returns a database name not used before on this server.
func (b *bench) freshDB(what string) string {
	b.seq++
	return fmt.Sprintf("bench_%s_%d_%d", what, os.Getpid(), b.seq)
}

// ---------------------------------------------------------------- maps

// version is release r's version (r from 1).
func version(r int) string { return fmt.Sprintf("v1.%d.0", r) }

// genMap writes DIR/releasemap.yaml with releases × per migrations under
// DIR/migrations (workdir: current, so the folder is the repository and no
// git is involved), each script with the given content, and returns the
// migration ids in run order.
func genMap(dir string, releases, per int, command, ext, content string, env map[string]string) ([]string, error) {
	var y strings.Builder
	y.WriteString("relmig: 1\ndir: migrations\nrunner:\n")
	fmt.Fprintf(&y, "  command: %q\n  workdir: current\n", command)
	if len(env) > 0 {
		y.WriteString("  env:\n")
		for _, k := range slices.Sorted(mapsKeys(env)) {
			fmt.Fprintf(&y, "    %s: %q\n", k, env[k])
		}
	}
	y.WriteString("releases:\n")
	var ids []string
	for r := 1; r <= releases; r++ {
		fmt.Fprintf(&y, "  - version: %s\n    migrations:\n", version(r))
		sub := fmt.Sprintf("r%03d", r)
		if err := os.MkdirAll(filepath.Join(dir, "migrations", sub), 0o755); err != nil {
			return nil, err
		}
		for j := 1; j <= per; j++ {
			id := fmt.Sprintf("%s/m%04d%s", sub, len(ids)+1, ext)
			if err := os.WriteFile(filepath.Join(dir, "migrations", id), []byte(content), 0o644); err != nil {
				return nil, err
			}
			fmt.Fprintf(&y, "      - id: %s\n", id)
			ids = append(ids, id)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "releasemap.yaml"), []byte(y.String()), 0o644); err != nil {
		return nil, err
	}
	return ids, nil
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// ---------------------------------------------------------------- processes

// proc describes one process to run and time.
type proc struct {
	dir  string
	argv []string
	env  []string // added to the environment
}

type procResult struct {
	wall   time.Duration
	code   int
	stdout []byte
	stderr []byte
	err    error // start failure
}

func (p proc) cmd() *exec.Cmd {
	c := exec.Command(p.argv[0], p.argv[1:]...)
	c.Dir = p.dir
	// A map named by the caller's environment must not replace the
	// benchmark's own.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "RELMIG_MAP=") })
	c.Env = append(env, p.env...)
	return c
}

// run runs p to the end; its wall time is from just before fork to just
// after wait, what a shell's `time` would show.
func (p proc) run() procResult {
	c := p.cmd()
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	start := time.Now()
	err := c.Start()
	var killed atomic.Bool
	if err == nil {
		t := time.AfterFunc(procTimeout, func() { killed.Store(true); _ = c.Process.Kill() })
		err = c.Wait()
		t.Stop()
	}
	r := procResult{wall: time.Since(start), stdout: out.Bytes(), stderr: errb.Bytes()}
	var ee *exec.ExitError
	switch {
	case killed.Load():
		r.err, r.code = fmt.Errorf("killed after %s: it hung", procTimeout), -1
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		r.err, r.code = err, -1
	}
	return r
}

// procTimeout bounds every process the benchmarks start, so that a hung
// server or lock ends the benchmark with an error instead of never.
const procTimeout = 5 * time.Minute

// mustRun runs p and turns a failure into an error with its stderr.
func (p proc) mustRun() (procResult, error) {
	r := p.run()
	if r.err != nil || r.code != 0 {
		return r, fmt.Errorf("%s (in %s) exited %d: %v\n%s", strings.Join(p.argv, " "), p.dir, r.code, r.err, tail(r.stderr, 2000))
	}
	return r, nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}

// timings runs p n times and returns the sorted wall times.
func timings(p proc, n int) ([]time.Duration, error) {
	var ts []time.Duration
	for range n {
		r, err := p.mustRun()
		if err != nil {
			return nil, err
		}
		ts = append(ts, r.wall)
	}
	slices.Sort(ts)
	return ts, nil
}

func median(ts []time.Duration) time.Duration { return ts[len(ts)/2] }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// ---------------------------------------------------------------- rows

type row struct {
	bench, what, value, ref, ratio, bar, result string
}

func (b *bench) emit(rs ...row) error {
	f, err := os.OpenFile(b.rows, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, r := range rs {
		fmt.Fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.bench, r.what, r.value, r.ref, r.ratio, r.bar, r.result)
	}
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// table prints the rows of file aligned; 1 when a row failed.
func table(file string) int {
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "relbench:", err)
		return 1
	}
	head := []string{"BENCHMARK", "MEASUREMENT", "VALUE", "REFERENCE", "RATIO", "BAR", "RESULT"}
	rows := [][]string{head}
	sc := bufio.NewScanner(bytes.NewReader(data))
	fails, passes := 0, 0
	for sc.Scan() {
		if sc.Text() == "" {
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		for len(f) < len(head) {
			f = append(f, "")
		}
		switch f[6] {
		case "FAIL":
			fails++
		case "PASS":
			passes++
		}
		rows = append(rows, f)
	}
	width := make([]int, len(head))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			line.WriteString(c)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", width[i]-len([]rune(c))))
			}
		}
		fmt.Println(strings.TrimRight(line.String(), " "))
	}
	if fails > 0 {
		fmt.Printf("\nFAIL: %d of %d bars missed\n", fails, fails+passes)
		return 1
	}
	fmt.Printf("\nPASS: all %d bars met\n", passes)
	return 0
}

// ---------------------------------------------------------------- status
