package cmdutil

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/relmig/relmig/releasemap"
)

// MigrationJSON is a migration as the JSON documents of SPEC §6.1 show it.
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

// Table writes aligned columns; the first row is the header. Trailing
// blanks are trimmed so output diffs cleanly.
type Table struct {
	out io.Writer
	buf bytes.Buffer
	w   *tabwriter.Writer
}

// NewTable starts a table on w.
func NewTable(w io.Writer, header ...string) *Table {
	t := &Table{out: w}
	t.w = tabwriter.NewWriter(&t.buf, 0, 0, 2, ' ', 0)
	if len(header) > 0 {
		t.Row(header...)
	}
	return t
}

// Row adds one row.
func (t *Table) Row(cells ...string) {
	fmt.Fprintln(t.w, strings.Join(cells, "\t"))
}

// Flush writes the table out.
func (t *Table) Flush() error {
	if err := t.w.Flush(); err != nil {
		return err
	}
	lines := strings.SplitAfter(t.buf.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \n")
	}
	text := strings.Join(lines, "\n")
	_, err := io.WriteString(t.out, strings.TrimSuffix(text, "\n")+"\n")
	t.buf.Reset()
	return err
}

// Plural returns "1 migration" or "n migrations".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
