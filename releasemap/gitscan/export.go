package gitscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// ExportOptions says which release tree to write where.
type ExportOptions struct {
	// Repo and CacheDir are as in Options: a local repository, or a URL
	// whose cached clone is used (cloned if absent, fetched if it lacks Tag).
	Repo     string
	CacheDir string
	// Tag is the tag name, resolved as refs/tags/Tag (never a branch).
	Tag string
	// Dest is the folder to create. It must not exist: the tree is written
	// into a temporary sibling and renamed into place, so a crash never
	// leaves a half-written checkout that a later run would trust.
	Dest string
}

// ExportTree writes the full tree of a release tag into a new folder:
// files with their executable bit, and symlinks; submodules are skipped
// (their content is another repository's). It needs no git binary, and is
// how a migration gets a checkout of its own release to run in.
func ExportTree(ctx context.Context, opts ExportOptions) error {
	if opts.Repo == "" || opts.Tag == "" || opts.Dest == "" {
		return fmt.Errorf("%w: repository, tag and destination are required", ErrInvalidOptions)
	}
	if isURL(opts.Repo) && opts.CacheDir == "" {
		return fmt.Errorf("%w: cache folder is required for a URL", ErrInvalidOptions)
	}
	if _, err := os.Lstat(opts.Dest); err == nil {
		return fmt.Errorf("export %s: %s already exists", opts.Tag, opts.Dest)
	}
	repo, err := openRepository(ctx, opts.Repo, opts.CacheDir, false)
	if err != nil {
		return err
	}
	root, err := repo.tagTree(opts.Tag)
	if errors.Is(err, ErrRefNotFound) && repo.remote {
		// The cached clone may predate the tag: fetch once and retry.
		_ = repo.Close()
		if repo, err = openRepository(ctx, opts.Repo, opts.CacheDir, true); err != nil {
			return err
		}
		root, err = repo.tagTree(opts.Tag)
	}
	defer repo.Close()
	if err != nil {
		return err
	}
	parent := filepath.Dir(opts.Dest)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("export %s: %w", opts.Tag, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(opts.Dest)+".tmp-*")
	if err != nil {
		return fmt.Errorf("export %s: %w", opts.Tag, err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("export %s: %w", opts.Tag, err)
	}
	t := newTrees(repo, nil)
	if err := writeTree(ctx, repo, t, root, tmp); err != nil {
		return fmt.Errorf("export %s: %w", opts.Tag, err)
	}
	if err := os.Rename(tmp, opts.Dest); err != nil {
		return fmt.Errorf("export %s: %w", opts.Tag, err)
	}
	return nil
}

// tagTree returns the root tree of refs/tags/name, peeling tag objects.
func (r *repository) tagTree(name string) (plumbing.Hash, error) {
	ref, err := r.st.Reference(plumbing.NewTagReferenceName(name))
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%w: tag %s", ErrRefNotFound, name)
	}
	p, err := r.peel(ref.Hash(), map[plumbing.Hash]peeledRef{}, nil)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("tag %s: %w", name, err)
	}
	switch p.kind {
	case plumbing.CommitObject:
		c, err := r.readCommit(p.target)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		return c.tree, nil
	case plumbing.TreeObject:
		return p.target, nil
	}
	return plumbing.ZeroHash, fmt.Errorf("tag %s points at a %s, not a commit", name, p.kind)
}

// writeTree writes tree h into the existing folder dir.
func writeTree(ctx context.Context, repo *repository, t *trees, h plumbing.Hash, dir string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := t.entries(h)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !safeName(e.name) {
			return fmt.Errorf("tree %s has an unsafe entry name %q", h, e.name)
		}
		dest := filepath.Join(dir, e.name)
		switch e.mode {
		case modeTree:
			if err := os.Mkdir(dest, 0o755); err != nil {
				return err
			}
			if err := writeTree(ctx, repo, t, e.hash, dest); err != nil {
				return err
			}
		case modeGitlink:
			// A submodule's content is another repository's; git leaves
			// an empty folder in its place, so do the same.
			if err := os.Mkdir(dest, 0o755); err != nil {
				return err
			}
		case 0o120000:
			target, err := repo.readRaw(plumbing.BlobObject, e.hash)
			if err != nil {
				return err
			}
			if err := os.Symlink(string(target), dest); err != nil {
				return err
			}
		default:
			perm := os.FileMode(0o644)
			if e.mode&0o111 != 0 {
				perm = 0o755
			}
			if err := writeBlob(repo, e.hash, dest, perm); err != nil {
				return err
			}
		}
	}
	return nil
}

// safeName rejects entry names git itself refuses to check out, which a
// crafted tree could use to write outside the destination.
func safeName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.EqualFold(name, ".git") &&
		!strings.ContainsAny(name, "/\x00")
}

// writeBlob streams a blob into a new file.
func writeBlob(repo *repository, h plumbing.Hash, dest string, perm os.FileMode) error {
	obj, err := repo.st.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return repo.missing("blob", h, err)
	}
	rd, err := obj.Reader()
	if err != nil {
		return err
	}
	defer rd.Close()
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, rd)
	return errors.Join(err, f.Close())
}
