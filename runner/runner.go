package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/lock"
	"github.com/relmig/relmig/plan"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/runner/process"
	"github.com/relmig/relmig/runner/toolchain"
)

// Options configure a Runner. Zero values take the defaults named.
type Options struct {
	// URI and DB fill the {uri} and {db} placeholders; the URI reaches
	// scripts only through templates and the environment.
	URI, DB string
	// Redact are secrets (the URI's password) kept out of all output.
	Redact []string
	// RepoRoot is the application repository; Dir the migrations folder in
	// it (slash path).
	RepoRoot, Dir string
	// CacheDir holds per-release checkouts; LogDir one log file per attempt.
	CacheDir, LogDir string
	// SharedCache is the folder {cache} names: it outlives checkouts and
	// runs (one package store for every release, say). Created when set;
	// empty leaves {cache} without a value.
	SharedCache string
	// MapDir is the folder {map_dir} names: the one holding the release
	// map, so that a map can ship helper files (a build script, a wrapper)
	// beside it. Empty leaves {map_dir} without a value.
	MapDir string
	// ToolCacheDir holds the node and package manager versions fetched for
	// toolchain: auto (default CacheDir/tools); Registry is the npm
	// registry they come from (default toolchain.DefaultRegistry).
	ToolCacheDir, Registry string
	// Env is the parent environment ("NAME=value").
	Env []string
	// RunID, Target and Actor go into every record and RELMIG_* variable.
	RunID  string
	Target string
	Actor  history.Actor
	// Live receives the scripts' output as it is printed, prefixed.
	Live io.Writer
	// Events receives progress; nil ignores it. Besides the run's own
	// goroutine it is called from the goroutines that watch a running
	// script (never after the script's EventEnd) and from the preparation
	// of checkouts ahead (EventSetup notes starting "ahead: "); never two
	// calls at once, and none after Apply returned.
	Events func(Event)
	// HeartbeatAfter is how long a script may print nothing before an
	// EventHeartbeat says it still runs, and HeartbeatEvery how often
	// that is repeated while it stays silent (zero: HeartbeatAfter). Zero
	// HeartbeatAfter, the default, sends no heartbeats.
	HeartbeatAfter, HeartbeatEvery time.Duration
	// Command builds child processes (default exec.CommandContext); tests
	// pass the test binary as a fake script.
	Command process.CommandFunc
	// Dial checks `reachable` addresses (default net.Dialer); DialTimeout
	// bounds each check (default 3s).
	Dial        Dialer
	DialTimeout time.Duration
	// Grace is how long a terminated script has to exit before it is killed
	// (default process.DefaultGrace); MarkerGrace how long a script that
	// printed its done marker may take to exit by itself (default
	// process.DefaultMarkerGrace).
	Grace, MarkerGrace time.Duration
	// Export writes a release's tree into dest, all or nothing: a dest
	// that exists is a complete checkout (gitscan.ExportTree in
	// production); required when a migration runs with workdir: release.
	Export func(ctx context.Context, tag, dest string) error
	// AcceptChanged names migrations allowed to run although their content
	// differs from the map's sha256 (--accept-changed).
	AcceptChanged []string
	// OutcomeRetry is how long a failed outcome write is retried (default
	// 30s, about one lease).
	OutcomeRetry time.Duration
	// NoPrepareAhead turns off preparing later releases' checkouts in the
	// background while earlier migrations run (see checkouts).
	NoPrepareAhead bool
	// OrphanWait is how long Apply waits for the processes of earlier
	// attempts on this host to end before it refuses to start (default
	// the grace period plus 5s).
	OrphanWait time.Duration
}

// Runner runs planned migrations against one database. Build it with New.
type Runner struct {
	store history.Store
	db    *mongo.Database
	seq   *releasemap.Sequence
	opts  Options

	mu         sync.Mutex
	toolchains map[string]*toolchain.Toolchain // resolved per checkout, cwd and overrides
	checkouts  checkouts                       // prepared this run, or being prepared ahead
	setupSlot  chan struct{}                   // held by the one setup running
	gate       chan struct{}                   // closed once setups ahead may start (see openGate)
	gateOnce   *sync.Once
	guard      *process.Guard // the run's: stops its scripts and setups if relmig dies
	emitMu     sync.Mutex     // one Events call at a time
}

// New returns a Runner; store records attempts, db answers pre and post
// checks, seq is the map. It fails when a required option is missing.
func New(store history.Store, db *mongo.Database, seq *releasemap.Sequence, opts Options) (*Runner, error) {
	if store == nil || db == nil || seq == nil {
		return nil, errors.New("runner: store, database and map are required")
	}
	if opts.RunID == "" || opts.RepoRoot == "" || opts.CacheDir == "" || opts.LogDir == "" {
		return nil, errors.New("runner: RunID, RepoRoot, CacheDir and LogDir are required")
	}
	if opts.Dial == nil {
		var d net.Dialer
		opts.Dial = d.DialContext
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = defaultDialTimeout
	}
	if opts.Live == nil {
		opts.Live = io.Discard
	}
	if opts.SharedCache != "" {
		if err := os.MkdirAll(opts.SharedCache, 0o755); err != nil {
			return nil, fmt.Errorf("runner: shared cache: %w", err)
		}
	}
	return &Runner{store: store, db: db, seq: seq, opts: opts, toolchains: map[string]*toolchain.Toolchain{}, setupSlot: make(chan struct{}, 1)}, nil
}

// EventKind says what an Event reports.
type EventKind int

// The kinds of progress events.
const (
	EventSetup EventKind = iota // a checkout is being prepared
	EventStart                  // a migration starts
	EventEnd                    // a migration ended (Result set)
)

// Event is one step of progress: migration N of Total.
type Event struct {
	Kind   EventKind
	N      int
	Total  int
	Entry  releasemap.RangeEntry
	Result *Result
	Note   string
	// Progress, Elapsed (since the script started) and Silent (since its
	// last output) describe a running script, for EventProgress and
	// EventHeartbeat; those events leave N and Total zero, the migration
	// is the one of the last EventStart.
	Progress *history.Progress
	Elapsed  time.Duration
	Silent   time.Duration
}

// Result is what running one migration did.
type Result struct {
	ID        string
	Release   string
	AttemptID string
	Status    history.Status
	Duration  time.Duration
	ExitCode  *int
	Signal    string
	LogFile   string
	Tail      string
	// Progress is the last progress line the script printed, nil if none.
	Progress *history.Progress
	// OutputErr is a failure to write the live output or the log file; the
	// script's own outcome does not depend on it.
	OutputErr error
	// Err explains a failure or interruption; nil on success.
	Err error
}

// String is one line: status, id, duration and why it failed.
func (r Result) String() string {
	s := fmt.Sprintf("%s %s (%s)", r.Status, r.ID, r.Duration.Round(time.Millisecond))
	if r.Err != nil {
		s += ": " + r.Err.Error()
	}
	return s
}

// postTimeout bounds the post checks of one migration: counts that take
// longer point at a missing index, not at a check worth waiting for.
const postTimeout = 2 * time.Minute

// RequirementsError lists every unmet requirement found before anything
// ran; it wraps plan.ErrRefused.
type RequirementsError struct {
	Failures []plan.Finding
}

func (e *RequirementsError) Error() string {
	parts := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		parts[i] = f.String()
	}
	return "requirements not met, nothing ran: " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, plan.ErrRefused) true.
func (e *RequirementsError) Unwrap() error { return plan.ErrRefused }

// ErrMigrationFailed is wrapped by the error of a run that stopped at a
// failed migration.
var ErrMigrationFailed = errors.New("migration failed")

// PartialError is a run that stopped early: what was applied before, and
// the result that stopped it.
type PartialError struct {
	Applied []Result
	Failed  Result
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("%s after %d applied", e.Failed, len(e.Applied))
}

// Unwrap returns why the run stopped: the script's failure (wrapping
// ErrMigrationFailed), an interruption, or a lost lease or database.
func (e *PartialError) Unwrap() error { return e.Failed.Err }

// Check verifies the requirements of every entry: variables set, addresses
// answering, `pre` checks true. It returns a *RequirementsError listing
// every failure, or nil.
func (r *Runner) Check(ctx context.Context, entries []releasemap.RangeEntry) error {
	if fs := r.preflight(ctx, entries); len(fs) > 0 {
		return &RequirementsError{Failures: fs}
	}
	return nil
}

// Apply runs entries in order, stopping at the first failure. It returns
// the results of the migrations that ran; the error is a *PartialError
// when one did not succeed, or the reason the run could not go on.
//
// With a lease, every migration is fenced (see runOne): a run whose lease
// is not valid by its own clock, or that finds it broken or taken over,
// never starts another migration, and the script under way is stopped the
// moment the lease is lost. Before the first migration, Apply waits for
// the processes of earlier attempts on this host that are still alive
// (their guard), and refuses to start while any is.
func (r *Runner) Apply(ctx context.Context, lease *lock.Lease, entries []releasemap.RangeEntry) ([]Result, error) {
	return r.apply(ctx, lease, entries, nil)
}

// ApplyPlan runs the plan p (see Apply). The planner's view of each
// migration is the fence's reference: a migration whose history changed
// after p was computed (another run ended an attempt of it meanwhile) is
// not started.
func (r *Runner) ApplyPlan(ctx context.Context, lease *lock.Lease, p *plan.Result) ([]Result, error) {
	seen := make(map[string]string, len(p.Migrations))
	for _, m := range p.Migrations {
		if m.Latest != nil && m.Latest.Status.Terminal() {
			seen[m.Entry.Migration.ID] = m.Latest.ID
		} else if m.Latest == nil {
			seen[m.Entry.Migration.ID] = ""
		}
	}
	return r.apply(ctx, lease, p.Plan, seen)
}

func (r *Runner) apply(ctx context.Context, lease *lock.Lease, entries []releasemap.RangeEntry, seen map[string]string) ([]Result, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	if err := r.waitForOrphans(ctx); err != nil {
		return nil, err
	}
	guard, err := process.StartGuard(r.opts.Grace)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotStarted, err)
	}
	r.guard = guard
	defer func() {
		_ = guard.Close()
		r.guard = nil
	}()
	stopAhead := r.startAhead(ctx, entries)
	defer stopAhead()
	var applied []Result
	for i, e := range entries {
		if err := ctx.Err(); err != nil {
			return applied, fmt.Errorf("stopped before %s: %w", e.Migration.ID, err)
		}
		if lease != nil {
			if err := lease.Valid(); err != nil {
				return applied, fmt.Errorf("stopped before %s: %w", e.Migration.ID, err)
			}
		}
		r.emit(Event{Kind: EventStart, N: i + 1, Total: len(entries), Entry: e})
		expect, known := seen[e.Migration.ID]
		res, err := r.runOne(ctx, lease, e, fence{expect: expect, known: known})
		if err != nil {
			// Not started (preparation, claim or fence), or the outcome
			// could not be recorded: stop.
			return applied, err
		}
		r.emit(Event{Kind: EventEnd, N: i + 1, Total: len(entries), Entry: e, Result: &res})
		if !res.Status.Applied() {
			return applied, &PartialError{Applied: applied, Failed: res}
		}
		applied = append(applied, res)
	}
	return applied, nil
}

// fence is what the planner saw of a migration: the id of its latest
// ended record ("" for none), when known.
type fence struct {
	expect string
	known  bool
}

// emit sends ev to Options.Events, one call at a time: the run, the
// goroutines watching its script and the preparation ahead all report.
func (r *Runner) emit(ev Event) {
	if r.opts.Events != nil {
		r.emitMu.Lock()
		defer r.emitMu.Unlock()
		r.opts.Events(ev)
	}
}

// note reports a step of preparing e's checkout; ahead says it is prepared
// in the background, while another migration runs.
func (r *Runner) note(e releasemap.RangeEntry, ahead bool, text string) {
	if ahead {
		text = "ahead: " + text
	}
	r.emit(Event{Kind: EventSetup, Entry: e, Note: text})
}

// runOne runs one migration:
//
//  1. prepare everything that can fail without running the script (the
//     checkout and its setup, the command, templates, the content check,
//     the log file); a failure returns an error wrapping ErrNotStarted
//     and records nothing, so the next run simply tries again;
//  2. claim: with the lease valid by this host's clock (more than its
//     margin left), Begin writes the running record, which the store
//     makes the migration's one claim (first writer wins);
//  3. fence: read the lease back (still this run's) and the migration's
//     latest ended record (not applied, unchanged since planning), in
//     parallel, then check the lease's validity by the clock once more;
//     on any doubt the claim is abandoned and nothing starts;
//  4. run the script, stopping it if the lease is lost meanwhile; check
//     post conditions; record the outcome, retried for about a lease.
//
// The error is non-nil when the script did not start, or when its outcome
// could not be recorded.
func (r *Runner) runOne(ctx context.Context, lease *lock.Lease, e releasemap.RangeEntry, fc fence) (Result, error) {
	g := e.Migration
	res := Result{ID: g.ID, Release: e.Release.String()}
	settings := g.Effective(r.seq.Runner)
	if g.Noop != "" {
		return r.skipNoop(ctx, lease, e, fc)
	}

	prep, err := r.prepare(ctx, e, settings)
	r.openGate()
	if err != nil {
		return res, notStarted(g.ID, err)
	}
	script := prep.script
	spec, err := r.spec(e, settings, prep)
	if err != nil {
		return res, notStarted(g.ID, err)
	}
	spec.Guard = r.guard
	hash, err := fileHash(script)
	if err != nil {
		return res, notStarted(g.ID, err)
	}
	if g.SHA256 != "" && hash != g.SHA256 && !slices.Contains(r.opts.AcceptChanged, g.ID) {
		return res, &ChangedError{ID: g.ID, Path: script, Want: g.SHA256, Got: hash}
	}
	if err := process.Preflight(spec); err != nil {
		return res, notStarted(g.ID, err)
	}

	// Preparing can take minutes (a setup that installs dependencies), and
	// a host can stall at any point: the lease must be valid now.
	token := ""
	if lease != nil {
		if err := lease.Valid(); err != nil {
			return res, fmt.Errorf("%s not started: %w", g.ID, err)
		}
		token = lease.Info().Token
	}
	att, err := r.store.Begin(ctx, history.Attempt{
		Migration: g.ID, Release: e.Release.String(), Status: history.Running, RunID: r.opts.RunID,
		Target: r.opts.Target, StartedAt: time.Now(), SHA256: hash, LogFile: spec.LogFile, By: r.opts.Actor,
		LeaseToken: token, GuardPID: r.guard.PID(),
	})
	if err != nil {
		return res, fmt.Errorf("claim %s (not started): %w", g.ID, err)
	}
	res.AttemptID = att.ID
	spec.Env = append(spec.Env, process.AttemptEnv+"="+att.ID)
	if err := r.checkFence(ctx, lease, g.ID, fc); err != nil {
		if aerr := r.store.Abandon(context.WithoutCancel(ctx), att.ID); aerr != nil {
			err = errors.Join(err, fmt.Errorf("give up the claim: %w", aerr))
		}
		return res, fmt.Errorf("%s not started: %w", g.ID, err)
	}

	// The script stops when the lease is lost: a successor may record it
	// as interrupted, and must find it dead.
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	if lease != nil {
		go func() {
			select {
			case <-lease.Lost():
				stop(lease.Err())
			case <-runCtx.Done():
			}
		}()
	}
	out := history.Outcome{Status: history.Succeeded}
	r.watch(&spec, e)
	pr, runErr := process.Run(runCtx, spec)
	out.Progress = recordedProgress(pr.Progress)
	res.Progress = out.Progress
	out.Duration, out.Signal, out.OutputTail, out.LogFile = pr.Duration, pr.Signal, pr.Tail, pr.LogFile
	if pr.ExitCode >= 0 && !pr.FinishedByMarker {
		code := pr.ExitCode
		out.ExitCode = &code
	}
	res.Duration, res.Signal, res.Tail, res.LogFile, res.ExitCode = pr.Duration, pr.Signal, pr.Tail, pr.LogFile, out.ExitCode
	res.OutputErr = pr.OutputErr
	switch {
	case errors.Is(runErr, process.ErrInterrupted):
		out.Status = history.Interrupted
		if cause := context.Cause(runCtx); errors.Is(cause, lock.ErrLost) {
			out.Reason = "stopped because the run lost its lock: " + cause.Error()
			res.Err = fmt.Errorf("%s interrupted: %w", g.ID, cause)
		} else {
			out.Reason = "interrupted by a signal to relmig"
			res.Err = fmt.Errorf("%s interrupted: %w", g.ID, context.Canceled)
		}
	case runErr != nil:
		out.Status, out.Reason = history.Failed, runErr.Error()
		res.Err = &ScriptError{ID: g.ID, Release: e.Release.String(), ExitCode: pr.ExitCode, Tail: pr.Tail, Err: runErr}
	default:
		if pr.FinishedByMarker {
			out.Reason = "done marker printed; stopped after the grace period"
		}
		// The script already finished: a Ctrl-C now must not turn
		// its success into a failed post check, so the checks run to
		// completion (bounded) regardless.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), postTimeout)
		err := r.post(pctx, g)
		cancel()
		if err != nil {
			out.Status, out.Reason = history.Failed, err.Error()
			res.Err = &ScriptError{ID: g.ID, Release: e.Release.String(), ExitCode: pr.ExitCode, Tail: pr.Tail, Err: err}
		}
	}
	res.Status = out.Status
	// Recorded even when the run was cancelled: the outcome must not be
	// lost to the Ctrl-C that caused it.
	if err := r.finish(context.WithoutCancel(ctx), att, out); err != nil {
		return res, err
	}
	return res, nil
}

// checkFence is step 3 of runOne: after the claim, the lease must still be
// this run's, and the migration must not have ended an attempt since the
// plan was made (nor be applied at all).
func (r *Runner) checkFence(ctx context.Context, lease *lock.Lease, id string, fc fence) error {
	var leaseErr error
	done := make(chan struct{})
	if lease != nil {
		go func() {
			defer close(done)
			leaseErr = lease.Verify(ctx)
		}()
	} else {
		close(done)
	}
	latest, err := r.store.LatestEnded(ctx, id)
	<-done
	if leaseErr != nil {
		return leaseErr
	}
	if err != nil {
		return fmt.Errorf("re-read its history after claiming it: %w", err)
	}
	switch {
	case latest != nil && latest.Status.Applied():
		return &StaleError{ID: id, Latest: *latest}
	case fc.known && (latest == nil && fc.expect != "" || latest != nil && latest.ID != fc.expect):
		l := history.Entry{}
		if latest != nil {
			l = *latest
		}
		return &StaleError{ID: id, Latest: l}
	}
	if lease != nil {
		// The reads took time: the start must still fall inside the lease.
		return lease.Valid()
	}
	return nil
}

// outcomeRetry is how long an outcome write is retried: about one default
// lease, long enough to ride out a failover or a short network blip.
const outcomeRetry = 30 * time.Second

// finish records the outcome of att, retrying passing failures with
// backoff; when it gives up, the *OutcomeError names the `relmig mark`
// command that records what happened by hand.
func (r *Runner) finish(ctx context.Context, att history.Attempt, out history.Outcome) error {
	limit := r.opts.OutcomeRetry
	if limit <= 0 {
		limit = outcomeRetry
	}
	deadline := time.Now().Add(limit)
	pause := 50 * time.Millisecond
	for {
		_, err := r.store.Finish(ctx, att.ID, out)
		if err == nil {
			return nil
		}
		if errors.Is(err, history.ErrNotRunning) && r.recorded(ctx, att.ID, out.Status) {
			// An earlier try wrote the outcome before it failed.
			return nil
		}
		if errors.Is(err, history.ErrNotRunning) {
			// Only a run that took over, or an operator breaking the lock,
			// ends another run's attempt: this run lost its lock.
			return &OutcomeError{ID: att.Migration, AttemptID: att.ID, Outcome: out, Err: fmt.Errorf("%w: %w", lock.ErrLost, err)}
		}
		if errors.Is(err, history.ErrInvalid) || errors.Is(err, history.ErrNotFound) || time.Now().Add(pause).After(deadline) {
			return &OutcomeError{ID: att.Migration, AttemptID: att.ID, Outcome: out, Err: err}
		}
		time.Sleep(pause)
		pause = min(pause*2, 2*time.Second)
	}
}

// recorded reports whether attempt id is already recorded with status.
func (r *Runner) recorded(ctx context.Context, id string, status history.Status) bool {
	a, err := r.store.Get(ctx, id)
	return err == nil && a.Status == status && a.RunID == r.opts.RunID
}

// notStarted wraps a failure that kept a migration's script from starting.
func notStarted(id string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrNotStarted, id, err)
}

func (r *Runner) post(ctx context.Context, g *releasemap.Migration) error {
	var fails []string
	for i, c := range g.Post {
		if err := CheckCount(ctx, r.db, c); err != nil {
			fails = append(fails, fmt.Sprintf("post check %d: %v", i+1, err))
		}
	}
	if len(fails) > 0 {
		return errors.New(strings.Join(fails, "; "))
	}
	return nil
}

// spec builds the process to run: in the prepared folder, with its
// toolchain first on PATH.
func (r *Runner) spec(e releasemap.RangeEntry, s releasemap.Runner, p prepared) (process.Spec, error) {
	g := e.Migration
	if s.Command == "" {
		return process.Spec{}, errors.New("no runner command: set runner.command in the map")
	}
	var t *process.Template
	var err error
	if s.Shell {
		t, err = process.ParseShellTemplate(s.Command)
	} else {
		t, err = process.ParseTemplate(s.Command)
	}
	if err != nil {
		return process.Spec{}, fmt.Errorf("command: %w", err)
	}
	env, err := r.envFor(e)
	if err != nil {
		return process.Spec{}, err
	}
	env = withToolchain(env, p.tc)
	argv, err := t.Expand(r.vars(e, env, p.script))
	if err != nil {
		return process.Spec{}, fmt.Errorf("command: %w", err)
	}
	spec := process.Spec{
		Argv: argv, Dir: p.dir, Env: envList(env), Grace: r.opts.Grace, MarkerGrace: r.opts.MarkerGrace,
		Live: r.opts.Live, Prefix: "  │ ", Redact: r.opts.Redact, Command: r.opts.Command,
		LogFile: filepath.Join(r.opts.LogDir, r.opts.RunID, safeName(g.ID)+".log"),
	}
	if s.Timeout != "" {
		if spec.Timeout, err = time.ParseDuration(s.Timeout); err != nil {
			return process.Spec{}, fmt.Errorf("timeout: %w", err)
		}
	}
	if s.DoneMarker != "" {
		if spec.DoneMarker, err = regexp.Compile(s.DoneMarker); err != nil {
			return process.Spec{}, fmt.Errorf("done_marker: %w", err)
		}
	}
	return spec, nil
}

// envFor composes a migration's environment: the parent's, the runner's
// env (templates expanded), and RELMIG_* variables.
// An env value whose template does not expand (an {env.NAME} that is not
// set) is an error: dropping it would run the script without a variable
// the map says it needs.
func (r *Runner) envFor(e releasemap.RangeEntry) (map[string]string, error) {
	env := map[string]string{}
	for _, kv := range r.opts.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	base := r.vars(e, env, "")
	values := e.Migration.Effective(r.seq.Runner).Env
	for _, k := range slices.Sorted(maps.Keys(values)) {
		x, err := process.ExpandText(values[k], base)
		if err != nil {
			return env, fmt.Errorf("env %s: %w", k, err)
		}
		env[k] = x
	}
	env["RELMIG_ID"] = e.Migration.ID
	env["RELMIG_RELEASE"] = e.Release.String()
	env["RELMIG_RUN_ID"] = r.opts.RunID
	env["RELMIG_TARGET"] = r.opts.Target
	env["RELMIG_DB"] = r.opts.DB
	return env, nil
}

func (r *Runner) vars(e releasemap.RangeEntry, env map[string]string, path string) process.Vars {
	return process.Vars{Path: path, URI: r.opts.URI, DB: r.opts.DB, ID: e.Migration.ID, Release: e.Release.String(), Cache: r.opts.SharedCache, MapDir: r.opts.MapDir, Env: env}
}

func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// safeName turns an id into a file name: path separators and odd
// characters become "_".
func safeName(id string) string {
	return strings.Map(func(c rune) rune {
		if c == '.' || c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return c
		}
		return '_'
	}, id)
}

func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("script: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("script: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
