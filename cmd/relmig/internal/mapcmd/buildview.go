package mapcmd

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/internal/table"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/releasemap/derive"
	"github.com/relmig/relmig/releasemap/gitscan"
)

// BuildResult is the JSON document of `map build` (SPEC §6.1): the built
// map in map order, with what the build learned. Lists are never null.
type BuildResult struct {
	File    string `json:"file"`
	Written bool   `json:"written"`
	// By is the assignment the map uses: ancestry or date.
	By string `json:"by"`
	// Order is the order inside a release: name or added.
	Order         string             `json:"order"`
	Releases      []BuildReleaseJSON `json:"releases"`
	Unreleased    []BuildMigration   `json:"unreleased"`
	Removed       []RemovedJSON      `json:"removed"`
	Disagreements []DisagreementJSON `json:"disagreements"`
	Warnings      []WarningJSON      `json:"warnings"`
	// New and Changed are ids: new to the map, and released migrations
	// whose derived fields changed.
	New     []string `json:"new"`
	Changed []string `json:"changed"`
	// FormerDirs are the folders history moved the migrations folder
	// from, most recent first; their scripts keep ids and releases.
	FormerDirs []string `json:"former_dirs"`
	// Deselected are ids that left the map because the include and
	// exclude globs no longer select them.
	Deselected []string `json:"deselected"`
	// SkippedTags and Ignored are listed with --verbose only.
	SkippedTags []SkippedTagJSON `json:"skipped_tags,omitempty"`
	Ignored     []string         `json:"ignored,omitempty"`
}

// BuildReleaseJSON is one release of the built map.
type BuildReleaseJSON struct {
	Version    string           `json:"version"`
	Tag        string           `json:"tag"`
	Date       string           `json:"date"`
	Parents    []string         `json:"parents"`
	Migrations []BuildMigration `json:"migrations"`
}

// BuildMigration is a migration as the other commands show it, plus what
// the build derived: first_in, both assignments and every adding commit.
type BuildMigration struct {
	cmdutil.MigrationJSON
	FirstIn    []string  `json:"first_in"`
	ByAncestry string    `json:"by_ancestry,omitempty"`
	ByDate     string    `json:"by_date,omitempty"`
	Adds       []AddJSON `json:"adds"`
}

// AddJSON is one commit that added a script.
type AddJSON struct {
	Commit string `json:"commit"`
	Date   string `json:"date"`
	Path   string `json:"path"`
	// OnDefaultBranch is false for commits only release tags reach (a
	// maintenance line).
	OnDefaultBranch bool   `json:"on_default_branch"`
	Merge           bool   `json:"merge,omitempty"`
	RenamedFrom     string `json:"renamed_from,omitempty"`
	// MovedFrom is the former folder when this commit moved the folder.
	MovedFrom string `json:"moved_from,omitempty"`
}

// RemovedJSON is a migration a later release deleted.
type RemovedJSON struct {
	ID        string `json:"id"`
	RemovedIn string `json:"removed_in"`
}

// DisagreementJSON is a script the two assignments put into different
// releases.
type DisagreementJSON struct {
	ID         string `json:"id"`
	ByAncestry string `json:"by_ancestry"`
	ByDate     string `json:"by_date"`
	// Note names a release the date assignment passed over because it is
	// on another line of history.
	Note string `json:"note,omitempty"`
}

// WarningJSON is something a reviewer must look at.
type WarningJSON struct {
	ID      string `json:"id,omitempty"`
	Release string `json:"release,omitempty"`
	Message string `json:"message"`
}

// SkippedTagJSON is a tag that is not a release, and why.
type SkippedTagJSON struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// NewBuildResult renders a build: the map m, its report and the scan.
func NewBuildResult(file string, written bool, m *releasemap.Map, rep *derive.Report, scan *gitscan.Result, verbose bool) BuildResult {
	res := BuildResult{
		File: file, Written: written, By: string(rep.By), Order: rep.Order,
		Releases: []BuildReleaseJSON{}, Unreleased: []BuildMigration{}, Removed: []RemovedJSON{},
		Disagreements: []DisagreementJSON{}, Warnings: []WarningJSON{},
		New: nonNil(rep.New), Changed: nonNil(rep.Changed), Deselected: nonNil(rep.Deselected),
		FormerDirs: nonNil(scan.FormerDirs),
	}
	scripts := make(map[string]*derive.Script, len(rep.Scripts))
	for i := range rep.Scripts {
		scripts[rep.Scripts[i].ID] = &rep.Scripts[i]
	}
	migration := func(g *releasemap.Migration, rel string) BuildMigration {
		b := BuildMigration{MigrationJSON: cmdutil.NewMigrationJSON(g, rel, m.Runner), FirstIn: nonNil(g.FirstIn), Adds: []AddJSON{}}
		if s := scripts[g.ID]; s != nil {
			b.ByAncestry, b.ByDate = s.ByAncestry, s.ByDate
			for _, a := range s.Adds {
				b.Adds = append(b.Adds, AddJSON{Commit: a.Commit, Date: a.Date.UTC().Format(time.RFC3339), Path: a.Path,
					OnDefaultBranch: a.OnDefaultBranch, Merge: a.Merge, RenamedFrom: a.RenamedFrom, MovedFrom: a.MovedFrom})
			}
		}
		return b
	}
	for i := range m.Releases {
		r := &m.Releases[i]
		jr := BuildReleaseJSON{Version: r.Version, Tag: r.Tag, Date: r.Date, Parents: nonNil(r.Parents), Migrations: []BuildMigration{}}
		for j := range r.Migrations {
			jr.Migrations = append(jr.Migrations, migration(&r.Migrations[j], r.Version))
		}
		res.Releases = append(res.Releases, jr)
	}
	for j := range m.Unreleased {
		res.Unreleased = append(res.Unreleased, migration(&m.Unreleased[j], releasemap.Unreleased))
	}
	for _, r := range rep.Removed {
		res.Removed = append(res.Removed, RemovedJSON{ID: r.ID, RemovedIn: r.RemovedIn})
	}
	for _, d := range rep.Disagreements {
		res.Disagreements = append(res.Disagreements, DisagreementJSON{ID: d.ID, ByAncestry: d.ByAncestry, ByDate: d.ByDate, Note: d.Note})
	}
	for _, w := range rep.Warnings {
		res.Warnings = append(res.Warnings, WarningJSON{ID: w.ID, Release: w.Release, Message: w.Message})
	}
	if verbose {
		res.SkippedTags = []SkippedTagJSON{}
		for _, s := range scan.Skipped {
			res.SkippedTags = append(res.SkippedTags, SkippedTagJSON{Name: s.Name, Reason: s.Reason})
		}
		res.Ignored = nonNil(rep.Ignored)
	}
	return res
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// summarise writes the human part of the result to w (stderr): one summary
// line, then every disagreement and warning, then (verbose) skipped tags,
// ignored scripts and scripts added more than once.
func (res BuildResult) summarise(w io.Writer, rep *derive.Report, verbose bool) error {
	migrations := len(res.Unreleased)
	for _, r := range res.Releases {
		migrations += len(r.Migrations)
	}
	head := res.File + " not written (--write saves it)"
	if res.Written {
		head = "wrote " + res.File
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s, %s (%d unreleased, %d removed), %d new, %d changed, by %s\n",
		head, table.Plural(len(res.Releases), "release"), table.Plural(migrations, "migration"),
		len(res.Unreleased), len(res.Removed), len(res.New), len(res.Changed), res.By)
	for _, d := range res.Disagreements {
		note := ""
		if d.Note != "" {
			note = "; by date on its own line: " + d.Note
		}
		fmt.Fprintf(&b, "disagreement: %s: %s by ancestry, %s by date (the map uses %s%s)\n", d.ID, d.ByAncestry, d.ByDate, res.By, note)
	}
	for _, d := range res.FormerDirs {
		fmt.Fprintf(&b, "moved: the folder was %s before; its scripts keep their ids and releases\n", d)
	}
	if rep.OrderDetected {
		why := "file names carry no order"
		if rep.Order == releasemap.OrderName {
			why = "file names carry a number or timestamp"
		}
		fmt.Fprintf(&b, "order: %s inside each release (detected: %s; set order in the map to change it)\n", rep.Order, why)
	}
	if rep.Runner != "" {
		fmt.Fprintf(&b, "inferred %s: review it before the first up --apply (the map marks it)\n", rep.Runner)
	}
	if rep.NoRunner != "" {
		fmt.Fprintf(&b, "warning: no runner command: none can be inferred for %s; set runner.command (map check refuses a map without one)\n", rep.NoRunner)
	}
	for _, id := range res.Deselected {
		fmt.Fprintf(&b, "left the map: %s: include/exclude no longer select it (a database that ran it keeps its record)\n", id)
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	if verbose {
		for _, s := range res.SkippedTags {
			fmt.Fprintf(&b, "skipped tag %s: %s\n", s.Name, s.Reason)
		}
		for _, p := range res.Ignored {
			fmt.Fprintf(&b, "ignored %s: no release and not the default branch carries it\n", p)
		}
		for _, s := range rep.Scripts {
			if len(s.Adds) < 2 {
				continue
			}
			adds := make([]string, len(s.Adds))
			for i, a := range s.Adds {
				adds[i] = fmt.Sprintf("%.12s (%s", a.Commit, a.Date.UTC().Format(time.DateOnly))
				if !a.OnDefaultBranch {
					adds[i] += ", release tags only"
				}
				if a.RenamedFrom != "" {
					adds[i] += ", renamed from " + a.RenamedFrom
				}
				adds[i] += ")"
			}
			fmt.Fprintf(&b, "added %d times: %s: %s\n", len(s.Adds), s.ID, strings.Join(adds, ", "))
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}
