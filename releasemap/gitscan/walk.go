package gitscan

import (
	"context"
	"errors"
	"path"
	"runtime"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
)

// commitRec is what the walk keeps per commit. Everything in it is a
// function of the commit's hash and the migrations folder's path, so it is
// cached across runs without invalidation.
type commitRec struct {
	hash    plumbing.Hash
	parents []plumbing.Hash
	dirTree plumbing.Hash // the migrations folder's tree; zero when absent
	when    int64         // committer time, valid when hasTime
	tz      int32
	hasTime bool
	adds    []addRec
	// fresh marks a commit read from the repository in this run (its
	// folder tree and adds still need computing), as opposed to one loaded
	// from the cache; root is its root tree, known only while fresh.
	fresh bool
	root  plumbing.Hash
	// Per-run walk state. parentRecs mirrors parents once resolved, so
	// the graph passes follow pointers instead of hashing; pos is the
	// commit's place in the walk's order; visit is the depth-first state
	// (0 unseen, 1 open, 2 done).
	parentRecs []*commitRec
	pos        int
	visit      uint8
	// dirDone is set when a pipelined reader resolved dirTree during the
	// walk (see walker.pipe).
	dirDone bool
}

// addRec is a path (relative to Dir, before the globs are applied) that a
// commit added.
type addRec struct {
	path        string
	renamedFrom string
	merge       bool
}

// walker finds every commit reachable from a set of tips, reading from the
// repository only the commits the cache does not have.
type walker struct {
	repo  *repository
	trees *trees
	recs  map[plumbing.Hash]*commitRec
	// dirty is set when a record was added or completed, so the cache
	// file is rewritten only when it would change.
	dirty bool
	// batch is the least number of commits per extra reader when folder
	// trees are resolved in parallel; zero means parallelMin.
	batch int
	// pipe, during a walk, takes each commit read from the repository to
	// a goroutine that resolves its folder tree with a reader of its own,
	// while the walk goes on reading parents: the two halves of a cold
	// scan overlap.
	pipe chan<- *commitRec
}

// record returns the record of commit h, reading the commit (from the
// commit-graph when it has it) if the cache does not.
func (w *walker) record(h plumbing.Hash) (*commitRec, error) {
	if rec, ok := w.recs[h]; ok {
		return rec, nil
	}
	rec := &commitRec{hash: h, fresh: true}
	var root plumbing.Hash
	read := false
	if g := w.repo.graph; g != nil {
		if idx, err := g.GetIndexByHash(h); err == nil {
			if cd, err := g.GetCommitDataByIndex(idx); err == nil {
				root, rec.parents, read = cd.TreeHash, cd.ParentHashes, true
			}
		}
	}
	if !read {
		// Without the time, as from the commit-graph: ensureTime reads it
		// for the few commits that need it (those that add a script, the
		// releases').
		c, err := w.repo.readCommitLinks(h)
		if err != nil {
			return nil, err
		}
		root, rec.parents = c.tree, c.parents
	}
	rec.root = root
	w.recs[h] = rec
	w.dirty = true
	if w.pipe != nil {
		select {
		case w.pipe <- rec:
		default:
			// The pipe is a full queue behind: this thread resolves the
			// commit itself rather than wait, so that both keep busy.
			if err := w.resolve(w.trees, rec); err != nil {
				return nil, err
			}
		}
	}
	return rec, nil
}

// resolve sets rec's folder tree, read with t.
func (w *walker) resolve(t *trees, rec *commitRec) error {
	dir, err := t.dirTree(rec.root)
	if err != nil {
		return annotate(err, "", "commit "+rec.hash.String()[:12])
	}
	rec.dirTree, rec.dirDone = dir, true
	return nil
}

// walk returns every commit reachable from tips, parents before children,
// with each commit's added paths computed. Commits found in the cache are
// not read again: the cache holds only ancestor-closed sets, so their
// parents are in it too.
func (w *walker) walk(ctx context.Context, tips []plumbing.Hash) ([]*commitRec, error) {
	for _, rec := range w.recs {
		rec.visit = 0
	}
	wait := w.startPipe()
	order, err := w.dfs(ctx, tips)
	if perr := wait(); err == nil {
		err = perr
	}
	if err != nil {
		return nil, err
	}
	var fresh []*commitRec
	for _, rec := range order {
		if rec.fresh && !rec.dirDone {
			fresh = append(fresh, rec)
		}
	}
	if err := w.resolveDirs(ctx, fresh); err != nil {
		return nil, err
	}
	for _, rec := range order {
		if !rec.fresh {
			continue
		}
		if err := w.computeAdds(rec); err != nil {
			return nil, annotate(err, "", "commit "+rec.hash.String()[:12])
		}
		rec.fresh, rec.root, rec.dirDone = false, plumbing.ZeroHash, false
	}
	return order, nil
}

// startPipe starts the goroutine that resolves the folder trees of the
// commits the walk reads (see walker.pipe), when there is more than one
// core; the function it returns ends it and reports its first error. That
// function resolves what is still queued on this thread too, alongside the
// goroutine. A commit neither resolved is resolved after the walk.
func (w *walker) startPipe() func() error {
	if runtime.GOMAXPROCS(0) < 2 || len(w.trees.parts) == 0 {
		return func() error { return nil }
	}
	ch := make(chan *commitRec, 4096)
	w.pipe = ch
	r := w.repo.reader()
	t := newTrees(r, w.trees.parts)
	done := make(chan error, 1)
	go func() {
		var first error
		for rec := range ch {
			if first != nil {
				continue
			}
			first = w.resolve(t, rec)
		}
		done <- errors.Join(first, r.Close())
	}()
	return func() error {
		w.pipe = nil
		close(ch)
		var first error
		for rec := range ch {
			if first = w.resolve(w.trees, rec); first != nil {
				break
			}
		}
		return errors.Join(first, <-done)
	}
}

// dfs returns every commit reachable from tips, parents before children.
func (w *walker) dfs(ctx context.Context, tips []plumbing.Hash) ([]*commitRec, error) {
	order := make([]*commitRec, 0, len(w.recs))
	var stack []*commitRec
	steps := 0
	for _, tip := range tips {
		rec, err := w.record(tip)
		if err != nil {
			return nil, err
		}
		stack = append(stack, rec)
		for len(stack) > 0 {
			if steps++; steps&1023 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			rec := stack[len(stack)-1]
			switch rec.visit {
			case 0:
				rec.visit = 1
				if len(rec.parentRecs) != len(rec.parents) {
					rec.parentRecs = make([]*commitRec, len(rec.parents))
				}
				for i := len(rec.parents) - 1; i >= 0; i-- {
					p := rec.parentRecs[i]
					if p == nil {
						if p, err = w.record(rec.parents[i]); err != nil {
							return nil, err
						}
						rec.parentRecs[i] = p
					}
					if p.visit == 0 {
						stack = append(stack, p)
					}
				}
			case 1:
				rec.visit = 2
				rec.pos = len(order)
				order = append(order, rec)
				stack = stack[:len(stack)-1]
			default:
				stack = stack[:len(stack)-1]
			}
		}
	}
	return order, nil
}

// computeAdds finds the paths present in rec's folder and missing from every
// parent's. A commit whose folder tree equals a parent's added nothing. For
// a merge this is the set git log -c --diff-filter=A reports: paths no
// parent had; plain git log shows no diff for merges at all.
func (w *walker) computeAdds(rec *commitRec) error {
	if rec.dirTree.IsZero() {
		return nil
	}
	for _, p := range rec.parentRecs {
		if p.dirTree == rec.dirTree {
			return nil
		}
	}
	var adds []addRec
	switch len(rec.parents) {
	case 0:
		files := map[string]plumbing.Hash{}
		if err := w.trees.list(rec.dirTree, "", files); err != nil {
			return err
		}
		for p := range files {
			adds = append(adds, addRec{path: p})
		}
	case 1:
		var added, removed []pathBlob
		if err := w.trees.diff(rec.dirTree, rec.parentRecs[0].dirTree, "", &added, &removed); err != nil {
			return err
		}
		adds = pairRenames(added, removed)
	default:
		count := map[string]int{}
		for _, p := range rec.parentRecs {
			var added, removed []pathBlob
			if err := w.trees.diff(rec.dirTree, p.dirTree, "", &added, &removed); err != nil {
				return err
			}
			for _, a := range added {
				count[a.path]++
			}
		}
		for p, n := range count {
			if n == len(rec.parents) {
				adds = append(adds, addRec{path: p, merge: true})
			}
		}
	}
	if len(adds) == 0 {
		return nil
	}
	sort.Slice(adds, func(i, j int) bool { return adds[i].path < adds[j].path })
	rec.adds = adds
	return w.ensureTime(rec)
}

// ensureTime reads the committer time of a commit that the walk read
// without it (from the commit object's first lines, or from the
// commit-graph, which stores it without the time zone).
func (w *walker) ensureTime(rec *commitRec) error {
	if rec.hasTime {
		return nil
	}
	c, err := w.repo.readCommit(rec.hash)
	if err != nil {
		return err
	}
	rec.when, rec.tz, rec.hasTime = c.when, c.tz, true
	w.dirty = true
	return nil
}

// pairRenames turns a single-parent diff into adds, marking an added path as
// a rename when the same commit removed a path with identical content (git
// log --follow's exact renames). Among several removed candidates, one with
// the same base name wins, then the first by path; each is used once.
func pairRenames(added, removed []pathBlob) []addRec {
	sort.Slice(added, func(i, j int) bool { return added[i].path < added[j].path })
	byBlob := map[plumbing.Hash][]string{}
	for _, r := range removed {
		byBlob[r.blob] = append(byBlob[r.blob], r.path)
	}
	for _, paths := range byBlob {
		sort.Strings(paths)
	}
	adds := make([]addRec, 0, len(added))
	for _, a := range added {
		rec := addRec{path: a.path}
		if cands := byBlob[a.blob]; len(cands) > 0 {
			pick := 0
			for i, c := range cands {
				if path.Base(c) == path.Base(a.path) {
					pick = i
					break
				}
			}
			rec.renamedFrom = cands[pick]
			byBlob[a.blob] = append(cands[:pick:pick], cands[pick+1:]...)
		}
		adds = append(adds, rec)
	}
	return adds
}
