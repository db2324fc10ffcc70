// Package versioncmd implements `relmig version`.
package versioncmd

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
)

// NewCmd builds `relmig version`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print relmig's version",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.JSON() {
				return cmdutil.WriteJSON(f.IO.Out, map[string]string{"version": f.Version})
			}
			_, err := fmt.Fprintln(f.IO.Out, "relmig", f.Version)
			return err
		},
	}
}

// Resolve returns the version stamped at link time (-X main.version=…), or
// else what the Go toolchain recorded: the module version for `go install`,
// the VCS revision for a local build.
func Resolve(linked string) string {
	if linked != "" {
		return linked
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "dev-" + rev
}
