package mapcmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/internal/table"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/releasemap/gitscan"
	"github.com/relmig/relmig/runner/process"
	"github.com/relmig/relmig/runner/toolchain"
)

// CheckOptions are the inputs of `map check`.
type CheckOptions struct {
	F *cmdutil.Factory
	// NoFiles skips the checks against the repository on disk.
	NoFiles bool
}

// NewCmdCheck builds `relmig map check`.
func NewCmdCheck(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{F: f}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate the release map and report every problem with its line",
		Long: `Validate everything a run would trip on and report all problems at once, each as
file:line: message. Exits 0 when the map is sound, 2 otherwise. In a bare
repository the migrations folder is read from the default branch's tree.`,
		Example: `  relmig map check
  relmig map check --map deploy/releasemap.yaml --output json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runCheck(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.NoFiles, "no-files", false, "skip the checks against the repository on disk (missing and unnamed scripts)")
	return cmd
}

// CheckResult is the JSON document of `map check`.
type CheckResult struct {
	File       string               `json:"file"`
	Valid      bool                 `json:"valid"`
	Releases   int                  `json:"releases"`
	Migrations int                  `json:"migrations"`
	Problems   []releasemap.Problem `json:"problems"`
	// Warnings do not make the map invalid: identical content under two
	// paths in one release.
	Warnings []releasemap.Problem `json:"warnings"`
}

// bareFolder returns the migrations folder read from git when the map's
// repository is a bare one (it has no work tree to read); nil otherwise.
func bareFolder(ctx context.Context, file string) (*gitscan.TreeFolder, error) {
	m, err := releasemap.Load(file)
	if err != nil || isURL(m.Repo) || !isBare(m.RepoRoot()) {
		return nil, nil // problems are reported by the check itself
	}
	folder, err := gitscan.OpenFolder(ctx, m.RepoRoot(), m.Dir, "")
	if err != nil {
		return nil, fmt.Errorf("read the migrations folder from %s: %w", m.RepoRoot(), err)
	}
	return folder, nil
}

func runCheck(ctx context.Context, opts *CheckOptions) error {
	f := opts.F
	file := f.MapFile()
	res := CheckResult{File: file, Problems: []releasemap.Problem{}, Warnings: []releasemap.Problem{}}
	vopts := releasemap.ValidateOptions{Files: !opts.NoFiles, Templates: process.Checker{}, Toolchain: toolchain.Checker{}, Runnable: true}
	if vopts.Files {
		folder, err := bareFolder(ctx, file)
		if err != nil {
			return cmdutil.BadInput(err)
		}
		if folder != nil {
			vopts.Folder = folder
		}
	}
	m, err := releasemap.CheckFile(file, vopts)
	if m != nil {
		for _, d := range m.Duplicates() {
			res.Warnings = append(res.Warnings, d.Problem())
		}
		res.Releases = len(m.Releases)
		res.Migrations = len(m.Unreleased)
		for _, r := range m.Releases {
			res.Migrations += len(r.Migrations)
		}
	}
	var pe *releasemap.ProblemsError
	switch {
	case errors.As(err, &pe):
		res.Problems = pe.Problems
	case err != nil:
		return cmdutil.BadInput(err) // unreadable file
	}
	res.Valid = len(res.Problems) == 0
	for _, w := range res.Warnings {
		fmt.Fprintln(f.IO.ErrOut, w.String())
	}
	if f.JSON() {
		if err := cmdutil.WriteJSON(f.IO.Out, res); err != nil {
			return err
		}
	} else {
		for _, p := range res.Problems {
			fmt.Fprintln(f.IO.Out, p.String())
		}
	}
	if !res.Valid {
		fmt.Fprintf(f.IO.ErrOut, "%s: %s\n", file, table.Plural(len(res.Problems), "problem"))
		return &cmdutil.SilentError{Code: cmdutil.ExitUsage, Err: err}
	}
	fmt.Fprintf(f.IO.ErrOut, "%s: ok (%s, %s)\n", file, table.Plural(res.Releases, "release"), table.Plural(res.Migrations, "migration"))
	return nil
}
