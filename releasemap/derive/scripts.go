package derive

import (
	"fmt"
	"sort"
	"time"

	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/releasemap/gitscan"
)

// fact is everything git says about one script: one path, or every path of
// a chain of renames with unchanged content.
type fact struct {
	paths   []string // every path it had, sorted
	root    string   // the first path it had: its id unless the map says otherwise
	current string   // where it lives now
	adds    []Add    // every adding commit, oldest first
	first   *Add     // the first commit that added it (renames aside)

	carriers bitset // releases whose tree has the script under some path
	atHead   bool   // the default branch's tip has it
	onMain   bool   // some adding commit is on the default branch

	byAncestry, byDate string // release names, releasemap.Unreleased, or "" (unknown)
	// dateNote says why the date assignment passed over a release (one on
	// another line of history).
	dateNote string
	release  string // the assignment the map uses
	relIdx   int    // index of release in the lineage, -1 for unreleased

	firstIn   []string
	removedIn string
	sha256    string
	// removedLate is a release that deleted the script although it is not
	// after the script's own release (possible with dates); reported, not
	// written, since the map would not validate.
	removedLate string
}

// deriveScripts groups the scan's scripts by rename, and derives each
// group's facts. Groups no release and not the default branch's tip carry
// come back with relIdx -1 and release "".
func deriveScripts(scan *gitscan.Result, l *lineage, by By) []*fact {
	groups := renameGroups(scan.Scripts)
	// Which releases carry which group, in one pass over each release's
	// listing: 300 releases × 200 scripts of lookups in one small map,
	// instead of in 300 large ones.
	group := make(map[string]int, len(scan.Scripts))
	carriers := make([]bitset, len(groups))
	for gi, g := range groups {
		carriers[gi] = newBitset(len(l.rels))
		for _, s := range g {
			group[s.Path] = gi
		}
	}
	for i, r := range l.rels {
		for p := range r.Files {
			if gi, ok := group[p]; ok {
				carriers[gi].set(i)
			}
		}
	}
	facts := make([]*fact, 0, len(groups))
	for gi, g := range groups {
		facts = append(facts, newFact(g, carriers[gi], scan, l, by))
	}
	sort.Slice(facts, func(i, j int) bool { return facts[i].root < facts[j].root })
	return facts
}

// renameGroups joins the scripts that renames with unchanged content link
// (git log --follow semantics): one migration, several paths.
func renameGroups(scripts []gitscan.Script) [][]*gitscan.Script {
	index := make(map[string]int, len(scripts))
	for i := range scripts {
		index[scripts[i].Path] = i
	}
	up := make([]int, len(scripts))
	for i := range up {
		up[i] = i
	}
	find := func(i int) int {
		for up[i] != i {
			up[i] = up[up[i]]
			i = up[i]
		}
		return i
	}
	for i := range scripts {
		for _, old := range scripts[i].RenamedFrom {
			if j, ok := index[old]; ok {
				up[find(i)] = find(j)
			}
		}
	}
	byRoot := map[int][]*gitscan.Script{}
	var roots []int
	for i := range scripts {
		r := find(i)
		if _, ok := byRoot[r]; !ok {
			roots = append(roots, r)
		}
		byRoot[r] = append(byRoot[r], &scripts[i])
	}
	out := make([][]*gitscan.Script, 0, len(roots))
	for _, r := range roots {
		out = append(out, byRoot[r])
	}
	return out
}

func newFact(group []*gitscan.Script, carriers bitset, scan *gitscan.Result, l *lineage, by By) *fact {
	f := &fact{relIdx: -1, carriers: carriers}
	firstSeen := map[string]time.Time{} // path → its first add, to tell old names from new
	for _, s := range group {
		f.paths = append(f.paths, s.Path)
		for _, a := range s.Adds {
			f.adds = append(f.adds, Add{Path: s.Path, Add: a})
			if t, ok := firstSeen[s.Path]; !ok || a.Date.Before(t) {
				firstSeen[s.Path] = a.Date
			}
			f.onMain = f.onMain || a.OnDefaultBranch
		}
	}
	sort.Strings(f.paths)
	sort.SliceStable(f.adds, func(i, j int) bool {
		a, b := f.adds[i], f.adds[j]
		if !a.Date.Equal(b.Date) {
			return a.Date.Before(b.Date)
		}
		if a.Commit != b.Commit {
			return a.Commit < b.Commit
		}
		return a.Path < b.Path
	})
	for i := range f.adds {
		if f.adds[i].RenamedFrom == "" {
			f.first = &f.adds[i]
			break
		}
	}
	if f.first == nil && len(f.adds) > 0 {
		f.first = &f.adds[0]
	}
	f.root = f.paths[0]
	if f.first != nil {
		f.root = f.first.Path
	}

	// newest picks, among the paths a tree has, the one the script got
	// last: the current name after a rename.
	newest := func(files map[string]gitscan.File) (string, bool) {
		best, found := "", false
		for _, p := range f.paths {
			if _, ok := files[p]; !ok {
				continue
			}
			if !found || firstSeen[p].After(firstSeen[best]) ||
				firstSeen[p].Equal(firstSeen[best]) && p > best {
				best, found = p, true
			}
		}
		return best, found
	}
	highest := -1
	for i := range l.rels {
		if f.carriers.has(i) {
			highest = i
		}
	}
	headPath, atHead := newest(scan.Head.Files)
	f.atHead = atHead
	switch {
	case atHead:
		f.current = headPath
	case highest >= 0:
		f.current, _ = newest(l.rels[highest].Files)
	default:
		return f // never released, gone from the tip: ignored
	}

	anc := -1
	for i := range l.rels {
		if f.carriers.has(i) {
			anc = i
			break
		}
	}
	f.byAncestry = releasemap.Unreleased
	if anc >= 0 {
		f.byAncestry = l.names[anc]
	}
	date := -1
	if f.first != nil {
		date = l.firstByDate(f.first.Date)
		if anc >= 0 {
			// Lines of history: a release gets the script by date only
			// on the line of development of a release that carries it
			// (its first-parent history) or after one; a maintenance
			// line's patch tagged after a main-line script, even one
			// merged forward into the main line, never gets it.
			onLine := newBitset(len(l.rels))
			for i := range l.rels {
				if f.carriers.has(i) {
					onLine.or(l.mainline[i])
					onLine.set(i)
				}
			}
			var skipped int
			date, skipped = l.firstByDateOnLine(f.first.Date, func(i int) bool {
				return onLine.has(i) || l.anc[i].intersects(f.carriers)
			})
			if skipped >= 0 {
				f.dateNote = fmt.Sprintf("%s, tagged first after it, is on another line of history", l.names[skipped])
			}
		}
		f.byDate = releasemap.Unreleased
		if date >= 0 {
			f.byDate = l.names[date]
		}
	}
	f.relIdx, f.release = anc, f.byAncestry
	if by == ByDate && f.byDate != "" {
		f.relIdx, f.release = date, f.byDate
	}

	f.sha256 = f.contentHash(l, anc, newest, scan.Head.Files)
	if f.relIdx >= 0 {
		f.firstIn = f.firstCarriers(l)
		f.removedIn, f.removedLate = f.removal(l, scan.Head.Commit != "")
	}
	return f
}

// contentHash is the script's content at its own release's tag (never at
// the tip: scripts are edited after release, and history compares with
// what ran), else at the first release that has it, else at the tip (an
// unreleased script).
func (f *fact) contentHash(l *lineage, anc int, newest func(map[string]gitscan.File) (string, bool), head map[string]gitscan.File) string {
	for _, i := range []int{f.relIdx, anc} {
		if i < 0 {
			continue
		}
		if p, ok := newest(l.rels[i].Files); ok {
			return l.rels[i].Files[p].SHA256
		}
	}
	if p, ok := newest(head); ok {
		return head[p].SHA256
	}
	return ""
}

// firstCarriers returns the releases that carry the script while none of
// their ancestors does: the first release on each line of history that had
// it. Omitted (nil) when that is the script's own release alone, which is
// what `between` assumes without first_in.
func (f *fact) firstCarriers(l *lineage) []string {
	var out []string
	for i := range l.rels {
		if f.carriers.has(i) && !l.anc[i].intersects(f.carriers) {
			out = append(out, l.names[i])
		}
	}
	if len(out) == 0 || len(out) == 1 && out[0] == f.release {
		return nil
	}
	return out
}

// removal returns the first release (by precedence) that descends from a
// release carrying the script and no longer has it; or "unreleased" when
// only the default branch deleted it since. A script the tip still has is
// not removed, whatever a side line did. late is a deleting release that is
// not after the script's own release, which the map cannot record.
func (f *fact) removal(l *lineage, hasHead bool) (removedIn, late string) {
	if f.atHead {
		return "", ""
	}
	for i := range l.rels {
		if f.carriers.has(i) || !l.anc[i].intersects(f.carriers) {
			continue
		}
		if i > f.relIdx {
			return l.names[i], ""
		}
		return "", l.names[i]
	}
	if hasHead && f.onMain {
		// The default branch once had it and its tip does not: deleted
		// after the last release.
		return releasemap.Unreleased, ""
	}
	return "", ""
}
