// Package upcmd implements `relmig up`: print the plan (the default), or run
// it with --apply.
package upcmd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/plan"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/releasemap/gitscan"
	"github.com/relmig/relmig/runner"
)

// The bounds of --lease: under 5s a loaded host misses renewals, over an
// hour a crashed run blocks the next one for too long.
const (
	minLease = 5 * time.Second
	maxLease = time.Hour
)

// Options are the inputs of `up`.
type Options struct {
	F        *cmdutil.Factory
	DB       cmdutil.DBFlags
	To       string
	Apply    bool
	WaitLock time.Duration
	Lease    time.Duration
	Retry    []string
	Accept   []string
	Strict   bool
	CacheDir string
	LogDir   string
}

// NewCmd builds `relmig up`.
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Show the plan to a target, or run it with --apply",
		Long: `Without --apply, print the plan to the target and exit: 0, or 3 when the plan
is refused. With --apply: take the database lock (exit 4 naming the holder when
another run has it, unless --wait-lock gives it time to finish), plan under
the lock, check every requirement of every planned migration (environment
variables, reachable addresses, pre checks) and refuse with all failures
listed (exit 3) before anything runs, then run each migration in order,
recording a running record before it starts and its outcome after it ends.
The run stops at the first failure (exit 5). Ctrl-C or SIGTERM stops the
running script, records it as interrupted and releases the lock.`,
		Example: `  relmig up --to v2.0.1
  relmig up --to v2.0.1 --apply
  relmig up --apply --wait-lock 10m --output json
  relmig up --apply --retry preference-centralization/preference-centralization.migration.ts`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmdutil.AddDBFlags(cmd, &opts.DB)
	fl := cmd.Flags()
	fl.StringVar(&opts.To, "to", "", "target version (default: the highest release in the map)")
	fl.BoolVar(&opts.Apply, "apply", false, "run the plan (without it, only print it)")
	fl.DurationVar(&opts.WaitLock, "wait-lock", 0, "wait this long for another run's lock instead of exiting 4")
	fl.DurationVar(&opts.Lease, "lease", history.DefaultLeaseDuration, "lock lease; renewed every third of it while running")
	fl.StringArrayVar(&opts.Retry, "retry", nil, "run this failed or interrupted non-idempotent migration again (after checking the data); repeatable")
	fl.StringArrayVar(&opts.Accept, "accept-changed", nil, "run this migration although its content differs from the map's sha256 (after checking the change); repeatable")
	fl.BoolVar(&opts.Strict, "strict", false, "treat warnings (changed scripts, unknown ids, out-of-order) as refusals")
	fl.StringVar(&opts.CacheDir, "cache-dir", "", "where release checkouts are kept (default: the user cache folder/relmig)")
	fl.StringVar(&opts.LogDir, "log-dir", "", "where each attempt's full output is written (default: CACHE-DIR/logs)")
	return cmd
}

// Result is the JSON document of `up`: the status document, plus what ran.
type Result struct {
	cmdutil.StatusJSON
	DryRun       bool           `json:"dry_run"`
	Applied      []string       `json:"applied"`
	Failed       *string        `json:"failed"`
	Requirements []plan.Finding `json:"requirements"`
	RunID        string         `json:"run_id,omitempty"`
	Results      []ResultJSON   `json:"results"`
}

// ResultJSON is what running one migration did.
type ResultJSON struct {
	ID         string `json:"id"`
	Release    string `json:"release"`
	Status     string `json:"status"`
	DurationMS int64  `json:"duration_ms"`
	ExitCode   *int   `json:"exit_code"`
	Signal     string `json:"signal,omitempty"`
	LogFile    string `json:"log_file,omitempty"`
	Error      string `json:"error,omitempty"`
}

func run(ctx context.Context, opts *Options) error {
	f := opts.F
	m, seq, err := f.LoadMap()
	if err != nil {
		return err
	}
	var target releasemap.Version
	if opts.To != "" {
		if target, err = cmdutil.ParseVersionArg("--to", opts.To, seq.TagPrefix); err != nil {
			return err
		}
	}
	if opts.WaitLock < 0 {
		return cmdutil.Usagef("--wait-lock %s: must not be negative", opts.WaitLock)
	}
	if opts.Lease < minLease || opts.Lease > maxLease {
		return cmdutil.Usagef("--lease %s: must be between %s and %s", opts.Lease, minLease, maxLease)
	}
	for _, id := range opts.Accept {
		if _, ok := seq.Lookup(id); !ok {
			return cmdutil.Usagef("--accept-changed %s: no such migration in the map", id)
		}
	}
	db, err := f.Connect(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer db.Close(ctx)

	u := &up{f: f, opts: opts, m: m, seq: seq, db: db, target: target}
	if !opts.Apply {
		return u.dryRun(ctx)
	}
	return u.apply(ctx)
}

type up struct {
	f      *cmdutil.Factory
	opts   *Options
	m      *releasemap.Map
	seq    *releasemap.Sequence
	db     *cmdutil.DB
	target releasemap.Version
}

func (u *up) dryRun(ctx context.Context) error {
	res, err := cmdutil.PlanFor(ctx, u.db, u.seq, u.target, u.opts.Retry, u.opts.Strict)
	if err != nil {
		return err
	}
	doc := Result{StatusJSON: cmdutil.NewStatusJSON(res), DryRun: true, Applied: []string{}, Results: []ResultJSON{}, Requirements: []plan.Finding{}}
	// Requirements are checked here too, so the dry run tells an operator
	// what --apply would refuse, and exits 3 when it would: a pipeline can
	// gate on the dry run.
	if len(res.Plan) > 0 {
		r, err := u.runner("dry-run", history.Actor{})
		if err != nil {
			return err
		}
		var re *runner.RequirementsError
		if err := r.Check(ctx, res.Plan); errors.As(err, &re) {
			doc.Requirements = re.Failures
		}
	}
	if err := u.render(res, doc); err != nil {
		return err
	}
	if !u.f.JSON() {
		for _, fnd := range doc.Requirements {
			fmt.Fprintf(u.f.IO.ErrOut, "not met: %s (--apply would refuse)\n", fnd)
		}
		if len(res.Plan) > 0 && res.Err() == nil && len(doc.Requirements) == 0 {
			fmt.Fprintln(u.f.IO.ErrOut, "dry run: nothing ran; pass --apply to run the plan")
		}
	}
	err = res.Err()
	if err == nil && len(doc.Requirements) > 0 {
		err = &runner.RequirementsError{Failures: doc.Requirements}
	}
	if err != nil && !u.f.JSON() {
		fmt.Fprintf(u.f.IO.ErrOut, "dry run: --apply would refuse (%s); nothing ran\n", cmdutil.Plural(refusalCount(res, doc), "reason"))
	}
	return refused(err)
}

// refusalCount is how many reasons refuse the plan, requirements included.
func refusalCount(res *plan.Result, doc Result) int {
	return len(res.Refusals) + len(doc.Requirements)
}

func (u *up) apply(ctx context.Context) error {
	f := u.f
	runID := history.NewRunID()
	actor := history.CurrentActor(f.Version)
	locker, err := u.db.Locker(history.Owner{RunID: runID, Host: actor.Host, PID: actor.PID}, history.WithLeaseDuration(u.opts.Lease))
	if err != nil {
		return cmdutil.BadInput(err)
	}
	var lease *history.Lease
	if u.opts.WaitLock > 0 {
		fmt.Fprintf(f.IO.ErrOut, "taking the lock (waiting up to %s)\n", u.opts.WaitLock)
		lease, err = locker.AcquireWait(ctx, u.opts.WaitLock)
	} else {
		lease, err = locker.Acquire(ctx)
	}
	if err != nil {
		return err
	}
	defer func() {
		if err := lease.Release(ctx); err != nil {
			fmt.Fprintf(f.IO.ErrOut, "relmig: release lock: %v\n", err)
		}
	}()
	if sup := lease.Superseded(); sup != nil {
		fmt.Fprintf(f.IO.ErrOut, "took over the expired lock of %s\n", sup.Previous.Owner)
		for _, a := range sup.Interrupted {
			fmt.Fprintf(f.IO.ErrOut, "  %s: its running attempt (started %s) is now recorded as interrupted\n", a.Migration, a.StartedAt.UTC().Format(time.RFC3339))
		}
	}

	res, err := cmdutil.PlanFor(ctx, u.db, u.seq, u.target, u.opts.Retry, u.opts.Strict)
	if err != nil {
		return err
	}
	doc := Result{StatusJSON: cmdutil.NewStatusJSON(res), Applied: []string{}, Results: []ResultJSON{}, Requirements: []plan.Finding{}, RunID: runID}
	if err := res.Err(); err != nil {
		_ = u.render(res, doc)
		if !f.JSON() {
			fmt.Fprintf(f.IO.ErrOut, "refused (%s); nothing ran\n", cmdutil.Plural(len(res.Refusals), "reason"))
		}
		return refused(err)
	}
	if len(res.Plan) == 0 {
		return u.render(res, doc)
	}
	r, err := u.runner(runID, actor)
	if err != nil {
		return err
	}
	var re *runner.RequirementsError
	if err := r.Check(ctx, res.Plan); errors.As(err, &re) {
		doc.Requirements = re.Failures
		doc.Refusals = append(doc.Refusals, re.Failures...)
		if f.JSON() {
			_ = cmdutil.WriteJSON(f.IO.Out, doc)
		} else {
			for _, fnd := range re.Failures {
				fmt.Fprintf(f.IO.ErrOut, "not met: %s\n", fnd)
			}
			fmt.Fprintf(f.IO.ErrOut, "refused (%s not met); nothing ran\n", cmdutil.Plural(len(re.Failures), "requirement"))
		}
		return &cmdutil.SilentError{Code: cmdutil.ExitRefused, Err: err}
	} else if err != nil {
		return err
	}

	fmt.Fprintf(f.IO.ErrOut, "run %s: %s to %s\n", runID, cmdutil.Plural(len(res.Plan), "migration"), res.Target)
	applied, runErr := r.ApplyPlan(ctx, lease, res)
	var pe *runner.PartialError
	results := applied
	if errors.As(runErr, &pe) {
		results = append(results, pe.Failed)
		failed := pe.Failed.ID
		doc.Failed = &failed
	}
	for _, a := range applied {
		doc.Applied = append(doc.Applied, a.ID)
	}
	for _, x := range results {
		rj := ResultJSON{ID: x.ID, Release: x.Release, Status: string(x.Status), DurationMS: x.Duration.Milliseconds(),
			ExitCode: x.ExitCode, Signal: x.Signal, LogFile: x.LogFile}
		if x.Err != nil {
			rj.Error = x.Err.Error()
		}
		doc.Results = append(doc.Results, rj)
	}
	// The document shows the state after the run; reading it may fail when
	// the database went away, which runErr then already explains.
	if after, err := cmdutil.PlanFor(context.WithoutCancel(ctx), u.db, u.seq, u.target, nil, u.opts.Strict); err == nil {
		doc.StatusJSON = cmdutil.NewStatusJSON(after)
	}
	if f.JSON() {
		if err := cmdutil.WriteJSON(f.IO.Out, doc); err != nil {
			return err
		}
	} else {
		writeSummary(f, results, runErr)
	}
	return runErr
}

// refused gives a refused plan exit code 3; the refusals were printed.
func refused(err error) error {
	if err == nil {
		return nil
	}
	return &cmdutil.SilentError{Code: cmdutil.ExitRefused, Err: err}
}

func (u *up) render(res *plan.Result, doc Result) error {
	if u.f.JSON() {
		return cmdutil.WriteJSON(u.f.IO.Out, doc)
	}
	return cmdutil.WriteStatusTable(u.f.IO.Out, u.f.IO.ErrOut, res, false)
}

// runner builds the runner for this map and database.
func (u *up) runner(runID string, actor history.Actor) (*runner.Runner, error) {
	cache := u.opts.CacheDir
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, cmdutil.BadInput(fmt.Errorf("no cache folder: pass --cache-dir (%w)", err))
		}
		cache = filepath.Join(base, "relmig")
	}
	repo, err := filepath.Abs(u.m.RepoRoot())
	if err != nil {
		return nil, fmt.Errorf("repository: %w", err)
	}
	logs := u.opts.LogDir
	if logs == "" {
		logs = filepath.Join(cache, "logs")
	}
	// Checkouts are kept per repository, so two applications never share one.
	sum := sha256.Sum256([]byte(repo))
	checkouts := filepath.Join(cache, "repos", hex.EncodeToString(sum[:6]))
	f := u.f
	return runner.New(u.db.Store, u.db.Database, u.seq, runner.Options{
		URI: u.db.TargetURI, DB: u.db.Database.Name(), Redact: u.db.Secrets,
		RepoRoot: repo, Dir: u.m.Dir, CacheDir: checkouts, LogDir: logs,
		SharedCache: filepath.Join(cache, "shared"), ToolCacheDir: filepath.Join(cache, "tools"), Registry: npmRegistry(f),
		Env: f.Environ(), RunID: runID, Target: u.targetName(), Actor: actor,
		Live: f.IO.ErrOut, Events: progress(f), AcceptChanged: u.opts.Accept, OrphanWait: u.opts.WaitLock,
		Export: func(ctx context.Context, tag, dest string) error {
			return gitscan.ExportTree(ctx, gitscan.ExportOptions{Repo: repo, CacheDir: cache, Tag: tag, Dest: dest})
		},
	})
}

func (u *up) targetName() string {
	if u.target.IsZero() && len(u.seq.Releases) > 0 {
		return u.seq.Releases[len(u.seq.Releases)-1].String()
	}
	return u.target.String()
}

// npmRegistry is where toolchain: auto fetches node and package managers
// from: $RELMIG_NPM_REGISTRY, else npm's own $npm_config_registry, else
// the public registry.
func npmRegistry(f *cmdutil.Factory) string {
	if r := f.Getenv("RELMIG_NPM_REGISTRY"); r != "" {
		return r
	}
	return f.Getenv("npm_config_registry")
}
