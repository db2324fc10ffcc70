package gitscan

import (
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// maxMoves bounds how many moves of the migrations folder Scan follows
// back (a folder moved, then moved again).
const maxMoves = 3

// formerDir finds where history moved the migrations folder from: a commit
// whose parent lacks the folder while it has it, and that removed files
// with the same content at the same relative paths under one other folder.
// It returns that folder and the commits that moved it, or "" when the
// folder was never moved. Only the
// few commits that create the folder are diffed, and only the subtrees
// that differ.
func (s *scanner) formerDir() (string, map[string]bool, error) {
	votes := map[string]int{}
	moves := map[string]map[string]bool{} // folder → commits that moved it here
	for _, rec := range s.order {
		if rec.dirTree.IsZero() || len(rec.parentRecs) != 1 || !rec.parentRecs[0].dirTree.IsZero() {
			continue
		}
		files := map[string]plumbing.Hash{}
		if err := s.trees.list(rec.dirTree, "", files); err != nil {
			return "", nil, err
		}
		c, err := s.repo.readCommit(rec.hash)
		if err != nil {
			return "", nil, err
		}
		p, err := s.repo.readCommit(rec.parentRecs[0].hash)
		if err != nil {
			return "", nil, err
		}
		// A tree reader of its own: root trees must not go into the walk
		// cache, which holds the folder's trees.
		whole := newTrees(s.repo, nil)
		var added, removed []pathBlob
		if err := whole.diff(c.tree, p.tree, "", &added, &removed); err != nil {
			return "", nil, annotate(err, "", "commit "+rec.hash.String()[:12])
		}
		byBlob := map[plumbing.Hash][]string{}
		for rel, h := range files {
			byBlob[h] = append(byBlob[h], rel)
		}
		for _, r := range removed {
			for _, rel := range byBlob[r.blob] {
				if dir, ok := strings.CutSuffix(r.path, "/"+rel); ok && dir != s.cfg.dir {
					votes[dir]++
					if moves[dir] == nil {
						moves[dir] = map[string]bool{}
					}
					moves[dir][rec.hash.String()] = true
				}
			}
		}
	}
	best, n := "", 0
	for dir, v := range votes {
		if v > n || v == n && dir < best {
			best, n = dir, v
		}
	}
	return best, moves[best], nil
}

// mergeFormer adds the scripts of the folder's former home to r: each
// release's files where the current folder lacks the path, and every add,
// so a moved script keeps its first commit, its release and its id.
func (r *Result) mergeFormer(old *Result, dir string, moveCommits map[string]bool) {
	r.FormerDirs = append(append(r.FormerDirs, dir), old.FormerDirs...)
	byTag := map[string]*Release{}
	for i := range old.Releases {
		byTag[old.Releases[i].Tag] = &old.Releases[i]
	}
	for i := range r.Releases {
		o := byTag[r.Releases[i].Tag]
		if o == nil {
			continue
		}
		if r.Releases[i].Files == nil {
			r.Releases[i].Files = map[string]File{}
		}
		for p, f := range o.Files {
			if _, ok := r.Releases[i].Files[p]; !ok {
				r.Releases[i].Files[p] = f
			}
		}
	}
	byPath := map[string]int{}
	for i := range r.Scripts {
		byPath[r.Scripts[i].Path] = i
	}
	for _, o := range old.Scripts {
		i, ok := byPath[o.Path]
		if !ok {
			r.Scripts = append(r.Scripts, o)
			continue
		}
		sc := &r.Scripts[i]
		for j := range sc.Adds {
			if moveCommits[sc.Adds[j].Commit] {
				sc.Adds[j].MovedFrom = dir
			}
		}
		sc.Adds = append(append([]Add(nil), o.Adds...), sc.Adds...)
		sort.SliceStable(sc.Adds, func(a, b int) bool { return sc.Adds[a].Date.Before(sc.Adds[b].Date) })
		for _, p := range o.RenamedFrom {
			sc.RenamedFrom = appendUnique(sc.RenamedFrom, p)
		}
	}
	sort.Slice(r.Scripts, func(i, j int) bool { return r.Scripts[i].Path < r.Scripts[j].Path })
	if r.empty != nil && old.empty == nil {
		r.empty = nil // the folder's scripts live in its former home
	}
}
