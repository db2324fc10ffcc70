// Package mapcmd implements `relmig map`: check, show (and build).
package mapcmd

import (
	"github.com/spf13/cobra"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
)

// NewCmd builds `relmig map` and its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "map",
		Short: "Build, check and show the release map",
		Args:  cmdutil.NoArgs,
	}
	cmd.AddCommand(NewCmdBuild(f, nil), NewCmdCheck(f, nil), NewCmdShow(f, nil))
	return cmd
}
