package gitscan

import (
	"math/bits"

	"github.com/go-git/go-git/v5/plumbing"
)

// reachingReleases returns, for each release commit (by index into
// releaseCommits), the indexes of the releases whose commit it reaches, its
// own included. It propagates one bitset per commit from parents to
// children over the walk's order (parents first): one pass, instead of an
// ancestor query per pair of releases, each of which would walk history.
func reachingReleases(order []*commitRec, releaseCommits []plumbing.Hash) [][]int {
	words := (len(releaseCommits) + 63) / 64
	out := make([][]int, len(releaseCommits))
	if words == 0 {
		return out
	}
	pos := make(map[plumbing.Hash]int, len(order))
	for i, rec := range order {
		pos[rec.hash] = i
	}
	own := map[int][]int{} // commit position -> releases tagged there
	for i, h := range releaseCommits {
		if p, ok := pos[h]; ok {
			own[p] = append(own[p], i)
		}
	}
	set := make([]uint64, len(order)*words)
	for i, rec := range order {
		mine := set[i*words : (i+1)*words]
		for _, ph := range rec.parents {
			p := pos[ph]
			for k, w := range set[p*words : (p+1)*words] {
				mine[k] |= w
			}
		}
		for _, r := range own[i] {
			mine[r/64] |= 1 << (r % 64)
		}
	}
	for i, h := range releaseCommits {
		p, ok := pos[h]
		if !ok {
			continue
		}
		for k, w := range set[p*words : (p+1)*words] {
			for w != 0 {
				b := bits.TrailingZeros64(w)
				out[i] = append(out[i], k*64+b)
				w &= w - 1
			}
		}
	}
	return out
}

// reachableFrom marks the commits that tip reaches. It visits the walk's
// order backwards (children first), so one pass suffices.
func reachableFrom(order []*commitRec, tip plumbing.Hash) map[plumbing.Hash]bool {
	marked := map[plumbing.Hash]bool{}
	if tip.IsZero() {
		return marked
	}
	marked[tip] = true
	for i := len(order) - 1; i >= 0; i-- {
		rec := order[i]
		if !marked[rec.hash] {
			continue
		}
		for _, p := range rec.parents {
			marked[p] = true
		}
	}
	return marked
}
