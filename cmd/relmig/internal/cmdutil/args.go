package cmdutil

import "github.com/spf13/cobra"

// ExactArgs is cobra.ExactArgs with a message that names the arguments and
// an error that exits with ExitUsage.
func ExactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return Usagef("%s needs %s (got %d arguments)", cmd.CommandPath(), names, len(args))
		}
		return nil
	}
}

// NoArgs rejects positional arguments with an error that exits with
// ExitUsage.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return Usagef("%s takes no arguments (got %q)", cmd.CommandPath(), args[0])
	}
	return nil
}
