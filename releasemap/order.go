package releasemap

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Entry is one migration in run order, with the release that introduced it.
type Entry struct {
	Migration *Migration
	Release   Version
}

// Sequence is a map compiled for planning: releases sorted by semver
// precedence, and every migration (unreleased last) in run order.
type Sequence struct {
	// Releases are the map's releases, ascending.
	Releases []Version
	// Entries are all migrations in run order.
	Entries []Entry
	// Runner is the map's runner defaults.
	Runner Runner
	// TagPrefix is the map's tag prefix, for parsing versions it names.
	TagPrefix string

	byID     map[string]int       // id → index in Entries
	parents  map[string][]string  // release (as written) → parent releases
	lineage  bool                 // whether any release has parents
	firstIn  map[string][]Version // id → first releases carrying it, per line
	released map[string]Version   // release as written → parsed
	tags     map[string]string    // release as written → its git tag
	ancestry map[string]map[string]bool
}

// CycleError names a cycle of `after` constraints inside one release.
type CycleError struct {
	Release string
	IDs     []string // the cycle, first id repeated at the end
}

func (e *CycleError) Error() string {
	return fmt.Sprintf("after constraints form a cycle in %s: %s", e.Release, strings.Join(e.IDs, " -> "))
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *CycleError) Unwrap() error { return ErrInvalid }

// Sequence compiles the map for planning. It fails on what would make the
// order ambiguous: bad or duplicate versions, duplicate ids, and cycles. Run
// Validate for the full list of problems.
func (m *Map) Sequence() (*Sequence, error) {
	s := &Sequence{
		Runner:    m.Runner,
		TagPrefix: m.Tags.Prefix,
		byID:      map[string]int{},
		parents:   map[string][]string{},
		firstIn:   map[string][]Version{},
		released:  map[string]Version{},
		tags:      map[string]string{},
	}
	type rel struct {
		v Version
		r *Release
	}
	rels := make([]rel, 0, len(m.Releases))
	for i := range m.Releases {
		r := &m.Releases[i]
		v, err := ParseVersion(r.Version, m.Tags.Prefix)
		if err != nil {
			return nil, fmt.Errorf("%s: release %w", m.locate(r.line), err)
		}
		if v.IsUnreleased() {
			return nil, fmt.Errorf("%s: %q is not a release version: %w", m.locate(r.line), r.Version, ErrInvalid)
		}
		if _, dup := s.released[r.Version]; dup {
			return nil, fmt.Errorf("%s: release %s appears twice: %w", m.locate(r.line), r.Version, ErrInvalid)
		}
		s.released[r.Version] = v
		s.tags[r.Version] = r.Tag
		if r.Tag == "" {
			s.tags[r.Version] = r.Version
		}
		rels = append(rels, rel{v, r})
		if len(r.Parents) > 0 {
			s.lineage = true
			s.parents[r.Version] = r.Parents
		}
	}
	sort.SliceStable(rels, func(i, j int) bool { return rels[i].v.Less(rels[j].v) })
	for i := 1; i < len(rels); i++ {
		if rels[i].v.Compare(rels[i-1].v) == 0 {
			return nil, fmt.Errorf("%s: releases %s and %s have the same precedence: %w",
				m.locate(rels[i].r.line), rels[i-1].r.Version, rels[i].r.Version, ErrInvalid)
		}
	}
	for _, r := range rels {
		s.Releases = append(s.Releases, r.v)
		ordered, err := orderRelease(r.r.Version, r.r.Migrations)
		if err != nil {
			return nil, err
		}
		if err := s.append(m, r.v, ordered); err != nil {
			return nil, err
		}
	}
	unrel, err := orderRelease(Unreleased, m.Unreleased)
	if err != nil {
		return nil, err
	}
	if err := s.append(m, Version{raw: Unreleased}, unrel); err != nil {
		return nil, err
	}
	s.buildAncestry()
	return s, nil
}

func (m *Map) locate(line int) string {
	return Problem{File: m.file, Line: line}.String()
}

func (s *Sequence) append(m *Map, v Version, ms []*Migration) error {
	for _, g := range ms {
		if g.ID == "" {
			return fmt.Errorf("%s: migration without id: %w", m.locate(g.line), ErrInvalid)
		}
		if _, dup := s.byID[g.ID]; dup {
			return fmt.Errorf("%s: duplicate id %q: %w", m.locate(g.line), g.ID, ErrInvalid)
		}
		if !m.Requires.IsZero() {
			// The map-wide requires apply to every migration: the planner,
			// the runner's preflight and every view see them merged.
			merged := *g
			merged.Requires = g.EffectiveRequires(m.Requires)
			g = &merged
		}
		s.byID[g.ID] = len(s.Entries)
		s.Entries = append(s.Entries, Entry{Migration: g, Release: v})
		for _, f := range g.FirstIn {
			fv, err := ParseVersion(f, m.Tags.Prefix)
			if err != nil {
				return fmt.Errorf("%s: first_in %w", m.locate(g.lineOf("first_in")), err)
			}
			s.firstIn[g.ID] = append(s.firstIn[g.ID], fv)
		}
	}
	return nil
}

// orderRelease returns one release's migrations with `after` constraints
// between them honoured: a stable topological order that keeps the map's
// order wherever the constraints allow. Constraints naming migrations of
// other releases are release order's business, not this function's.
func orderRelease(release string, ms []Migration) ([]*Migration, error) {
	index := make(map[string]int, len(ms))
	for i := range ms {
		if _, dup := index[ms[i].ID]; !dup {
			index[ms[i].ID] = i
		}
	}
	indeg := make([]int, len(ms))
	next := make([][]int, len(ms))
	for i := range ms {
		for _, dep := range ms[i].After {
			if j, ok := index[dep]; ok && j != i {
				indeg[i]++
				next[j] = append(next[j], i)
			}
		}
	}
	out := make([]*Migration, 0, len(ms))
	done := make([]bool, len(ms))
	// Quadratic in a release's size, which is tens of migrations at most; in
	// exchange the rule is obvious: always take the first ready one.
	for len(out) < len(ms) {
		picked := -1
		for i := range ms {
			if !done[i] && indeg[i] == 0 {
				picked = i
				break
			}
		}
		if picked < 0 {
			return nil, &CycleError{Release: release, IDs: findCycle(ms, index, done)}
		}
		done[picked] = true
		out = append(out, &ms[picked])
		for _, n := range next[picked] {
			indeg[n]--
		}
	}
	return out, nil
}

// findCycle returns one cycle among the migrations not yet placed.
func findCycle(ms []Migration, index map[string]int, done []bool) []string {
	state := make([]int, len(ms)) // 0 new, 1 on stack, 2 finished
	var stack []int
	var cycle []string
	var visit func(i int) bool
	visit = func(i int) bool {
		state[i] = 1
		stack = append(stack, i)
		for _, dep := range ms[i].After {
			j, ok := index[dep]
			if !ok || done[j] || j == i {
				continue
			}
			if state[j] == 1 {
				k := len(stack) - 1
				for stack[k] != j {
					k--
				}
				for _, s := range stack[k:] {
					cycle = append(cycle, ms[s].ID)
				}
				cycle = append(cycle, ms[j].ID)
				// Reverse so the cycle reads in run-order direction:
				// "a -> b" means a must run before b.
				for l, r := 0, len(cycle)-1; l < r; l, r = l+1, r-1 {
					cycle[l], cycle[r] = cycle[r], cycle[l]
				}
				return true
			}
			if state[j] == 0 && visit(j) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = 2
		return false
	}
	for i := range ms {
		if !done[i] && state[i] == 0 && visit(i) {
			return cycle
		}
	}
	return nil
}

// Tag returns the git tag of release v: the map's `tag`, else the version
// as written (tags and versions are the same text unless a map says not).
// It returns "" for Unreleased and unknown versions.
func (s *Sequence) Tag(v Version) string {
	return s.tags[v.String()]
}

// Lookup returns the entry of a migration id.
func (s *Sequence) Lookup(id string) (Entry, bool) {
	i, ok := s.byID[id]
	if !ok {
		return Entry{}, false
	}
	return s.Entries[i], true
}

// Position returns the index of id in run order, -1 if unknown.
func (s *Sequence) Position(id string) int {
	if i, ok := s.byID[id]; ok {
		return i
	}
	return -1
}

// ErrBadRange is wrapped when FROM is not below TO.
var ErrBadRange = errors.New("there are no down migrations: FROM must be below TO")
