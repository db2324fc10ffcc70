package cmdutil

import (
	"io"

	"github.com/relmig/relmig/internal/table"
	"github.com/relmig/relmig/releasemap"
)

// MigrationJSON is a migration as the JSON documents show it (README: JSON documents).
// Lists are never null so consumers need no nil checks.
type MigrationJSON struct {
	ID          string       `json:"id"`
	Release     string       `json:"release"`
	Path        string       `json:"path"`
	Description string       `json:"description,omitempty"`
	After       []string     `json:"after"`
	Before      string       `json:"before"`
	Requires    RequiresJSON `json:"requires"`
	Idempotent  bool         `json:"idempotent"`
	Notes       []string     `json:"notes"`
	// Via is the release through which a back-ported migration reaches
	// the target's line (see `between`).
	Via         string   `json:"via,omitempty"`
	Commit      string   `json:"commit,omitempty"`
	Added       string   `json:"added,omitempty"`
	SHA256      string   `json:"sha256,omitempty"`
	RemovedIn   string   `json:"removed_in,omitempty"`
	RenamedFrom []string `json:"renamed_from,omitempty"`
}

// RequiresJSON is a migration's requirements in JSON.
type RequiresJSON struct {
	Env       []string `json:"env"`
	Reachable []string `json:"reachable"`
}

// NewMigrationJSON renders one migration of release rel.
func NewMigrationJSON(g *releasemap.Migration, rel string, defaults releasemap.Runner) MigrationJSON {
	return MigrationJSON{
		ID:          g.ID,
		Release:     rel,
		Path:        g.ScriptPath(),
		Description: g.Description,
		After:       nonNil(g.After),
		Before:      g.Before,
		Requires:    RequiresJSON{Env: nonNil(g.Requires.Env), Reachable: nonNil(g.Requires.Reachable)},
		Idempotent:  g.Idempotent,
		Notes:       nonNil(g.Notes(defaults)),
		Commit:      g.Commit,
		Added:       g.Added,
		SHA256:      g.SHA256,
		RemovedIn:   g.RemovedIn,
		RenamedFrom: g.RenamedFrom,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Table is the commands' text table (package internal/table).
type Table = table.Table

// Shrink says how a table column may be shortened (see table.Shrink).
type Shrink = table.Shrink

// Keep never shortens a column.
var Keep = table.Keep

// NewTable starts a table on w.
func NewTable(w io.Writer, header ...string) *Table { return table.New(w, header...) }

// CutEnd cuts the end off cells, down to min runes.
func CutEnd(min int) Shrink { return table.CutEnd(min) }

// CutMiddle cuts out the middle of cells, down to min runes.
func CutMiddle(min int) Shrink { return table.CutMiddle(min) }

// MiddleTruncate cuts s to n runes by replacing its middle with an ellipsis.
func MiddleTruncate(s string, n int) string { return table.MiddleTruncate(s, n) }

// Plural returns "1 migration" or "n migrations".
func Plural(n int, word string) string { return table.Plural(n, word) }
