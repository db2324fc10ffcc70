package gitscan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// defaultBranch resolves the branch whose history counts besides the release
// tags. With no name: the branch HEAD points at; in a URL clone (or when
// HEAD's branch does not exist) the remote's default branch; a detached HEAD
// as itself. An empty repository yields a zero hash and no error.
func (r *repository) defaultBranch(name string) (plumbing.ReferenceName, plumbing.Hash, error) {
	if name != "" {
		for _, cand := range branchCandidates(name) {
			if ref, err := storer.ResolveReference(r.st, cand); err == nil {
				return cand, ref.Hash(), nil
			}
		}
		return "", plumbing.ZeroHash, fmt.Errorf("%w: default branch %q", ErrRefNotFound, name)
	}
	head, err := r.st.Reference(plumbing.HEAD)
	if err != nil && !errors.Is(err, plumbing.ErrReferenceNotFound) {
		return "", plumbing.ZeroHash, fmt.Errorf("read HEAD: %w", err)
	}
	var cands []plumbing.ReferenceName
	if head != nil && head.Type() == plumbing.HashReference {
		return plumbing.HEAD, head.Hash(), nil
	}
	if head != nil {
		target := head.Target()
		if r.remote && target.IsBranch() {
			cands = append(cands, plumbing.NewRemoteReferenceName("origin", target.Short()))
		}
		cands = append(cands, target)
	}
	cands = append(cands, plumbing.NewRemoteHEADReferenceName("origin"))
	for _, cand := range cands {
		ref, err := storer.ResolveReference(r.st, cand)
		if err == nil {
			if cand.String() == "refs/remotes/origin/HEAD" {
				if sym, err := r.st.Reference(cand); err == nil && sym.Type() == plumbing.SymbolicReference {
					cand = sym.Target()
				}
			}
			return cand, ref.Hash(), nil
		}
	}
	return "", plumbing.ZeroHash, nil
}

// branchCandidates are the references a user's branch name may mean, most
// specific first.
func branchCandidates(name string) []plumbing.ReferenceName {
	if name == "HEAD" || strings.HasPrefix(name, "refs/") {
		return []plumbing.ReferenceName{plumbing.ReferenceName(name)}
	}
	return []plumbing.ReferenceName{
		plumbing.NewBranchReferenceName(name),
		plumbing.NewRemoteReferenceName("origin", name),
		plumbing.ReferenceName("refs/remotes/" + name),
	}
}
