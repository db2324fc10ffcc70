package derive

import (
	"sort"
	"time"

	"github.com/relmig/relmig/releasemap/gitscan"
)

// lineage is the release side of the scan: releases in ascending semver
// precedence, the name the map gives each, and which lower releases lie on
// each release's own history.
//
// Only lower releases count as ancestors. The map requires a release's
// parents to be below it, and `between` rebuilds each release's history from
// the parents alone; so a stray tag (a v1.0.1 cut years before v0.1.0) is
// left out of the lineage of the releases that descend from it, and first_in
// is computed against the same history `between` will see. With this rule
// the closure of parents equals the lower git ancestors exactly.
type lineage struct {
	rels  []*gitscan.Release // ascending semver precedence
	names []string           // the version each release has in the map
	// anc[i] holds j when release j (j < i) is on release i's history;
	// mainline[i] the same along first parents only (its own line).
	anc, mainline []bitset
	// parents[i] are the nearest of those, ascending: no other ancestor of
	// i descends from them.
	parents [][]int
	// byDate holds release indices by (date, precedence): the date
	// assignment searches it.
	byDate []int
}

func newLineage(rels []gitscan.Release, ex *existingIndex) *lineage {
	n := len(rels)
	l := &lineage{
		rels:     make([]*gitscan.Release, n),
		names:    make([]string, n),
		anc:      make([]bitset, n),
		mainline: make([]bitset, n),
		parents:  make([][]int, n),
		byDate:   make([]int, n),
	}
	for i := range rels {
		l.rels[i] = &rels[i]
	}
	// gitscan returns them sorted; sorting again keeps Build correct for
	// any Result, and is stable for one that is.
	sort.SliceStable(l.rels, func(i, j int) bool {
		a, b := l.rels[i].Version, l.rels[j].Version
		if a == nil || b == nil {
			return a != nil && b == nil
		}
		return a.LessThan(b)
	})
	index := make(map[string]int, n)
	for i, r := range l.rels {
		index[r.Tag] = i
		l.names[i] = ex.releaseName(r)
	}
	for i, r := range l.rels {
		a := newBitset(n)
		for _, t := range r.Ancestors {
			if j, ok := index[t]; ok && j < i {
				a.set(j)
			}
		}
		l.anc[i] = a
		ml := newBitset(n)
		fp := r.FirstParentAncestors
		if len(fp) == 0 {
			fp = r.Ancestors // a Result that does not say: all of them
		}
		for _, t := range fp {
			if j, ok := index[t]; ok && j < i {
				ml.set(j)
			}
		}
		l.mainline[i] = ml
		// Transitive reduction: walk the ancestors from the highest down;
		// one that no chosen parent descends from is a parent. An ancestor
		// k of i that is not a parent lies on a chosen parent's history,
		// and that parent is above k, so it was chosen before anything
		// below k is looked at.
		covered := newBitset(n)
		for j := i - 1; j >= 0; j-- {
			if !a.has(j) || covered.has(j) {
				continue
			}
			l.parents[i] = append(l.parents[i], j)
			covered.or(l.anc[j])
		}
		sort.Ints(l.parents[i])
	}
	for i := range l.byDate {
		l.byDate[i] = i
	}
	sort.SliceStable(l.byDate, func(i, j int) bool {
		return l.rels[l.byDate[i]].Date.Before(l.rels[l.byDate[j]].Date)
	})
	return l
}

// parentNames returns release i's parents as the map names them.
func (l *lineage) parentNames(i int) []string {
	if len(l.parents[i]) == 0 {
		return nil
	}
	out := make([]string, len(l.parents[i]))
	for k, j := range l.parents[i] {
		out[k] = l.names[j]
	}
	return out
}

// firstByDate returns the release tagged first at or after t (the lowest
// precedence among releases of the same date), or -1 when every release is
// older.
func (l *lineage) firstByDate(t time.Time) int {
	k := sort.Search(len(l.byDate), func(k int) bool {
		return !l.rels[l.byDate[k]].Date.Before(t)
	})
	if k == len(l.byDate) {
		return -1
	}
	return l.byDate[k]
}

// firstByDateOnLine is firstByDate restricted to the releases that ok
// accepts; skipped is the first release it passed over (-1 for none).
func (l *lineage) firstByDateOnLine(t time.Time, ok func(int) bool) (found, skipped int) {
	k := sort.Search(len(l.byDate), func(k int) bool {
		return !l.rels[l.byDate[k]].Date.Before(t)
	})
	skipped = -1
	for ; k < len(l.byDate); k++ {
		if i := l.byDate[k]; ok(i) {
			return i, skipped
		} else if skipped < 0 {
			skipped = i
		}
	}
	return -1, skipped
}

// bitset is a set of release indices: 300 releases are five words, so
// "does any ancestor carry the script" is five ANDs.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }

func (b bitset) or(c bitset) {
	for k := range b {
		b[k] |= c[k]
	}
}

func (b bitset) intersects(c bitset) bool {
	for k := range b {
		if b[k]&c[k] != 0 {
			return true
		}
	}
	return false
}
