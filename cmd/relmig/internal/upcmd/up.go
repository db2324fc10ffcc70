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
	"github.com/relmig/relmig/internal/table"
	"github.com/relmig/relmig/lock"
	"github.com/relmig/relmig/plan"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/releasemap/gitscan"
	"github.com/relmig/relmig/runner"
	"github.com/relmig/relmig/runner/process"
	"github.com/relmig/relmig/upgrade"
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
	// Ahead prepares later releases' checkouts while earlier scripts run.
	Ahead    bool
	Strict   bool
	CacheDir string
	LogDir   string
	// AheadOK makes a database already past the target a success.
	AheadOK bool
	// Heartbeat is how long a script may be silent before relmig says it
	// still runs (0: the default for stderr, see progress.go).
	Heartbeat time.Duration
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
	fl.DurationVar(&opts.Lease, "lease", lock.DefaultLeaseDuration, "lock lease; renewed every third of it while running")
	fl.StringArrayVar(&opts.Retry, "retry", nil, "run this failed or interrupted non-idempotent migration again (after checking the data); repeatable")
	fl.StringArrayVar(&opts.Accept, "accept-changed", nil, "run this migration although its content differs from the map's sha256 (after checking the change); repeatable")
	fl.BoolVar(&opts.Strict, "strict", false, "treat warnings (changed scripts, unknown ids, out-of-order) as refusals")
	fl.StringVar(&opts.CacheDir, "cache-dir", "", "where release checkouts are kept (default: the user cache folder/relmig)")
	fl.StringVar(&opts.LogDir, "log-dir", "", "where each attempt's full output is written (default: CACHE-DIR/logs)")
	fl.BoolVar(&opts.Ahead, "prepare-ahead", true, "export and set up the next release's checkout in the background while earlier migrations run (one at a time)")
	fl.BoolVar(&opts.AheadOK, "ahead-ok", false, "exit 0, running nothing, when the database already holds more than the target (an older release's replica restarting)")
	addProgressFlags(fl, opts)
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	f := opts.F
	m, seq, err := f.LoadRunnableMap()
	if err != nil {
		return err
	}
	var target releasemap.Version
	if opts.To != "" {
		if target, err = cmdutil.ReleaseArg(seq, "--to", opts.To); err != nil {
			return err
		}
	}
	if opts.WaitLock < 0 {
		return cmdutil.Usagef("--wait-lock %s: must not be negative", opts.WaitLock)
	}
	if opts.Heartbeat < 0 {
		return cmdutil.Usagef("--heartbeat %s: must not be negative", opts.Heartbeat)
	}
	if opts.Lease < minLease || opts.Lease > maxLease {
		return cmdutil.Usagef("--lease %s: must be between %s and %s", opts.Lease, minLease, maxLease)
	}
	for _, id := range opts.Accept {
		if _, ok := seq.Lookup(id); !ok {
			return cmdutil.Usagef("--accept-changed %s: no such migration in the map", id)
		}
	}
	warnExposedURI(f, seq)
	db, err := f.Connect(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer db.Close(ctx)
	// The reporter renders the run's events and its scripts' live output.
	progress := progressReporter(f, opts.Heartbeat)
	ro, err := runnerOptions(f, db, m, opts, progress)
	if err != nil {
		return err
	}
	u, err := f.NewUpgrader(db, seq, upgrade.Options{
		Runner: ro, WaitLock: opts.WaitLock, Retry: opts.Retry, Strict: opts.Strict, AheadOK: opts.AheadOK,
		Events: progress.Upgrade,
	}, lock.WithLeaseDuration(opts.Lease))
	if err != nil {
		return err
	}
	if !opts.Apply {
		rep, err := u.DryRun(ctx, target)
		if rep == nil {
			return err
		}
		return renderDryRun(f, rep, err)
	}
	rep, err := u.Apply(ctx, target)
	progress.Close()
	return renderApply(f, rep, err)
}

// renderDryRun prints the plan and what --apply would refuse; the exit code
// is 3 when it would.
func renderDryRun(f *cmdutil.Factory, rep *upgrade.Report, err error) error {
	if rep.Ahead {
		return reportAhead(f, rep)
	}
	if werr := render(f, rep, rep.Plan); werr != nil {
		return werr
	}
	if !f.JSON() {
		for _, fnd := range rep.Requirements {
			fmt.Fprintf(f.IO.ErrOut, "not met: %s (--apply would refuse)\n", fnd)
		}
		switch {
		case err != nil && errors.Is(err, plan.ErrRefused):
			fmt.Fprintf(f.IO.ErrOut, "dry run: --apply would refuse (%s); nothing ran\n", table.Plural(rep.Refusals(), "reason"))
		case err == nil && len(rep.Plan.Plan) > 0:
			fmt.Fprintln(f.IO.ErrOut, "dry run: nothing ran; pass --apply to run the plan")
		}
	}
	return refused(err)
}

// renderApply prints what an applied upgrade did, as far as it got.
func renderApply(f *cmdutil.Factory, rep *upgrade.Report, err error) error {
	switch {
	case rep.Plan == nil:
		return err // the lock or the first read failed: the error says it all
	case rep.Ahead:
		return errors.Join(reportAhead(f, rep), err)
	case len(rep.Requirements) > 0:
		if f.JSON() {
			_ = cmdutil.WriteJSON(f.IO.Out, rep.JSON())
		} else {
			for _, fnd := range rep.Requirements {
				fmt.Fprintf(f.IO.ErrOut, "not met: %s\n", fnd)
			}
			fmt.Fprintf(f.IO.ErrOut, "refused (%s not met); nothing ran\n", table.Plural(len(rep.Requirements), "requirement"))
		}
		return &cmdutil.SilentError{Code: cmdutil.ExitRefused, Err: err}
	case rep.Plan.Err() != nil:
		_ = render(f, rep, rep.Plan)
		if !f.JSON() {
			fmt.Fprintf(f.IO.ErrOut, "refused (%s); nothing ran\n", table.Plural(len(rep.Plan.Refusals), "reason"))
		}
		return refused(err)
	case len(rep.Plan.Plan) == 0:
		return errors.Join(render(f, rep, rep.Plan), err)
	}
	if f.JSON() {
		if werr := cmdutil.WriteJSON(f.IO.Out, rep.JSON()); werr != nil {
			return errors.Join(err, werr)
		}
		return err
	}
	_ = rep.WriteResults(f.IO.Out)
	if err == nil {
		fmt.Fprintf(f.IO.ErrOut, "done: %s applied\n", table.Plural(len(rep.Applied()), "migration"))
	}
	return err
}

// reportAhead says that the database is beyond the target, for --ahead-ok.
func reportAhead(f *cmdutil.Factory, rep *upgrade.Report) error {
	res := rep.Plan
	if f.JSON() {
		if err := cmdutil.WriteJSON(f.IO.Out, rep.JSON()); err != nil {
			return err
		}
	}
	held := res.Reached.String()
	if !res.Target.Less(res.Reached) {
		held = releasemap.Unreleased // an applied unreleased script
	}
	fmt.Fprintf(f.IO.ErrOut, "database already holds %s, beyond target %s: nothing to do (--ahead-ok)\n", held, res.Target)
	return nil
}

// refused gives a refused plan exit code 3; the refusals were printed.
func refused(err error) error {
	if err == nil {
		return nil
	}
	return &cmdutil.SilentError{Code: cmdutil.ExitRefused, Err: err}
}

// render prints the report's JSON view, or the plan's table view.
func render(f *cmdutil.Factory, rep *upgrade.Report, res *plan.Result) error {
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, rep.JSON())
	}
	return upgrade.WriteStatus(f.IO.Out, f.IO.ErrOut, res, false, f.TableWidth())
}

// runnerOptions are the runner's settings for this map and database: the
// cache of checkouts (one per repository, so two applications never share
// one), the logs, the environment and the streams.
func runnerOptions(f *cmdutil.Factory, db *cmdutil.DB, m *releasemap.Map, opts *Options, progress *reporter) (runner.Options, error) {
	cache := opts.CacheDir
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return runner.Options{}, cmdutil.BadInput(fmt.Errorf("no cache folder: pass --cache-dir (%w)", err))
		}
		cache = filepath.Join(base, "relmig")
	}
	repo, err := filepath.Abs(m.RepoRoot())
	if err != nil {
		return runner.Options{}, fmt.Errorf("repository: %w", err)
	}
	mapDir, err := filepath.Abs(filepath.Dir(m.File()))
	if err != nil {
		return runner.Options{}, fmt.Errorf("map folder: %w", err)
	}
	logs := opts.LogDir
	if logs == "" {
		logs = filepath.Join(cache, "logs")
	}
	sum := sha256.Sum256([]byte(repo))
	beatAfter, beatEvery := progress.intervals()
	return runner.Options{
		HeartbeatAfter: beatAfter, HeartbeatEvery: beatEvery, Live: progress,
		URI: db.TargetURI, DB: db.Database.Name(), Redact: db.Secrets,
		RepoRoot: repo, Dir: m.Dir, CacheDir: filepath.Join(cache, "repos", hex.EncodeToString(sum[:6])), LogDir: logs,
		SharedCache: filepath.Join(cache, "shared"), MapDir: mapDir, ToolCacheDir: filepath.Join(cache, "tools"), Registry: npmRegistry(f),
		Env: f.Environ(), AcceptChanged: opts.Accept, OrphanWait: opts.WaitLock, NoPrepareAhead: !opts.Ahead,
		Export: func(ctx context.Context, tag, dest string) error {
			return gitscan.ExportTree(ctx, gitscan.ExportOptions{Repo: repo, CacheDir: cache, Tag: tag, Dest: dest})
		},
	}, nil
}

// warnExposedURI warns, once per command, about runner commands that put
// {uri} on the command line: `ps` shows arguments, password included, to
// every user of the host, while the environment stays private.
func warnExposedURI(f *cmdutil.Factory, seq *releasemap.Sequence) {
	seen := map[string]bool{}
	for _, e := range seq.Entries {
		s := e.Migration.Effective(seq.Runner)
		if seen[s.Command] || !process.ExposesURI(s.Command, s.Shell) {
			continue
		}
		seen[s.Command] = true
		fmt.Fprintf(f.IO.ErrOut, "warning: the command %q passes {uri} on the command line, where ps shows it to every user of this host; set it in the runner's env instead (env: { MONGO_URL: \"{uri}\" })\n", s.Command)
	}
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
