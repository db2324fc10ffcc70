package cmdutil

import (
	"fmt"
	"sort"
	"strings"

	"github.com/relmig/relmig/releasemap"
)

// ReleaseArg parses s, the command-line argument name (such as "--to" or
// "VERSION"), as a release of the map or unreleased, returned as the map
// spells it. A version the map does not list is refused (exit 2) rather
// than rounded: a typo such as v0.24.10 for v0.24.1 must not quietly plan,
// or adopt, another set of migrations. The message names the releases on
// either side, and any release of the same minor
// version one edit away.
func ReleaseArg(seq *releasemap.Sequence, name, s string) (releasemap.Version, error) {
	v, err := ParseVersionArg(name, s, seq.TagPrefix)
	if err != nil {
		return v, err
	}
	if v.IsUnreleased() {
		return v, nil
	}
	rels := seq.Releases
	i := sort.Search(len(rels), func(i int) bool { return !rels[i].Less(v) })
	if i < len(rels) && rels[i].Compare(v) == 0 {
		return rels[i], nil
	}
	var near []string
	if i > 0 {
		near = append(near, rels[i-1].String())
	}
	if i < len(rels) {
		near = append(near, rels[i].String())
	}
	if len(near) == 0 {
		return v, BadInput(fmt.Errorf("%s %s: not a release of the map (the map has no releases)", name, s))
	}
	hint := "nearest: " + strings.Join(near, ", ")
	var typos []string
	for _, r := range rels {
		rs := r.String()
		if rs == near[0] || rs == near[len(near)-1] || !sameMinor(r, v) {
			continue
		}
		if editDistance(rs, s) == 1 {
			typos = append(typos, rs)
		}
	}
	if len(typos) > 0 {
		hint += "; did you mean " + strings.Join(typos, " or ") + "?"
	}
	return v, BadInput(fmt.Errorf("%s %s: not a release of the map (%s)", name, s, hint))
}

// FromArg is ReleaseArg for the start of a range (`between FROM TO`): it
// also takes a version below every release of the map, which is the start
// of an application older than its first migration, and cannot be a typo
// that plans another set of migrations.
func FromArg(seq *releasemap.Sequence, name, s string) (releasemap.Version, error) {
	v, err := ReleaseArg(seq, name, s)
	if err == nil || len(seq.Releases) == 0 {
		return v, err
	}
	if p, perr := ParseVersionArg(name, s, seq.TagPrefix); perr == nil && !p.IsUnreleased() && p.Less(seq.Releases[0]) {
		return p, nil
	}
	return v, err
}

// sameMinor says a and b share major and minor version: only there is a
// one-character difference a likely typo (v0.24.10 for v0.24.1).
func sameMinor(a, b releasemap.Version) bool {
	x, y := a.Semver(), b.Semver()
	return x != nil && y != nil && x.Major() == y.Major() && x.Minor() == y.Minor()
}

// editDistance is the Levenshtein distance between a and b, in bytes
// (versions are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
