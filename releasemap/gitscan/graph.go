package gitscan

import "math/bits"

// reachingReleases returns, for each release (by index into releaseRecs),
// the indexes of the releases whose commit it reaches, its own included. It
// propagates one bitset per commit from parents to children over the walk's
// order (parents first): one pass, instead of an ancestor query per pair of
// releases, each of which would walk history.
func reachingReleases(order []*commitRec, releaseRecs []*commitRec) [][]int {
	return propagate(order, releaseRecs, false)
}

// firstParentReleases is reachingReleases along first parents only: the
// releases on each release's own line of development, not those merged
// into it from another line (a maintenance branch merged forward).
func firstParentReleases(order []*commitRec, releaseRecs []*commitRec) [][]int {
	return propagate(order, releaseRecs, true)
}

func propagate(order []*commitRec, releaseRecs []*commitRec, firstOnly bool) [][]int {
	words := (len(releaseRecs) + 63) / 64
	out := make([][]int, len(releaseRecs))
	if words == 0 {
		return out
	}
	own := map[int][]int{} // commit position -> releases tagged there
	for i, rec := range releaseRecs {
		own[rec.pos] = append(own[rec.pos], i)
	}
	set := make([]uint64, len(order)*words)
	for i, rec := range order {
		mine := set[i*words : (i+1)*words]
		for pi, p := range rec.parentRecs {
			if firstOnly && pi > 0 {
				break
			}
			for k, w := range set[p.pos*words : (p.pos+1)*words] {
				mine[k] |= w
			}
		}
		for _, r := range own[i] {
			mine[r/64] |= 1 << (r % 64)
		}
	}
	for i, rec := range releaseRecs {
		for k, w := range set[rec.pos*words : (rec.pos+1)*words] {
			for w != 0 {
				out[i] = append(out[i], k*64+bits.TrailingZeros64(w))
				w &= w - 1
			}
		}
	}
	return out
}

// reachableFrom marks, by position in the walk's order, the commits that
// tip reaches. It visits the order backwards (children first), so one pass
// suffices. A nil tip reaches nothing.
func reachableFrom(order []*commitRec, tip *commitRec) []bool {
	marked := make([]bool, len(order))
	if tip == nil {
		return marked
	}
	marked[tip.pos] = true
	for i := len(order) - 1; i >= 0; i-- {
		if !marked[i] {
			continue
		}
		for _, p := range order[i].parentRecs {
			marked[p.pos] = true
		}
	}
	return marked
}
