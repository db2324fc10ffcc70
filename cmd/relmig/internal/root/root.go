// Package root builds the relmig command tree and maps every outcome to an
// exit code, in one place.
package root

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/relmig/relmig/lock"
	"github.com/relmig/relmig/upgrade"

	"github.com/spf13/cobra"

	"github.com/relmig/relmig/cmd/relmig/internal/baselinecmd"
	"github.com/relmig/relmig/cmd/relmig/internal/betweencmd"
	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/cmd/relmig/internal/historycmd"
	"github.com/relmig/relmig/cmd/relmig/internal/mapcmd"
	"github.com/relmig/relmig/cmd/relmig/internal/markcmd"
	"github.com/relmig/relmig/cmd/relmig/internal/statuscmd"
	"github.com/relmig/relmig/cmd/relmig/internal/unlockcmd"
	"github.com/relmig/relmig/cmd/relmig/internal/upcmd"
	"github.com/relmig/relmig/cmd/relmig/internal/versioncmd"
	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/plan"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/runner"
)

// NewCmd builds the root command and every subcommand.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "relmig",
		Short: "Run an application's loose MongoDB migration scripts in release order, each at most once",
		Long: `relmig ties each migration script of an application to the release that
introduced it (the release map), computes which scripts an upgrade between two
releases must run, runs them in order under a lock, and records every attempt
in the target MongoDB so each script runs at most once.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return f.CheckOutput()
		},
	}
	cmd.PersistentFlags().StringVar(&f.MapPath, "map", "", "release map file (default $RELMIG_MAP, else "+cmdutil.DefaultMapFile+")")
	cmd.PersistentFlags().StringVarP(&f.Output, "output", "o", cmdutil.OutputTable, "output format: table, wide (tables in full, also on a terminal) or json")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.UsageError{Err: err}
	})
	cmd.AddCommand(
		baselinecmd.NewCmd(f, nil),
		betweencmd.NewCmd(f, nil),
		historycmd.NewCmd(f, nil),
		mapcmd.NewCmd(f),
		markcmd.NewCmd(f, nil),
		statuscmd.NewCmd(f, nil),
		unlockcmd.NewCmd(f, nil),
		upcmd.NewCmd(f, nil),
		versioncmd.NewCmd(f),
	)
	// The completion command writes to the streams set when it is built.
	cmd.SetIn(f.IO.In)
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.InitDefaultCompletionCmd()
	guardGroups(cmd)
	return cmd
}

// guardGroups makes every command that only groups subcommands (relmig,
// relmig map, relmig completion) refuse an unknown subcommand with exit 2
// and "did you mean", instead of cobra's default of printing help and
// exiting 0; without arguments it still prints its help.
func guardGroups(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		guardGroups(c)
	}
	if !cmd.HasSubCommands() || cmd.Runnable() {
		return
	}
	cmd.Args = unknownSubcommand
	cmd.RunE = func(c *cobra.Command, args []string) error { return c.Help() }
}

// unknownSubcommand rejects any argument of a grouping command as an
// unknown subcommand, suggesting the nearest ones.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		for i := range s {
			s[i] = strconv.Quote(s[i])
		}
		list := s[len(s)-1]
		if len(s) > 1 {
			list = strings.Join(s[:len(s)-1], ", ") + " or " + list
		}
		msg += "; did you mean " + list + "?"
	} else {
		var names []string
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() {
				names = append(names, c.Name())
			}
		}
		msg += " (want " + strings.Join(names, ", ") + ")"
	}
	return cmdutil.Usagef("%s", msg)
}

// Main runs relmig with args (without the program name) and returns the
// exit code; cmd/relmig's main is os.Exit(int(Main(…))).
func Main(ctx context.Context, args []string, io *cmdutil.IOStreams, getenv func(string) string, version string) cmdutil.ExitCode {
	f := &cmdutil.Factory{IO: io, Getenv: getenv, Environ: os.Environ, Version: versioncmd.Resolve(version)}
	cmd := NewCmd(f)
	cmd.SetArgs(args)
	cmd.SetIn(io.In)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	code := ExitCodeOf(err)
	var silent *cmdutil.SilentError
	if !errors.As(err, &silent) {
		fmt.Fprintln(io.ErrOut, "relmig: "+strings.TrimSpace(err.Error()))
	}
	var ue *cmdutil.UsageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		if c, _, ferr := cmd.Find(args); ferr == nil && c != nil {
			fmt.Fprintf(io.ErrOut, "Run '%s --help' for usage.\n", c.CommandPath())
		}
	}
	return code
}

// ExitCodeOf maps an error to relmig's documented exit codes. It is the
// only place that does.
func ExitCodeOf(err error) cmdutil.ExitCode {
	var silent *cmdutil.SilentError
	if errors.As(err, &silent) {
		return silent.Code
	}
	if code, ok := cmdutil.CodeOf(err); ok {
		return code
	}
	switch {
	case errors.Is(err, cmdutil.ErrUsage), isCobraUsage(err),
		errors.Is(err, releasemap.ErrInvalid), errors.Is(err, releasemap.ErrBadVersion), errors.Is(err, releasemap.ErrBadRange),
		errors.Is(err, upgrade.ErrInvalid):
		return cmdutil.ExitUsage
	case errors.Is(err, context.Canceled):
		return cmdutil.ExitCanceled
	case errors.Is(err, plan.ErrRefused), errors.Is(err, runner.ErrStale):
		return cmdutil.ExitRefused
	case errors.Is(err, lock.ErrHeld), errors.Is(err, lock.ErrLost), errors.Is(err, history.ErrClaimed):
		return cmdutil.ExitLocked
	case errors.Is(err, runner.ErrMigrationFailed), errors.Is(err, runner.ErrNotStarted):
		return cmdutil.ExitFailed
	}
	return cmdutil.ExitError
}

// isCobraUsage recognises the errors cobra itself returns for an unknown
// command, which do not go through the flag error function.
func isCobraUsage(err error) bool {
	return strings.HasPrefix(err.Error(), "unknown command ") || strings.HasPrefix(err.Error(), "unknown flag")
}

// System runs relmig as a process: real streams and environment.
func System(ctx context.Context, version string) cmdutil.ExitCode {
	return Main(ctx, os.Args[1:], cmdutil.System(), os.Getenv, version)
}
