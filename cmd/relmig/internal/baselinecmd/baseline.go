// Package baselinecmd implements `relmig baseline`.
package baselinecmd

import (
	"fmt"
	"strings"

	"github.com/relmig/relmig/internal/table"
	"github.com/relmig/relmig/upgrade"

	"github.com/spf13/cobra"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/releasemap"
)

// Options are the inputs of `baseline`.
type Options struct {
	F       *cmdutil.Factory
	DB      cmdutil.DBFlags
	Version string
	Reason  string
}

// NewCmd builds `relmig baseline`.
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "baseline VERSION --reason TEXT",
		Short: "Adopt a database migrated by hand: record every migration up to VERSION as baselined",
		Long: `Adopt a database whose migrations were run by hand before relmig: record every
migration that the application at VERSION carries, and that has no record yet,
as baselined, without running anything. Migrations that already have a record
keep it; a failed or interrupted one stays so and is named (resolve it with
relmig mark). VERSION must be a release of the map (or unreleased). Runs under
the database lock; running it again records nothing new.`,
		Example: `  relmig baseline v0.18.0 --reason "migrated by hand up to v0.18.0 (ops ticket 4711)"`,
		Args:    cmdutil.ExactArgs(1, "VERSION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Version = args[0]
			if runF != nil {
				return runF(opts)
			}
			return run(cmd, opts)
		},
	}
	cmdutil.AddDBFlags(cmd, &opts.DB)
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why the database is adopted at VERSION (required; recorded with every record)")
	return cmd
}

func run(cmd *cobra.Command, opts *Options) error {
	f := opts.F
	ctx := cmd.Context()
	// Everything that can be wrong with the input is checked before
	// connecting, so that a mistake writes nothing.
	reason := strings.TrimSpace(opts.Reason)
	if reason == "" {
		return cmdutil.Usagef("--reason is required: say why the database is adopted at %s (it is recorded with every record)", opts.Version)
	}
	_, seq, err := f.LoadMap()
	if err != nil {
		return err
	}
	version, err := cmdutil.ReleaseArg(seq, "VERSION", opts.Version)
	if err != nil {
		return err
	}
	db, err := f.Connect(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer db.Close(ctx)
	u, err := f.NewUpgrader(db, seq, upgrade.Options{Events: cmdutil.LockEvents(f.IO.ErrOut)})
	if err != nil {
		return err
	}
	rep, err := u.Baseline(ctx, version, reason)
	if err != nil {
		return cmdutil.HeldHint(err)
	}
	for _, n := range rep.NotApplied {
		fmt.Fprintf(f.IO.ErrOut, "warning: not baselined, it already has a record: %s (latest record %s); resolve it with relmig mark\n", n.ID, n.Latest)
	}
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, rep)
	}
	return writeTable(f, seq, rep)
}

func writeTable(f *cmdutil.Factory, seq *releasemap.Sequence, rep *upgrade.BaselineReport) error {
	if len(rep.Baselined) == 0 {
		fmt.Fprintf(f.IO.ErrOut, "nothing to baseline: all %s up to %s already have a record\n",
			table.Plural(len(rep.AlreadyRecorded), "migration"), rep.Version)
		return nil
	}
	t := table.New(f.IO.Out, "RELEASE", "MIGRATION")
	for _, id := range rep.Baselined {
		e, _ := seq.Lookup(id)
		t.Row(e.Release.String(), id)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "baselined %s up to %s (run %s); %d already had a record\n",
		table.Plural(len(rep.Baselined), "migration"), rep.Version, rep.RunID, len(rep.AlreadyRecorded))
	return nil
}
