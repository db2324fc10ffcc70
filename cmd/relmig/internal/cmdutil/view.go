package cmdutil

import (
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
