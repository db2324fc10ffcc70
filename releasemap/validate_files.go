package releasemap

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Folder is the migrations folder as the file checks see it: the work tree
// on disk by default, or a git tree (a bare repository has no work tree;
// package gitscan provides one).
type Folder interface {
	// Files lists every file under the folder (regular files and
	// symlinks), as slash paths relative to it, sorted.
	Files() ([]string, error)
	// Resolve follows symlinks from rel (relative to the folder) and
	// returns where it ends: the path relative to the repository root;
	// inside is false when it leaves the repository (target then names
	// where it went), exists false when nothing is there.
	Resolve(rel string) (target string, exists, inside bool, err error)
}

// diskFolder is the migrations folder of a work tree.
type diskFolder struct {
	root, dir string // the repository root and the folder, on disk
}

// Files lists the folder's files.
func (d diskFolder) Files() ([]string, error) {
	var out []string
	err := filepath.WalkDir(d.dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == d.dir {
				return err
			}
			return nil
		}
		if e.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(d.dir, p)
		if err == nil {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// Resolve follows symlinks with the operating system.
func (d diskFolder) Resolve(rel string) (string, bool, bool, error) {
	p := filepath.Join(d.dir, filepath.FromSlash(rel))
	if _, err := os.Lstat(p); err != nil {
		return "", false, true, nil
	}
	real, err := filepath.EvalSymlinks(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, true, nil // a dangling link
	}
	if err != nil {
		return "", false, false, fmt.Errorf("resolve %s: %w", p, err)
	}
	root, err := filepath.EvalSymlinks(d.root)
	if err != nil {
		return "", false, false, fmt.Errorf("resolve %s: %w", d.root, err)
	}
	r, err := filepath.Rel(root, real)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return real, true, false, nil
	}
	return filepath.ToSlash(r), true, true, nil
}

func (v *validator) files() {
	m := v.m
	folder := v.opts.Folder
	if folder == nil {
		dir := m.MigrationsDir()
		info, err := os.Stat(dir)
		if err != nil || !info.IsDir() {
			v.ps.add(lineOr(m.lines["dir"], m.lines["repo"]), "migrations folder %s does not exist", dir)
			return
		}
		folder = diskFolder{root: m.RepoRoot(), dir: dir}
	}
	list, err := folder.Files()
	if err != nil {
		v.ps.add(lineOr(m.lines["dir"], m.lines["repo"]), "migrations folder %s: %v", m.Dir, err)
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
	resolved := map[string]idLine{} // the file a script ends at → the first that does
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
		line := lineOr(g.lines["path"], g.line)
		target, exists, inside, err := folder.Resolve(p)
		switch {
		case err != nil:
			v.ps.add(line, "%s: %v", g.ID, err)
		case !inside:
			v.ps.add(line, "%s: %s resolves to %s, outside the repository", g.ID, path.Join(m.Dir, p), target)
		case !exists:
			v.ps.add(line, "%s: file %s does not exist", g.ID, path.Join(m.Dir, p))
		default:
			if first, dup := resolved[target]; dup {
				v.ps.add(line, "%s: %s is the same file as %s (line %d): one file is one migration", g.ID, path.Join(m.Dir, p), first.id, first.line)
			} else {
				resolved[target] = idLine{g.ID, g.line}
			}
		}
	})
	self := ""
	if abs, err := filepath.Abs(m.file); err == nil && v.opts.Folder == nil {
		if rel, err := filepath.Rel(m.MigrationsDir(), abs); err == nil {
			self = filepath.ToSlash(rel)
		}
	}
	for _, rel := range list {
		if rel == self {
			continue // the map itself is never a script
		}
		if m.IsScript(rel) && !named[rel] {
			v.ps.add(lineOr(m.lines["dir"], 0), "script %s is in the migrations folder but not in the map (add it, or exclude it)", rel)
		}
	}
}
