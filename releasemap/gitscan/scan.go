package gitscan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// Scan reads the release tags, the migrations folder at each of them and at
// the default branch's tip, and every commit that added a script, walking
// only history reachable from the release tags and the default branch.
//
// A URL in Options.Repo is cloned into Options.CacheDir on first use and
// fetched on every later Scan. The walk's facts are cached in CacheDir per
// repository and folder, so a Scan of an unchanged repository reads almost
// nothing, and one after new commits reads only those.
//
// Errors wrap ErrInvalidOptions, ErrNotRepository, ErrIncompleteHistory
// (shallow clones, missing objects), ErrRefNotFound or ErrEmpty (no
// release tag, no folder, no script; see Options.AllowEmpty) where those
// apply.
func Scan(ctx context.Context, opts Options) (*Result, error) {
	cfg, err := opts.validate()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	repo, err := openRepository(ctx, cfg.repo, cfg.cacheDir, true)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	res, err := scanDir(ctx, cfg, repo, maxMoves)
	if err != nil {
		return nil, err
	}
	if !cfg.allowEmpty {
		if err := res.empty; err != nil {
			return nil, err
		}
	}
	return res, nil
}

// scanDir scans one folder and, when history moved it there from another
// folder, that one too (up to moves levels back), merged into one result.
func scanDir(ctx context.Context, cfg settings, repo *repository, moves int) (*Result, error) {
	file := cacheFile(cfg.cacheDir, repo.id, cfg.dir)
	s := &scanner{
		cfg:   cfg,
		repo:  repo,
		cache: loadWalkCache(file, cfg.dir),
		used:  newWalkCache(cfg.dir),

		listed:   map[plumbing.Hash]bool{},
		subtrees: map[subtreeKey][]pathBlob{},
		matched:  map[string]bool{},
		fileOf:   map[plumbing.Hash]File{},
	}
	s.trees = newTrees(repo, cfg.dirParts)
	s.trees.parsed = s.cache.trees
	s.walker = &walker{repo: repo, trees: s.trees, recs: s.cache.commits}
	res, err := s.scan(ctx)
	if err != nil {
		return nil, err
	}
	if s.changed() {
		if err := s.used.save(file); err != nil {
			return nil, err
		}
	}
	if moves <= 0 || cfg.dir == "" {
		return res, nil
	}
	former, moves2, err := s.formerDir()
	if err != nil || former == "" {
		return res, err
	}
	old := cfg
	old.dir, old.dirParts = former, strings.Split(former, "/")
	oldRes, err := scanDir(ctx, old, repo, moves-1)
	if err != nil {
		return nil, err
	}
	res.mergeFormer(oldRes, former, moves2)
	return res, nil
}

// openRepository opens a local repository, or the cached clone of a URL
// (cloning or, with fetch, fetching it first).
func openRepository(ctx context.Context, repo, cacheDir string, fetch bool) (*repository, error) {
	if isURL(repo) {
		return openRemote(ctx, repo, cacheDir, fetch)
	}
	return openLocal(repo)
}

// scanner holds one Scan's state.
type scanner struct {
	cfg    settings
	repo   *repository
	trees  *trees
	walker *walker
	cache  *walkCache // what the previous run left, plus what this run read
	used   *walkCache // the entries this run used: what the next run gets
	newRef bool       // a tag target or blob sum was computed, not cached

	// Memos of the release listings (see files).
	listed   map[plumbing.Hash]bool // folder trees listed: kept in the cache
	subtrees map[subtreeKey][]pathBlob
	matched  map[string]bool
	fileOf   map[plumbing.Hash]File

	// order is the walk's commits, parents first; head the default
	// branch's tip (zero in an empty repository).
	order []*commitRec
	head  plumbing.Hash
}

// changed reports whether the cache file would differ from the one loaded.
func (s *scanner) changed() bool {
	return s.walker.dirty || s.newRef ||
		len(s.used.commits) != len(s.cache.commits) ||
		len(s.used.tags) != len(s.cache.tags) ||
		len(s.used.sums) != len(s.cache.sums) ||
		len(s.used.trees) != len(s.cache.trees)
}

func (s *scanner) scan(ctx context.Context) (*Result, error) {
	res := &Result{}
	rels, skipped, err := s.releases()
	if err != nil {
		return nil, err
	}
	if len(rels) == 0 && !s.cfg.allowEmpty {
		tags, err := s.repo.tagRefs()
		if err != nil {
			return nil, err
		}
		return nil, s.noReleases(tags)
	}
	res.Releases, res.Skipped = rels, skipped
	headRef, headHash, err := s.repo.defaultBranch(s.cfg.branch)
	if err != nil {
		return nil, err
	}
	if !headHash.IsZero() {
		// The branch may point at a tag object (refs/heads/x made from a
		// tag); peel it like a tag.
		p, err := s.peel(headHash)
		if err != nil {
			return nil, err
		}
		if p.kind != plumbing.CommitObject {
			return nil, fmt.Errorf("default branch %s points at a %s", headRef, p.kind)
		}
		headHash = p.target
	}

	tips := make([]plumbing.Hash, 0, len(rels)+1)
	if !headHash.IsZero() {
		tips = append(tips, headHash)
	}
	for _, r := range rels {
		tips = append(tips, plumbing.NewHash(r.Commit))
	}
	order, err := s.walker.walk(ctx, tips)
	if err != nil {
		return nil, err
	}
	s.order, s.head = order, headHash
	s.used.commits = make(map[plumbing.Hash]*commitRec, len(order))
	for _, rec := range order {
		s.used.commits[rec.hash] = rec
	}
	s.used.order = order
	for i := range res.Releases {
		r := &res.Releases[i]
		rec := s.cache.commits[plumbing.NewHash(r.Commit)]
		if r.Date.IsZero() {
			if err := s.walker.ensureTime(rec); err != nil {
				return nil, err
			}
			r.Date = toTime(rec.when, rec.tz)
		}
		if r.Files, err = s.files(rec.dirTree); err != nil {
			return nil, annotate(err, "", "tag "+r.Tag)
		}
	}
	if !headHash.IsZero() {
		res.Head = Head{Ref: headRef.String(), Commit: headHash.String()}
		if res.Head.Files, err = s.files(s.cache.commits[headHash].dirTree); err != nil {
			return nil, annotate(err, "", headRef.Short())
		}
	}
	if !s.cfg.allowEmpty {
		// Decided after a moved folder's former home is merged in.
		res.empty = s.checkNotEmpty(res, headHash)
	}
	for h := range s.listed {
		s.used.trees[h] = s.cache.trees[h]
	}
	s.ancestors(order, res.Releases)
	res.Scripts = s.scripts(order, headHash, res)
	return res, nil
}

// checkNotEmpty refuses a scan whose folder no release and not the default
// branch has, or that selects no script anywhere.
func (s *scanner) checkNotEmpty(res *Result, head plumbing.Hash) error {
	found := false
	for _, r := range res.Releases {
		if !s.cache.commits[plumbing.NewHash(r.Commit)].dirTree.IsZero() {
			found = true
			break
		}
	}
	if !head.IsZero() && !s.cache.commits[head].dirTree.IsZero() {
		found = true
	}
	if !found {
		tip := head
		if tip.IsZero() && len(res.Releases) > 0 {
			tip = plumbing.NewHash(res.Releases[len(res.Releases)-1].Commit)
		}
		root := plumbing.ZeroHash
		if !tip.IsZero() {
			if c, err := s.repo.readCommit(tip); err == nil {
				root = c.tree
			}
		}
		return s.noFolder(root)
	}
	if len(res.Head.Files) > 0 {
		return nil
	}
	for _, r := range res.Releases {
		if len(r.Files) > 0 {
			return nil
		}
	}
	// Every tree lists nothing selected: name what the newest one holds.
	dir := plumbing.ZeroHash
	if !head.IsZero() {
		dir = s.cache.commits[head].dirTree
	}
	for i := len(res.Releases) - 1; dir.IsZero() && i >= 0; i-- {
		dir = s.cache.commits[plumbing.NewHash(res.Releases[i].Commit)].dirTree
	}
	var list []pathBlob
	if err := s.listFiles(dir, "", &list); err != nil {
		return err
	}
	files := make([]string, len(list))
	for i, pb := range list {
		files[i] = pb.path
	}
	return noScripts(s.cfg.dir, files)
}

// releases lists the tags that are releases, peeled and sorted, and the
// others with the reason they are not.
func (s *scanner) releases() ([]Release, []SkippedTag, error) {
	tags, err := s.repo.tagRefs()
	if err != nil {
		return nil, nil, err
	}
	var rels []Release
	var skipped []SkippedTag
	for _, t := range tags {
		v, reason := releaseVersion(t.name, s.cfg)
		if v == nil {
			skipped = append(skipped, SkippedTag{Name: t.name, Reason: reason})
			continue
		}
		p, err := s.peel(t.hash)
		if err != nil {
			return nil, nil, annotate(err, "", "tag "+t.name)
		}
		if p.kind != plumbing.CommitObject {
			skipped = append(skipped, SkippedTag{Name: t.name, Reason: "points at a " + p.kind.String()})
			continue
		}
		r := Release{Tag: t.name, Version: v, Commit: p.target.String(), Annotated: p.annotated}
		if p.hasTime {
			r.Date = toTime(p.when, p.tz)
		}
		rels = append(rels, r)
	}
	rels, dups := sortReleases(rels)
	skipped = append(skipped, dups...)
	sort.Slice(skipped, func(i, j int) bool { return skipped[i].Name < skipped[j].Name })
	return rels, skipped, nil
}

// peel resolves a reference target through the cache.
func (s *scanner) peel(h plumbing.Hash) (peeledRef, error) {
	n := len(s.cache.tags)
	p, err := s.repo.peel(h, s.cache.tags, s.cache.commits)
	if err != nil {
		return p, err
	}
	if len(s.cache.tags) != n {
		s.newRef = true
	}
	s.used.tags[h] = p
	return p, nil
}

// files returns the scripts in folder tree dir, each caller its own map.
// Releases share most of their trees, so listings are memoised per
// (path prefix, subtree), glob results per path and File values per blob:
// a warm run spends its time here, on 300 releases × 200 scripts.
func (s *scanner) files(dir plumbing.Hash) (map[string]File, error) {
	var list []pathBlob
	if err := s.listFiles(dir, "", &list); err != nil {
		return nil, err
	}
	out := make(map[string]File, len(list))
	for _, pb := range list {
		match, ok := s.matched[pb.path]
		if !ok {
			match = s.cfg.filter.match(pb.path)
			s.matched[pb.path] = match
		}
		if !match {
			continue
		}
		f, ok := s.fileOf[pb.blob]
		if !ok {
			sum, err := s.sum(pb.blob)
			if err != nil {
				return nil, s.trees.annotate(err, pb.path)
			}
			f = File{Blob: pb.blob.String(), SHA256: sum}
			s.fileOf[pb.blob] = f
		}
		out[pb.path] = f
	}
	return out, nil
}

// subtreeKey names a subtree listed at a path prefix.
type subtreeKey struct {
	prefix string
	hash   plumbing.Hash
}

// listFiles appends the files under tree h, with paths prefixed, memoising
// every subtree's listing so that each full path string is built once.
func (s *scanner) listFiles(h plumbing.Hash, prefix string, out *[]pathBlob) error {
	entries, err := s.trees.entries(h)
	if err != nil {
		return s.trees.annotate(err, prefix)
	}
	if !h.IsZero() {
		s.listed[h] = true
	}
	for _, e := range entries {
		switch {
		case e.isTree():
			key := subtreeKey{prefix + e.name + "/", e.hash}
			sub, ok := s.subtrees[key]
			if !ok {
				if err := s.listFiles(e.hash, key.prefix, &sub); err != nil {
					return err
				}
				s.subtrees[key] = sub
			}
			*out = append(*out, sub...)
		case e.isFile():
			*out = append(*out, pathBlob{prefix + e.name, e.hash})
		}
	}
	return nil
}

// sum returns the hex SHA-256 of a blob's content, streamed, and cached by
// blob hash.
func (s *scanner) sum(blob plumbing.Hash) (string, error) {
	if v, ok := s.cache.sums[blob]; ok {
		s.used.sums[blob] = v
		return hex.EncodeToString(v[:]), nil
	}
	b, err := s.repo.readRaw(plumbing.BlobObject, blob)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	v := h
	s.cache.sums[blob] = v
	s.used.sums[blob] = v
	s.newRef = true
	return hex.EncodeToString(v[:]), nil
}

// ancestors fills Release.Ancestors from one pass over the walk.
func (s *scanner) ancestors(order []*commitRec, rels []Release) {
	recs := make([]*commitRec, len(rels))
	for i, r := range rels {
		recs[i] = s.cache.commits[plumbing.NewHash(r.Commit)]
	}
	for i, reach := range reachingReleases(order, recs) {
		for _, j := range reach {
			if j != i {
				rels[i].Ancestors = append(rels[i].Ancestors, rels[j].Tag)
			}
		}
	}
	for i, reach := range firstParentReleases(order, recs) {
		for _, j := range reach {
			if j != i {
				rels[i].FirstParentAncestors = append(rels[i].FirstParentAncestors, rels[j].Tag)
			}
		}
	}
}

// scripts collects every script: added on the walked history, or present
// at a release or at the default branch's tip.
func (s *scanner) scripts(order []*commitRec, head plumbing.Hash, res *Result) []Script {
	onDefault := reachableFrom(order, s.cache.commits[head])
	byPath := map[string]*Script{}
	get := func(p string) *Script {
		sc, ok := byPath[p]
		if !ok {
			sc = &Script{Path: p}
			byPath[p] = sc
		}
		return sc
	}
	for _, rec := range order {
		for _, a := range rec.adds {
			if !s.cfg.filter.match(a.path) {
				continue
			}
			add := Add{
				Commit:          rec.hash.String(),
				Date:            toTime(rec.when, rec.tz),
				OnDefaultBranch: onDefault[rec.pos],
				Merge:           a.merge,
			}
			sc := get(a.path)
			if a.renamedFrom != "" && s.cfg.filter.match(a.renamedFrom) {
				add.RenamedFrom = a.renamedFrom
				sc.RenamedFrom = appendUnique(sc.RenamedFrom, a.renamedFrom)
			}
			sc.Adds = append(sc.Adds, add)
		}
	}
	for _, r := range res.Releases {
		for p := range r.Files {
			get(p)
		}
	}
	for p := range res.Head.Files {
		get(p)
	}
	out := make([]Script, 0, len(byPath))
	for _, sc := range byPath {
		sort.Slice(sc.Adds, func(i, j int) bool {
			if !sc.Adds[i].Date.Equal(sc.Adds[j].Date) {
				return sc.Adds[i].Date.Before(sc.Adds[j].Date)
			}
			return sc.Adds[i].Commit < sc.Adds[j].Commit
		})
		sort.Strings(sc.RenamedFrom)
		out = append(out, *sc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func appendUnique(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// toTime turns a git time (Unix seconds, zone offset in seconds) into a
// time.Time in that zone.
func toTime(when int64, tz int32) time.Time {
	if tz == 0 {
		return time.Unix(when, 0).UTC()
	}
	return time.Unix(when, 0).In(time.FixedZone("", int(tz)))
}
