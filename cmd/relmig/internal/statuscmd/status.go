// Package statuscmd implements `relmig status`.
package statuscmd

import (
	"github.com/spf13/cobra"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/releasemap"
)

// Options are the inputs of `status`.
type Options struct {
	F      *cmdutil.Factory
	DB     cmdutil.DBFlags
	To     string
	Strict bool
	All    bool
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
when the plan would be refused; ` + "`relmig up`" + ` is what refuses.`,
		Example: `  relmig status
  relmig status --to v2.0.1 --output json`,
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
	res, err := cmdutil.PlanFor(ctx, db, seq, target, nil, opts.Strict)
	if err != nil {
		return err
	}
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, cmdutil.NewStatusJSON(res))
	}
	return cmdutil.WriteStatusTable(f.IO.Out, f.IO.ErrOut, res, opts.All, f.TableWidth())
}
