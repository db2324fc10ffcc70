// Package markcmd implements `relmig mark`.
package markcmd

import (
	"fmt"
	"github.com/relmig/relmig/upgrade"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/history"
)

// Options are the inputs of `mark`.
type Options struct {
	F      *cmdutil.Factory
	DB     cmdutil.DBFlags
	ID     string
	As     string
	Reason string
}

// NewCmd builds `relmig mark`.
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "mark ID --as applied|skipped|failed --reason TEXT",
		Short: "Record an operator's decision about one migration",
		Long: `Record an operator's decision about one migration as a new history record; no
record is changed or deleted, and nothing runs.

  --as applied   it was applied outside relmig (recorded as baselined, the
                 reason prefixed "marked applied: ")
  --as skipped   it must never run on this database (counts as applied)
  --as failed    it must not be considered applied; relmig up refuses it
                 until it is marked again or retried with --retry

This is how a refused plan is resolved by hand: a failed or interrupted
attempt whose data was checked, or a migration whose "before" window passed.
Runs under the database lock.`,
		Example: `  relmig mark users/backfill.ts --as applied --reason "finished by hand after the timeout, checked counts"
  relmig mark preference-centralization/preference-centralization.migration.ts --as skipped --reason "window passed; data already in the new shape"`,
		Args: cmdutil.ExactArgs(1, "a migration ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return run(cmd, opts)
		},
	}
	cmdutil.AddDBFlags(cmd, &opts.DB)
	cmd.Flags().StringVar(&opts.As, "as", "", "the decision: applied, skipped or failed (required)")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why (required; recorded)")
	return cmd
}

// Decide validates --as and --reason into the status and reason to record.
// applied becomes baselined, not succeeded: relmig did not run it, and
// the reason's "marked applied: " prefix says it was a person's call.
func (o *Options) Decide() (history.Status, string, error) {
	if o.As == "" {
		return "", "", cmdutil.Usagef("--as is required: applied, skipped or failed")
	}
	var status history.Status
	prefix := ""
	switch o.As {
	case "applied":
		status, prefix = history.Baselined, "marked applied: "
	case "skipped":
		status = history.Skipped
	case "failed":
		status = history.Failed
	default:
		return "", "", cmdutil.BadInput(fmt.Errorf("--as %q: want applied, skipped or failed", o.As))
	}
	reason := strings.TrimSpace(o.Reason)
	if reason == "" {
		return "", "", cmdutil.Usagef("--reason is required: say why %s is marked %s (it is recorded)", o.ID, o.As)
	}
	return status, prefix + reason, nil
}

func run(cmd *cobra.Command, opts *Options) error {
	f := opts.F
	ctx := cmd.Context()
	// Validate everything before connecting: a mistake writes nothing.
	status, reason, err := opts.Decide()
	if err != nil {
		return err
	}
	_, seq, err := f.LoadMap()
	if err != nil {
		return err
	}
	if _, ok := seq.Lookup(opts.ID); !ok {
		return cmdutil.BadInput(fmt.Errorf("%s: no migration with this id in the map %s (ids are paths relative to the migrations folder; see relmig map show)", opts.ID, f.MapFile()))
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
	rec, before, err := u.Mark(ctx, opts.ID, status, reason)
	if err != nil {
		return cmdutil.HeldHint(err)
	}
	was := "no record before"
	if before != nil {
		was = fmt.Sprintf("latest record before: %s at %s", before.Latest.Status, before.Latest.StartedAt.UTC().Format(cmdutil.TimeLayout))
	}
	fmt.Fprintf(f.IO.ErrOut, "marked %s as %s (recorded %s; %s)\n", opts.ID, opts.As, status, was)
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, rec)
	}
	return cmdutil.WriteAttempts(f.IO.Out, []history.Attempt{rec}, f.TableWidth())
}
