package releasemap

import (
	"fmt"
	"sort"
	"strings"
)

// Range is what an upgrade from one version to another must run.
type Range struct {
	From, To Version
	// Entries are the migrations to run, in run order.
	Entries []RangeEntry
	// LeftOut are migrations whose release lies in the range by semver but
	// that only a side line of history carries (SPEC §3.1).
	LeftOut []LeftOut
}

// RangeEntry is one migration of a Range. Via is set when the migration is
// part of the upgrade through a later release than its own: its own release
// is on a side line (a back-port) and Via is the first release on the
// target's history that carried it; it runs in Via's place in the order.
type RangeEntry struct {
	Entry
	Via Version
}

// LeftOut is a migration that an upgrade does not run, and why.
type LeftOut struct {
	ID      string
	Release Version
	Reason  string
}

// buildAncestry computes, for every release, the releases on its own
// history (itself included), from the parents recorded by `map build`.
func (s *Sequence) buildAncestry() {
	if !s.lineage {
		return
	}
	s.ancestry = make(map[string]map[string]bool, len(s.Releases))
	var walk func(r string) map[string]bool
	walk = func(r string) map[string]bool {
		if a, ok := s.ancestry[r]; ok {
			return a
		}
		a := map[string]bool{r: true}
		s.ancestry[r] = a // guards against a (malformed) parent cycle
		for _, p := range s.parents[r] {
			for q := range walk(p) {
				a[q] = true
			}
		}
		return a
	}
	for _, v := range s.Releases {
		walk(v.String())
	}
}

// proxy returns the release whose history stands for version v: the highest
// release at or below it. ok is false when v is below every release.
func (s *Sequence) proxy(v Version) (Version, bool) {
	i := sort.Search(len(s.Releases), func(i int) bool { return v.Less(s.Releases[i]) })
	if i == 0 {
		return Version{}, false
	}
	return s.Releases[i-1], true
}

// carriedBy returns whether an application at version v contains the
// migration of entry e, and through which release it first got there.
func (s *Sequence) carriedBy(e Entry, v Version) (Version, bool) {
	if e.Release.IsUnreleased() {
		return e.Release, v.IsUnreleased()
	}
	entries := s.firstIn[e.Migration.ID]
	if len(entries) == 0 {
		entries = []Version{e.Release}
	}
	if !s.lineage {
		// One straight line: everything released at or below v is in v.
		if !v.Less(e.Release) {
			return e.Release, true
		}
		return Version{}, false
	}
	p, ok := s.proxy(v)
	if !ok {
		return Version{}, false
	}
	hist := s.ancestry[p.String()]
	var best Version
	found := false
	for _, f := range entries {
		if hist[f.String()] && (!found || f.Less(best)) {
			best, found = f, true
		}
	}
	return best, found
}

// Between returns the migrations an upgrade from `from` to `to` must run:
// those the application at `to` carries and the one at `from` does not, in
// run order. On a map without lineage that is every migration whose release
// R satisfies from < R ≤ to. `to` may be Unreleased. from ≥ to is an error
// wrapping ErrBadRange: there are no down migrations.
func (s *Sequence) Between(from, to Version) (*Range, error) {
	if from.IsUnreleased() {
		return nil, fmt.Errorf("nothing comes after %s; %w", from, ErrBadRange)
	}
	if !from.Less(to) {
		return nil, fmt.Errorf("%s is not below %s; %w", from, to, ErrBadRange)
	}
	return s.upgrade(&from, to), nil
}

// UpTo returns every migration the application at `to` carries, in run
// order: what a database must have applied to be at `to`.
func (s *Sequence) UpTo(to Version) *Range {
	return s.upgrade(nil, to)
}

// Carries reports whether the application at version v contains the
// migration with this id.
func (s *Sequence) Carries(id string, v Version) bool {
	e, ok := s.Lookup(id)
	if !ok {
		return false
	}
	_, in := s.carriedBy(e, v)
	return in
}

func (s *Sequence) upgrade(from *Version, to Version) *Range {
	rg := &Range{To: to}
	if from != nil {
		rg.From = *from
	}
	for _, e := range s.Entries {
		via, inTo := s.carriedBy(e, to)
		inFrom := false
		if from != nil {
			_, inFrom = s.carriedBy(e, *from)
		}
		switch {
		case inTo && !inFrom:
			re := RangeEntry{Entry: e}
			if via.Compare(e.Release) != 0 {
				re.Via = via
			}
			rg.Entries = append(rg.Entries, re)
		case !inTo && !inFrom && (from == nil || from.Less(e.Release)) && !to.Less(e.Release):
			rg.LeftOut = append(rg.LeftOut, LeftOut{
				ID: e.Migration.ID, Release: e.Release,
				Reason: fmt.Sprintf("only a side line carries it: no release on %s's history contains it", to),
			})
		}
	}
	// Back-ported migrations run where the target's line first carried them.
	sort.SliceStable(rg.Entries, func(i, j int) bool {
		return rg.Entries[i].RunsAt().Less(rg.Entries[j].RunsAt())
	})
	return rg
}

// RunsAt is the release whose place in the order the entry takes: Via
// when set, else its own release.
func (e RangeEntry) RunsAt() Version {
	if !e.Via.IsZero() {
		return e.Via
	}
	return e.Release
}

// Notes returns the short notes a table shows for a migration: what it
// requires and which constraints it carries.
func (g *Migration) Notes(defaults Runner) []string {
	var notes []string
	if g.Noop != "" {
		notes = append(notes, "does nothing: recorded as skipped ("+g.Noop+")")
	}
	for _, e := range g.Requires.Env {
		notes = append(notes, "needs "+e)
	}
	for _, r := range g.Requires.Reachable {
		notes = append(notes, "reaches "+r)
	}
	if len(g.After) > 0 {
		notes = append(notes, "after "+strings.Join(g.After, ", "))
	}
	if g.Before != "" {
		notes = append(notes, "must run before "+g.Before)
	}
	if g.Idempotent {
		notes = append(notes, "idempotent")
	}
	if n := len(g.Pre); n > 0 {
		notes = append(notes, fmt.Sprintf("%d pre check(s)", n))
	}
	if n := len(g.Post); n > 0 {
		notes = append(notes, fmt.Sprintf("%d post check(s)", n))
	}
	if g.Effective(defaults).DoneMarker != "" {
		notes = append(notes, "never exits: done marker")
	}
	if g.RemovedIn != "" {
		notes = append(notes, "removed in "+g.RemovedIn+": runs from its release's checkout")
	}
	if len(g.RenamedFrom) > 0 {
		notes = append(notes, "renamed from "+strings.Join(g.RenamedFrom, ", "))
	}
	return notes
}
