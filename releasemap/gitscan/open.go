package gitscan

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	commitgraph "github.com/go-git/go-git/v5/plumbing/format/commitgraph/v2"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// objectCacheSize bounds go-git's object LRU, which also serves as the
// delta-base cache when reading packs: big enough that walking consecutive
// commits rarely re-inflates a base, small enough for the memory bar.
const objectCacheSize = 48 * cache.MiByte

// repository is an opened repository: its object and reference storage, the
// commit-graph when it has one, and what identifies it for the walk cache.
type repository struct {
	st    *filesystem.Storage
	fs    billy.Filesystem // the .git folder (common folder merged in for worktrees)
	graph commitgraph.Index
	// id identifies the object database on this machine (the real path of
	// the common .git folder), so worktrees of one repository share a cache.
	id string
	// remote is true for a URL clone in the cache: its default branch is
	// the remote's, under refs/remotes/origin/.
	remote bool
	// root is the repository's folder, as errors name it; partial is true
	// for a partial clone (objects may be missing on purpose).
	root    string
	partial bool
	// packs are the pack indexes (shared by the readers of one scan, closed
	// by the repository that opened them); pr reads from them.
	packs     *packSet
	ownsPacks bool
	pr        *packReader
}

// openLocal opens the repository that contains path: a work tree (or a
// folder inside one), a worktree, or a bare repository.
func openLocal(path string) (*repository, error) {
	root, err := findRepositoryRoot(path)
	if err != nil {
		return nil, err
	}
	r, err := git.PlainOpenWithOptions(root, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return nil, fmt.Errorf("%w: %s", ErrNotRepository, path)
		}
		return nil, fmt.Errorf("open repository %s: %w", root, err)
	}
	fsStorage, ok := r.Storer.(*filesystem.Storage)
	if !ok {
		return nil, fmt.Errorf("open repository %s: unexpected storage %T", root, r.Storer)
	}
	fs := fsStorage.Filesystem()
	// Reopen the same folder with descriptors kept open and a larger object
	// cache: go-git's default reopens the pack for every object it reads.
	st := filesystem.NewStorageWithOptions(fs, cache.NewObjectLRU(objectCacheSize),
		filesystem.Options{KeepDescriptors: true})
	repo := &repository{st: st, fs: fs, id: repositoryID(root), root: root, packs: openPacks(fs), ownsPacks: true}
	repo.pr = newPackReader(repo.packs)
	if err := repo.checkComplete(); err != nil {
		_ = repo.Close()
		return nil, err
	}
	// The commit-graph is optional: without it, parents and root trees come
	// from the commit objects.
	if g, err := commitgraph.OpenChainOrFileIndex(fs); err == nil {
		repo.graph = g
	}
	return repo, nil
}

// Close releases the pack and commit-graph descriptors.
func (r *repository) Close() error {
	var errs []error
	if r.graph != nil {
		errs = append(errs, r.graph.Close())
	}
	errs = append(errs, r.st.Close())
	if r.ownsPacks {
		errs = append(errs, r.packs.Close())
	}
	return errors.Join(errs...)
}

// findRepositoryRoot walks up from path to the folder that holds .git, or to
// a bare repository. go-git's own detection walks past a bare repository to
// the file system root, so bare layouts are recognised here.
func findRepositoryRoot(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrNotRepository, path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrNotRepository, path, err)
	}
	if !fi.IsDir() {
		abs = filepath.Dir(abs)
	}
	for dir := abs; ; {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return dir, nil
		}
		if isBareRepository(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w: %s", ErrNotRepository, path)
		}
		dir = parent
	}
}

// isBareRepository reports whether dir has the layout of a git folder.
func isBareRepository(dir string) bool {
	head, err := os.Stat(filepath.Join(dir, "HEAD"))
	if err != nil || head.IsDir() {
		return false
	}
	for _, sub := range []string{"objects", "refs"} {
		fi, err := os.Stat(filepath.Join(dir, sub))
		if err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// repositoryID returns the real path of the common git folder of the
// repository rooted at root; any stable string would do, since cached facts
// are keyed by object hashes and never go stale.
func repositoryID(root string) string {
	gitDir := filepath.Join(root, ".git")
	if fi, err := os.Stat(gitDir); err != nil {
		gitDir = root // bare
	} else if !fi.IsDir() {
		if b, err := os.ReadFile(gitDir); err == nil {
			line := strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
			if d, ok := strings.CutPrefix(line, "gitdir: "); ok {
				if !filepath.IsAbs(d) {
					d = filepath.Join(root, d)
				}
				gitDir = d
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		d := strings.TrimSpace(string(b))
		if !filepath.IsAbs(d) {
			d = filepath.Join(gitDir, d)
		}
		gitDir = d
	}
	if real, err := filepath.EvalSymlinks(gitDir); err == nil {
		gitDir = real
	}
	return filepath.Clean(gitDir)
}

// checkComplete refuses shallow clones: their history ends at a boundary
// go-git cannot see past. Partial clones (blob-less, tree-less, promisor
// packs) are read: most of what a scan needs is usually present, and a
// missing object is named when it is met (see missing).
func (r *repository) checkComplete() error {
	shallow, err := r.st.Shallow()
	if err != nil {
		return fmt.Errorf("read shallow list: %w", err)
	}
	if len(shallow) > 0 {
		return &ShallowError{Repo: r.root, Commits: len(shallow)}
	}
	cfg, err := r.st.Config()
	if err == nil && cfg.Raw != nil {
		if cfg.Raw.Section("extensions").Option("partialclone") != "" {
			r.partial = true
		}
		for _, sub := range cfg.Raw.Section("remote").Subsections {
			if sub.Option("promisor") == "true" || sub.Option("partialclonefilter") != "" {
				r.partial = true
			}
		}
	}
	if packs, err := r.fs.ReadDir("objects/pack"); err == nil {
		for _, p := range packs {
			if strings.HasSuffix(p.Name(), ".promisor") {
				r.partial = true
			}
		}
	}
	return nil
}

// missing wraps an object-not-found error as a *MissingObjectError (its
// path and commit are filled in by the callers that know them, see
// annotate); other errors are wrapped with what was read.
func (r *repository) missing(kind string, h plumbing.Hash, err error) error {
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return &MissingObjectError{Repo: r.root, Kind: kind, Hash: h.String(), Partial: r.partial}
	}
	return fmt.Errorf("read %s %s: %w", kind, h, err)
}
