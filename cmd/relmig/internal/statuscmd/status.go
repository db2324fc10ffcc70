// Package statuscmd implements `relmig status`.
package statuscmd

import (
	"errors"
	"fmt"

	"github.com/relmig/relmig/internal/table"
	"github.com/relmig/relmig/upgrade"

	"github.com/spf13/cobra"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/plan"
	"github.com/relmig/relmig/releasemap"
)

// Options are the inputs of `status`.
type Options struct {
	F      *cmdutil.Factory
	DB     cmdutil.DBFlags
	To     string
	Strict bool
	All    bool
	// Short prints the one-line tile and exits with a tile code.
	Short bool
}

// NewCmd builds `relmig status`.
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each migration's state in the database, the current release and the plan to a target",
		Long: `Show what the database's history says: each migration's state (applied, pending,
failed, interrupted, running), the database's current release (the highest
release whose migrations are all applied), the plan to the target (default:
the highest release of the map), and any refusals and warnings. Exits 0 also
when the plan would be refused; ` + "`relmig up`" + ` is what refuses.

--short is the schema-version tile for dashboards and pipelines: one line
with the current release, the target, what is pending or refused, and the last
run, and an exit code: 0 up to date, 10 behind (up would run migrations), 11
refused (up would refuse).`,
		Example: `  relmig status
  relmig status --to v2.0.1 --output json
  relmig status --short`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return run(cmd, opts)
		},
	}
	cmdutil.AddDBFlags(cmd, &opts.DB)
	cmd.Flags().StringVar(&opts.To, "to", "", "target version (default: the highest release in the map)")
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "treat warnings as refusals")
	cmd.Flags().BoolVar(&opts.All, "all", false, "also list applied migrations")
	cmd.Flags().BoolVar(&opts.Short, "short", false, "one line (current release, what is pending, the last run) and exit 0 up to date, 10 behind, 11 refused")
	return cmd
}

func run(cmd *cobra.Command, opts *Options) error {
	f := opts.F
	ctx := cmd.Context()
	_, seq, err := f.LoadMap()
	if err != nil {
		return err
	}
	var target releasemap.Version
	if opts.To != "" {
		if target, err = cmdutil.ReleaseArg(seq, "--to", opts.To); err != nil {
			return err
		}
	}
	db, err := f.Connect(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer db.Close(ctx)
	u, err := f.NewUpgrader(db, seq, upgrade.Options{Strict: opts.Strict})
	if err != nil {
		return err
	}
	res, err := u.Plan(ctx, target)
	if err != nil {
		return err
	}
	if opts.Short {
		code := tileCode(res)
		if f.JSON() {
			err = cmdutil.WriteJSON(f.IO.Out, upgrade.NewStatusJSON(res))
		} else {
			_, err = fmt.Fprintln(f.IO.Out, Tile(res))
		}
		if err != nil || code == cmdutil.ExitOK {
			return err
		}
		return &cmdutil.SilentError{Code: code, Err: errors.New(Tile(res))}
	}
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, upgrade.NewStatusJSON(res))
	}
	return upgrade.WriteStatus(f.IO.Out, f.IO.ErrOut, res, opts.All, f.TableWidth())
}

func tileCode(res *plan.Result) cmdutil.ExitCode {
	switch {
	case len(res.Refusals) > 0:
		return cmdutil.ExitTileRefused
	case len(res.Plan) > 0:
		return cmdutil.ExitBehind
	}
	return cmdutil.ExitOK
}

// Tile is the schema-version tile: one line with the database's current
// release, the target and what is pending (or refused), and the last run.
func Tile(res *plan.Result) string {
	current := res.Current.String()
	if current == "" {
		current = "none"
	}
	var state string
	switch {
	case len(res.Refusals) > 0:
		state = fmt.Sprintf("refused (%s): %s", table.Plural(len(res.Refusals), "reason"), res.Refusals[0])
	case len(res.Plan) > 0:
		state = fmt.Sprintf("behind: %s pending, next %s (%s)", table.Plural(len(res.Plan), "migration"),
			res.Plan[0].Migration.ID, res.Plan[0].Release)
	default:
		state = "up to date"
	}
	line := fmt.Sprintf("database at %s, target %s: %s", current, res.Target, state)
	var last *history.Entry
	var lastID string
	for _, m := range res.Migrations {
		if m.Latest != nil && (last == nil || m.Latest.StartedAt.After(last.StartedAt)) {
			last, lastID = m.Latest, m.Migration.ID
		}
	}
	if last == nil {
		return line + "; no runs recorded"
	}
	return fmt.Sprintf("%s; last run %s %s, %s %s", line, cmdutil.ShortRunID(last.RunID),
		last.StartedAt.UTC().Format("2006-01-02 15:04"), lastID, last.Status)
}
