// Package betweencmd implements `relmig between FROM TO`.
package betweencmd

import (
	"fmt"
	"strings"

	"github.com/relmig/relmig/internal/table"
	"github.com/relmig/relmig/upgrade"

	"github.com/spf13/cobra"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/releasemap"
)

// Options are the inputs of `between`.
type Options struct {
	F        *cmdutil.Factory
	From, To string
}

// NewCmd builds the command; runF replaces the run in tests of flag parsing.
func NewCmd(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	return &cobra.Command{
		Use:   "between FROM TO",
		Short: "List the migrations an upgrade from FROM to TO must run, in order",
		Long: `List the migrations an upgrade from FROM to TO must run: those whose release R
satisfies FROM < R <= TO, in run order. FROM and TO must be releases of the
map (a typo is refused, naming the nearest releases); TO may be "unreleased". Scripts that only a side line of history carries (a
maintenance branch the target does not descend from) are left out, and listed
as such on stderr. Needs no database.`,
		Example: `  relmig between v0.18.0 v2.0.1
  relmig between v2.0.0 unreleased --output json`,
		Args: cmdutil.ExactArgs(2, "FROM and TO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.From, opts.To = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
}

// Result is the JSON document of `between` (README: JSON documents).
type Result struct {
	From       string                  `json:"from"`
	To         string                  `json:"to"`
	Migrations []cmdutil.MigrationJSON `json:"migrations"`
	LeftOut    []upgrade.LeftOutJSON   `json:"left_out"`
}

func run(opts *Options) error {
	f := opts.F
	m, seq, err := f.LoadMap()
	if err != nil {
		return err
	}
	from, err := cmdutil.FromArg(seq, "FROM", opts.From)
	if err != nil {
		return err
	}
	to, err := cmdutil.ReleaseArg(seq, "TO", opts.To)
	if err != nil {
		return err
	}
	rg, err := seq.Between(from, to)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	res := Result{From: opts.From, To: opts.To, Migrations: []cmdutil.MigrationJSON{}, LeftOut: []upgrade.LeftOutJSON{}}
	for _, e := range rg.Entries {
		j := cmdutil.NewMigrationJSON(e.Migration, e.Release.String(), m.Runner)
		if !e.Via.IsZero() {
			j.Via = e.Via.String()
		}
		res.Migrations = append(res.Migrations, j)
	}
	for _, l := range rg.LeftOut {
		res.LeftOut = append(res.LeftOut, upgrade.LeftOutJSON{ID: l.ID, Release: l.Release.String(), Reason: l.Reason})
	}
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, res)
	}
	return render(f, res, rg)
}

func render(f *cmdutil.Factory, res Result, rg *releasemap.Range) error {
	io := f.IO
	fmt.Fprintf(io.ErrOut, "%s from %s (exclusive) to %s (inclusive)\n", table.Plural(len(res.Migrations), "migration"), res.From, res.To)
	if len(res.Migrations) > 0 {
		t := table.New(io.Out, "#", "RELEASE", "MIGRATION", "NOTES")
		t.Fit(f.TableWidth(), table.Keep, table.Keep, table.CutMiddle(24), table.CutEnd(24))
		for i, g := range res.Migrations {
			notes := g.Notes
			if g.Via != "" {
				notes = append([]string{"back-ported: reaches " + res.To + " through " + g.Via}, notes...)
			}
			t.Row(fmt.Sprint(i+1), g.Release, g.ID, strings.Join(notes, "; "))
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	for _, l := range rg.LeftOut {
		fmt.Fprintf(io.ErrOut, "left out %s (%s): %s\n", l.ID, l.Release, l.Reason)
	}
	return nil
}
