package releasemap

import (
	"fmt"
	"strings"
)

// emptySHA256 is the hash of no bytes: empty placeholder files are alike
// without being one migration twice.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Duplicate is a migration whose content (sha256) equals that of an earlier
// migration of the same release under another path: usually one script
// committed twice, which would run twice.
type Duplicate struct {
	Release string
	// ID is the later migration, First the earlier one with that content.
	ID, First string

	line, firstLine int
	file            string
}

// Message says what is wrong, in one line, after the migration's id.
func (d Duplicate) Message() string {
	return fmt.Sprintf("same content as %s in %s: one script under two paths runs twice (drop one from the map, or `relmig mark` it as skipped)",
		d.First, d.Release)
}

// Problem locates the duplicate in the map file, as a warning.
func (d Duplicate) Problem() Problem {
	return Problem{File: d.file, Line: d.line, Msg: "warning: " + d.ID + ": " + d.Message()}
}

// Duplicates lists the migrations of each release whose content equals an
// earlier one's of the same release. Empty files are not compared.
func (m *Map) Duplicates() []Duplicate {
	var out []Duplicate
	check := func(release string, ms []Migration) {
		first := map[string]*Migration{}
		for i := range ms {
			g := &ms[i]
			sum := strings.ToLower(g.SHA256)
			if sum == "" || sum == emptySHA256 || g.ID == "" {
				continue
			}
			if f, dup := first[sum]; dup {
				out = append(out, Duplicate{Release: release, ID: g.ID, First: f.ID, line: g.line, firstLine: f.line, file: m.file})
				continue
			}
			first[sum] = g
		}
	}
	for i := range m.Releases {
		check(m.Releases[i].Version, m.Releases[i].Migrations)
	}
	check(Unreleased, m.Unreleased)
	return out
}
