package mapcmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/internal/table"
	"github.com/relmig/relmig/releasemap"
)

// ShowOptions are the inputs of `map show`.
type ShowOptions struct {
	F *cmdutil.Factory
}

// NewCmdShow builds `relmig map show`.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{F: f}
	return &cobra.Command{
		Use:   "show",
		Short: "Show releases and their migrations in run order",
		Example: `  relmig map show
  relmig map show --output json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runShow(opts)
		},
	}
}

// ShowResult is the JSON document of `map show`: the map in run order.
type ShowResult struct {
	Releases   []ReleaseJSON           `json:"releases"`
	Unreleased []cmdutil.MigrationJSON `json:"unreleased"`
}

// ReleaseJSON is one release and its migrations in run order.
type ReleaseJSON struct {
	Version    string                  `json:"version"`
	Tag        string                  `json:"tag,omitempty"`
	Date       string                  `json:"date,omitempty"`
	Parents    []string                `json:"parents,omitempty"`
	Migrations []cmdutil.MigrationJSON `json:"migrations"`
}

// NewShowResult renders a map in run order.
func NewShowResult(m *releasemap.Map, seq *releasemap.Sequence) ShowResult {
	res := ShowResult{Releases: []ReleaseJSON{}, Unreleased: []cmdutil.MigrationJSON{}}
	byVersion := map[string]*releasemap.Release{}
	for i := range m.Releases {
		byVersion[m.Releases[i].Version] = &m.Releases[i]
	}
	index := map[string]int{}
	for _, v := range seq.Releases {
		r := byVersion[v.String()]
		index[v.String()] = len(res.Releases)
		res.Releases = append(res.Releases, ReleaseJSON{Version: r.Version, Tag: r.Tag, Date: r.Date, Parents: r.Parents, Migrations: []cmdutil.MigrationJSON{}})
	}
	for _, e := range seq.Entries {
		j := cmdutil.NewMigrationJSON(e.Migration, e.Release.String(), m.Runner)
		if e.Release.IsUnreleased() {
			res.Unreleased = append(res.Unreleased, j)
			continue
		}
		r := &res.Releases[index[e.Release.String()]]
		r.Migrations = append(r.Migrations, j)
	}
	return res
}

func runShow(opts *ShowOptions) error {
	f := opts.F
	m, seq, err := f.LoadMap()
	if err != nil {
		return err
	}
	res := NewShowResult(m, seq)
	if f.JSON() {
		return cmdutil.WriteJSON(f.IO.Out, res)
	}
	out := f.IO.Out
	total := len(res.Unreleased)
	for _, r := range res.Releases {
		total += len(r.Migrations)
		var about []string
		if r.Tag != "" && r.Tag != r.Version {
			about = append(about, "tag "+r.Tag)
		}
		if r.Date != "" {
			about = append(about, r.Date)
		}
		if len(r.Parents) > 0 {
			about = append(about, "after "+strings.Join(r.Parents, ", "))
		}
		header := r.Version
		if len(about) > 0 {
			header += "  (" + strings.Join(about, ", ") + ")"
		}
		fmt.Fprintln(out, header)
		if err := showMigrations(out, r.Migrations); err != nil {
			return err
		}
	}
	if len(res.Unreleased) > 0 {
		fmt.Fprintln(out, releasemap.Unreleased)
		if err := showMigrations(out, res.Unreleased); err != nil {
			return err
		}
	}
	fmt.Fprintf(f.IO.ErrOut, "%s, %s\n", table.Plural(len(res.Releases), "release"), table.Plural(total, "migration"))
	return nil
}

func showMigrations(out interface{ Write([]byte) (int, error) }, ms []cmdutil.MigrationJSON) error {
	if len(ms) == 0 {
		fmt.Fprintln(out, "  (no migrations)")
		return nil
	}
	t := table.New(out)
	for _, g := range ms {
		var cells []string
		if g.Description != "" {
			cells = append(cells, g.Description)
		}
		if len(g.Notes) > 0 {
			cells = append(cells, "· "+strings.Join(g.Notes, "; "))
		}
		t.Row("  "+g.ID, strings.Join(cells, "  "))
	}
	return t.Flush()
}
