package releasemap

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

func (v *validator) files() {
	m := v.m
	dir := m.MigrationsDir()
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() {
		v.ps.add(lineOr(m.lines["dir"], m.lines["repo"]), "migrations folder %s does not exist", dir)
		return
	}
	// With lineage recorded, a script that only a side line carries (a
	// maintenance branch) is legitimately absent from the main line's work
	// tree; it runs from its own release's checkout.
	var sideLine func(id string) bool
	if seq, err := m.Sequence(); err == nil && seq.lineage && len(seq.Releases) > 0 {
		top := seq.Releases[len(seq.Releases)-1]
		sideLine = func(id string) bool {
			e, ok := seq.Lookup(id)
			return ok && !e.Release.IsUnreleased() && !seq.Carries(id, top)
		}
	}
	named := map[string]bool{}
	v.each(func(g *Migration, _ Version, _ int) {
		p, ok := insidePath(g.ScriptPath())
		if !ok || named[p] {
			return // outside, or a duplicate already reported
		}
		named[p] = true
		for _, old := range g.RenamedFrom {
			named[path.Clean(old)] = true
		}
		if g.RemovedIn != "" || sideLine != nil && sideLine(g.ID) {
			return // not in this tree; it runs from its release's checkout
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
			v.ps.add(lineOr(g.lines["path"], g.line), "%s: file %s does not exist", g.ID, path.Join(m.Dir, p))
		}
	})
	self, _ := filepath.Abs(m.file)
	var unnamed []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if abs, err := filepath.Abs(p); err == nil && abs == self {
			return nil // the map itself is never a script
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if m.IsScript(rel) && !named[rel] {
			unnamed = append(unnamed, rel)
		}
		return nil
	})
	for _, u := range unnamed {
		v.ps.add(lineOr(m.lines["dir"], 0), "script %s is in the migrations folder but not in the map (add it, or exclude it)", u)
	}
}
