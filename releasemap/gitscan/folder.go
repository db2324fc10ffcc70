package gitscan

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// modeSymlink is a symbolic link's tree entry mode.
const modeSymlink = 0o120000

// maxLinkHops bounds following symlinks, as the kernel does (ELOOP).
const maxLinkHops = 40

// TreeFolder is a migrations folder read from a git tree instead of a work
// tree: what `map check` reads in a bare repository. It implements
// releasemap.Folder.
type TreeFolder struct {
	// Ref and Commit say which tree was read ("refs/heads/main", hex).
	Ref, Commit string

	dir   string
	files map[string]treeEntry // relative to dir
	links map[string]string    // symlink path (relative to the root) → target
	// elsewhere caches lookups of paths outside the folder (link targets).
	elsewhere map[string]*treeEntry
	repo      *repository
	trees     *trees
	root      plumbing.Hash
}

// OpenFolder reads the folder dir (a slash path relative to the repository
// root) at the tip of the default branch of the repository at repoPath
// (see Options.DefaultBranch for branch). The repository is closed when
// OpenFolder returns: the listing and the link targets are read eagerly.
func OpenFolder(ctx context.Context, repoPath, dir, branch string) (*TreeFolder, error) {
	d, err := cleanDir(dir)
	if err != nil {
		return nil, err
	}
	repo, err := openLocal(repoPath)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ref, h, err := repo.defaultBranch(branch)
	if err != nil {
		return nil, err
	}
	if h.IsZero() {
		return nil, fmt.Errorf("%w: the repository has no commits", ErrRefNotFound)
	}
	p, err := repo.peel(h, map[plumbing.Hash]peeledRef{}, nil)
	if err != nil {
		return nil, err
	}
	c, err := repo.readCommit(p.target)
	if err != nil {
		return nil, annotate(err, "", ref.Short())
	}
	var parts []string
	if d != "" {
		parts = strings.Split(d, "/")
	}
	t := newTrees(repo, parts)
	f := &TreeFolder{Ref: ref.String(), Commit: p.target.String(), dir: d, files: map[string]treeEntry{}, links: map[string]string{}, elsewhere: map[string]*treeEntry{},
		repo: repo, trees: t, root: c.tree}
	dirTree, err := t.dirTree(c.tree)
	if err != nil {
		return nil, annotate(err, "", ref.Short())
	}
	if dirTree.IsZero() {
		return nil, &EmptyError{Reason: fmt.Sprintf("%s has no folder %q", ref.Short(), d)}
	}
	if err := f.list(dirTree, ""); err != nil {
		return nil, annotate(err, "", ref.Short())
	}
	// Read every link now, while the repository is open.
	for rel, e := range f.files {
		if e.mode == modeSymlink {
			if _, _, _, err := f.follow(joinPath(d, rel)); err != nil {
				return nil, err
			}
		}
	}
	f.repo, f.trees = nil, nil
	return f, nil
}

func (f *TreeFolder) list(h plumbing.Hash, prefix string) error {
	entries, err := f.trees.entries(h)
	if err != nil {
		return f.trees.annotate(err, prefix)
	}
	for _, e := range entries {
		switch {
		case e.isTree():
			if err := f.list(e.hash, prefix+e.name+"/"); err != nil {
				return err
			}
		case e.isFile():
			f.files[prefix+e.name] = e
		}
	}
	return nil
}

// Files lists the folder's files, sorted.
func (f *TreeFolder) Files() ([]string, error) {
	out := make([]string, 0, len(f.files))
	for p := range f.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// Resolve follows symlinks lexically inside the tree, as a checkout would.
func (f *TreeFolder) Resolve(rel string) (string, bool, bool, error) {
	return f.follow(joinPath(f.dir, rel))
}

// follow resolves p (relative to the repository root) through symlinks.
// While the repository is open it reads link targets and looks paths up;
// afterwards it answers from what it read.
func (f *TreeFolder) follow(p string) (string, bool, bool, error) {
	for hop := 0; hop < maxLinkHops; hop++ {
		e, ok, err := f.lookup(p)
		if err != nil || !ok {
			return p, false, true, err
		}
		if e.mode != modeSymlink {
			return p, true, true, nil
		}
		target, ok := f.links[p]
		if !ok {
			if f.repo == nil {
				return p, false, true, nil
			}
			b, err := f.repo.readRaw(plumbing.BlobObject, e.hash)
			if err != nil {
				return p, false, false, annotate(err, p, "")
			}
			target = string(b)
			f.links[p] = target
		}
		if path.IsAbs(target) {
			return target, true, false, nil
		}
		next := path.Join(path.Dir(p), target)
		if next == ".." || strings.HasPrefix(next, "../") {
			return next, true, false, nil
		}
		p = next
	}
	return p, false, false, fmt.Errorf("%s: too many levels of symbolic links", p)
}

// lookup finds the entry at p (relative to the root): from the folder's
// listing, or, for a path elsewhere, from the root tree.
func (f *TreeFolder) lookup(p string) (treeEntry, bool, error) {
	if rel, ok := strings.CutPrefix(p, f.dir+"/"); ok || f.dir == "" {
		if f.dir == "" {
			rel = p
		}
		e, ok := f.files[rel]
		return e, ok, nil
	}
	if e, ok := f.elsewhere[p]; ok || f.repo == nil {
		if e == nil {
			return treeEntry{}, false, nil
		}
		return *e, true, nil
	}
	e, ok, err := f.lookupRoot(p)
	if err == nil {
		if ok {
			f.elsewhere[p] = &e
		} else {
			f.elsewhere[p] = nil
		}
	}
	return e, ok, err
}

// lookupRoot walks the root tree to p.
func (f *TreeFolder) lookupRoot(p string) (treeEntry, bool, error) {
	h := f.root
	parts := strings.Split(p, "/")
	for i, name := range parts {
		entries, err := f.trees.entries(h)
		if err != nil {
			return treeEntry{}, false, annotate(err, joinPath(parts[:i]...), "")
		}
		found := false
		for _, e := range entries {
			if e.name == name {
				if i == len(parts)-1 {
					if e.isTree() {
						return treeEntry{}, false, nil
					}
					return e, true, nil
				}
				if !e.isTree() {
					return treeEntry{}, false, nil
				}
				h, found = e.hash, true
				break
			}
		}
		if !found {
			return treeEntry{}, false, nil
		}
	}
	return treeEntry{}, false, nil
}
