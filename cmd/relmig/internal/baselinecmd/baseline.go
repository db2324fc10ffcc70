// Package baselinecmd implements `relmig baseline`.
package baselinecmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/history"
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

// Report is what baseline did; the `--output json` document.
type Report struct {
	Version         string   `json:"version"`
	RunID           string   `json:"run_id"`
	Baselined       []string `json:"baselined"`
	AlreadyRecorded []string `json:"already_recorded"`
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
	entries := seq.UpTo(version).Entries
	db, err := f.Connect(ctx, opts.DB)
	if err != nil {
		return err
	}
	defer db.Close(ctx)

	rep := Report{Version: version.String(), RunID: history.NewRunID(), Baselined: []string{}, AlreadyRecorded: []string{}}
	var notApplied []string
	err = cmdutil.RunLocked(ctx, db, f.IO.ErrOut, rep.RunID, func(ctx context.Context) error {
		// Read under the lock: no other run can add a record between this
		// read and the write below.
		sums, err := db.Store.Latest(ctx)
		if err != nil {
			return fmt.Errorf("read history: %w", err)
		}
		by := history.CurrentActor(f.Version)
		var records []history.Attempt
		for _, e := range entries {
			id := e.Migration.ID
			if s, ok := sums[id]; ok && s.Attempts > 0 {
				rep.AlreadyRecorded = append(rep.AlreadyRecorded, id)
				if !s.Latest.Status.Applied() {
					notApplied = append(notApplied, fmt.Sprintf("%s (latest record %s)", id, s.Latest.Status))
				}
				continue
			}
			records = append(records, history.Attempt{
				Migration: id, Release: e.Release.String(), Status: history.Baselined,
				RunID: rep.RunID, Target: version.String(), SHA256: e.Migration.SHA256,
				Reason: reason, By: by,
			})
		}
		if len(records) == 0 {
			return nil
		}
		if _, err := db.Store.Record(ctx, records...); err != nil {
			return fmt.Errorf("baseline %s: %w", version, err)
		}
		for _, r := range records {
			rep.Baselined = append(rep.Baselined, r.Migration)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, n := range notApplied {
		fmt.Fprintf(f.IO.ErrOut, "warning: not baselined, it already has a record: %s; resolve it with relmig mark\n", n)
	}
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, rep)
	}
	return writeTable(f, seq, rep)
}

func writeTable(f *cmdutil.Factory, seq *releasemap.Sequence, rep Report) error {
	if len(rep.Baselined) == 0 {
		fmt.Fprintf(f.IO.ErrOut, "nothing to baseline: all %s up to %s already have a record\n",
			cmdutil.Plural(len(rep.AlreadyRecorded), "migration"), rep.Version)
		return nil
	}
	t := cmdutil.NewTable(f.IO.Out, "RELEASE", "MIGRATION")
	for _, id := range rep.Baselined {
		e, _ := seq.Lookup(id)
		t.Row(e.Release.String(), id)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "baselined %s up to %s (run %s); %d already had a record\n",
		cmdutil.Plural(len(rep.Baselined), "migration"), rep.Version, rep.RunID, len(rep.AlreadyRecorded))
	return nil
}
