package derive

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"time"

	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/releasemap/gitscan"
)

// existingEntry is one migration of the existing map.
type existingEntry struct {
	g       *releasemap.Migration
	section string // its release as written, or releasemap.Unreleased
	order   int    // position in the map: keeps the hand order
	claimed bool   // a script of the scan took it over
}

// existingIndex finds the existing map's migrations by the paths they name
// and its releases by version.
type existingIndex struct {
	m       *releasemap.Map
	entries []*existingEntry
	byPath  map[string][]*existingEntry // by ScriptPath
	byOld   map[string][]*existingEntry // by renamed_from
	ids     map[string]bool
}

func indexExisting(m *releasemap.Map) *existingIndex {
	ex := &existingIndex{m: m, byPath: map[string][]*existingEntry{}, byOld: map[string][]*existingEntry{}, ids: map[string]bool{}}
	add := func(section string, ms []releasemap.Migration) {
		for i := range ms {
			e := &existingEntry{g: &ms[i], section: section, order: len(ex.entries)}
			ex.entries = append(ex.entries, e)
			ex.ids[e.g.ID] = true
			p := path.Clean(e.g.ScriptPath())
			ex.byPath[p] = append(ex.byPath[p], e)
			for _, old := range e.g.RenamedFrom {
				ex.byOld[path.Clean(old)] = append(ex.byOld[path.Clean(old)], e)
			}
		}
	}
	for i := range m.Releases {
		add(m.Releases[i].Version, m.Releases[i].Migrations)
	}
	add(releasemap.Unreleased, m.Unreleased)
	return ex
}

// releaseName is the version the map gives a release tag: the existing
// map's spelling of the same version when it has one, else the tag name,
// which parses with the map's tag prefix.
func (ex *existingIndex) releaseName(r *gitscan.Release) string {
	if r.Version != nil {
		for _, er := range ex.m.Releases {
			v, err := releasemap.ParseVersion(er.Version, ex.m.Tags.Prefix)
			if err == nil && v.Semver() != nil && v.Semver().Compare(r.Version) == 0 {
				return er.Version
			}
		}
	}
	return r.Tag
}

// claim returns the unclaimed existing migration that names one of the
// fact's paths (its file first, then a path it was renamed from), the
// earliest in the map when several do.
func (ex *existingIndex) claim(f *fact) *existingEntry {
	for _, idx := range []map[string][]*existingEntry{ex.byPath, ex.byOld} {
		var best *existingEntry
		for _, p := range f.paths {
			for _, e := range idx[p] {
				if !e.claimed && (best == nil || e.order < best.order) {
					best = e
				}
			}
		}
		if best != nil {
			best.claimed = true
			return best
		}
	}
	return nil
}

// placed is a migration of the built map and where it goes.
type placed struct {
	g       releasemap.Migration
	inPlace bool      // stays in the release it had: keeps its hand order
	order   int       // hand order when inPlace
	added   time.Time // for arrivals: the first add (zero sorts last)
	path    string
}

// merge builds the new map from the existing one and the facts.
func merge(existing *releasemap.Map, l *lineage, facts []*fact, ex *existingIndex) (*releasemap.Map, *Report) {
	rep := &Report{}
	sections := map[string][]placed{}
	for _, f := range facts {
		if f.release == "" {
			rep.Ignored = append(rep.Ignored, f.paths...)
			continue
		}
		e := ex.claim(f)
		var g releasemap.Migration
		if e != nil {
			g = *e.g // every hand-written field, including ones added later
		} else {
			if ex.ids[f.root] {
				rep.Warnings = append(rep.Warnings, Warning{ID: f.root, Message: fmt.Sprintf(
					"the map uses this id for another script; script %s left out (give one of them another id)", f.current)})
				continue
			}
			g = releasemap.Migration{ID: f.root}
			ex.ids[f.root] = true
			rep.New = append(rep.New, f.root)
		}
		f.apply(&g)
		if e != nil && e.section != releasemap.Unreleased {
			if ws := changes(e, &g, f); len(ws) > 0 {
				rep.Warnings = append(rep.Warnings, ws...)
				rep.Changed = append(rep.Changed, g.ID)
			}
		}
		if f.removedLate != "" {
			rep.Warnings = append(rep.Warnings, Warning{ID: g.ID, Message: fmt.Sprintf(
				"deleted in %s, which is not after its release %s: removed_in left out", f.removedLate, f.release)})
		}
		p := placed{g: g, path: f.current}
		if f.first != nil {
			p.added = f.first.Date
		}
		if e != nil && e.section == f.release {
			p.inPlace, p.order = true, e.order
		}
		sections[f.release] = append(sections[f.release], p)
		rep.Scripts = append(rep.Scripts, Script{ID: g.ID, Path: f.current, Release: f.release,
			ByAncestry: f.byAncestry, ByDate: f.byDate, Adds: f.adds})
		if f.byDate != "" && f.byDate != f.byAncestry {
			rep.Disagreements = append(rep.Disagreements, Disagreement{ID: g.ID, ByAncestry: f.byAncestry, ByDate: f.byDate, Note: f.dateNote})
		}
	}
	ignored := map[string]bool{}
	for _, p := range rep.Ignored {
		ignored[p] = true
	}
	for _, e := range ex.entries {
		if e.claimed {
			continue
		}
		if !existing.IsScript(path.Clean(e.g.ScriptPath())) {
			// The selection (include/exclude) no longer picks it: it
			// leaves the map, and the report says so.
			rep.Deselected = append(rep.Deselected, e.g.ID)
			continue
		}
		msg := "kept as written: git history has no script at " + e.g.ScriptPath()
		if ignored[path.Clean(e.g.ScriptPath())] {
			msg = "kept as written: git history added " + e.g.ScriptPath() + " and deleted it before any release"
		}
		rep.Warnings = append(rep.Warnings, Warning{ID: e.g.ID, Message: msg})
		sections[e.section] = append(sections[e.section], placed{g: *e.g, inPlace: true, order: e.order})
	}

	out := *existing // top-level settings and any field added later
	out.Relmig = max(out.Relmig, releasemap.FormatVersion)
	out.Releases, out.Unreleased = nil, nil
	rep.Order = existing.Order
	if rep.Order == "" {
		var all []string
		for _, ps := range sections {
			for _, p := range ps {
				all = append(all, p.g.ID)
			}
		}
		rep.Order, rep.OrderDetected = releasemap.DetectOrder(all), true
		out.Order = rep.Order
	}
	ordered := func(ps []placed) []releasemap.Migration { return ordered(ps, rep.Order) }
	known := map[string]bool{}
	for i, r := range l.rels {
		rel := releasemap.Release{Version: l.names[i]}
		if er := findRelease(existing, l.names[i]); er != nil {
			rel = *er
		}
		rel.Tag = r.Tag
		rel.Date = r.Date.UTC().Format(time.DateOnly)
		rel.Parents = l.parentNames(i)
		rel.Migrations = ordered(sections[l.names[i]])
		out.Releases = append(out.Releases, rel)
		known[l.names[i]] = true
	}
	out.Releases = append(out.Releases, extraReleases(existing, known, sections, rep, rep.Order)...)
	sortReleases(out.Releases, existing.Tags.Prefix)
	if u := ordered(sections[releasemap.Unreleased]); len(u) > 0 {
		out.Unreleased = u
	}
	rep.finish(&out)
	return &out, rep
}

// apply writes the derived fields of f into g, keeping everything else.
func (f *fact) apply(g *releasemap.Migration) {
	g.Path = ""
	if f.current != g.ID {
		g.Path = f.current
	}
	if f.first != nil {
		g.Commit = f.first.Commit
		g.Added = f.first.Date.UTC().Format(time.RFC3339)
	}
	if f.sha256 != "" {
		g.SHA256 = f.sha256
	}
	g.FirstIn = f.firstIn
	g.RemovedIn = f.removedIn
	g.RenamedFrom = nil
	for _, p := range f.paths {
		if p != f.current {
			g.RenamedFrom = append(g.RenamedFrom, p)
		}
	}
}

// changes reports the derived fields of a released migration that a
// rebuild changed. A field the old map left empty was not known, so filling
// it in is no change.
func changes(e *existingEntry, g *releasemap.Migration, f *fact) []Warning {
	var ws []Warning
	diff := func(field, was, is string) {
		if was != "" && was != is {
			ws = append(ws, Warning{ID: g.ID, Message: fmt.Sprintf("%s changed from %s to %s", field, short(was), short(is))})
		}
	}
	diff("release", e.section, f.release)
	diff("path", e.g.ScriptPath(), g.ScriptPath())
	diff("sha256", e.g.SHA256, g.SHA256)
	diff("commit", e.g.Commit, g.Commit)
	return ws
}

// short abbreviates hashes the way git does, so warnings stay one line.
func short(s string) string {
	if len(s) >= 40 && !slices.ContainsFunc([]byte(s), func(c byte) bool {
		return (c < '0' || c > '9') && (c < 'a' || c > 'f')
	}) {
		return s[:12]
	}
	return s
}

// ordered returns a release's migrations. With order: name, in the
// natural order of their ids; otherwise those that stay in the hand order,
// then arrivals by (added date, path).
func ordered(ps []placed, order string) []releasemap.Migration {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if order == releasemap.OrderName {
			return releasemap.CompareNames(a.g.ID, b.g.ID) < 0
		}
		if a.inPlace != b.inPlace {
			return a.inPlace
		}
		if a.inPlace {
			return a.order < b.order
		}
		if !a.added.Equal(b.added) {
			return !a.added.IsZero() && (b.added.IsZero() || a.added.Before(b.added))
		}
		return a.path < b.path
	})
	out := make([]releasemap.Migration, len(ps))
	for i := range ps {
		out[i] = ps[i].g
	}
	return out
}

func findRelease(m *releasemap.Map, version string) *releasemap.Release {
	for i := range m.Releases {
		if m.Releases[i].Version == version {
			return &m.Releases[i]
		}
	}
	return nil
}

// extraReleases returns the existing releases that no tag names: kept
// while migrations git does not know stay in them, dropped otherwise.
func extraReleases(existing *releasemap.Map, known map[string]bool, sections map[string][]placed, rep *Report, order string) []releasemap.Release {
	var out []releasemap.Release
	for _, er := range existing.Releases {
		if known[er.Version] {
			continue
		}
		known[er.Version] = true
		ms := ordered(sections[er.Version], order)
		if len(ms) == 0 {
			rep.Warnings = append(rep.Warnings, Warning{Release: er.Version, Message: "dropped: no release tag names it and no migration is left in it"})
			continue
		}
		rep.Warnings = append(rep.Warnings, Warning{Release: er.Version, Message: "kept for its migrations, although no release tag names it"})
		r := er
		r.Migrations = ms
		out = append(out, r)
	}
	return out
}

// sortReleases orders releases by semver precedence; versions that do not
// parse go last, as written (validation reports them).
func sortReleases(rs []releasemap.Release, prefix string) {
	parsed := make(map[string]releasemap.Version, len(rs))
	for _, r := range rs {
		if v, err := releasemap.ParseVersion(r.Version, prefix); err == nil && !v.IsUnreleased() {
			parsed[r.Version] = v
		}
	}
	sort.SliceStable(rs, func(i, j int) bool {
		a, aok := parsed[rs[i].Version]
		b, bok := parsed[rs[j].Version]
		if aok != bok {
			return aok
		}
		if !aok {
			return rs[i].Version < rs[j].Version
		}
		return a.Less(b)
	})
	// Parents must name releases of the map: a kept release may name one
	// that is gone.
	for i := range rs {
		var ps []string
		for _, p := range rs[i].Parents {
			if _, ok := parsed[p]; ok {
				ps = append(ps, p)
			}
		}
		rs[i].Parents = ps
	}
}

// finish sorts the report's lists and collects the removed migrations.
func (r *Report) finish(m *releasemap.Map) {
	collect := func(ms []releasemap.Migration) {
		for _, g := range ms {
			if g.RemovedIn != "" {
				r.Removed = append(r.Removed, Removed{ID: g.ID, RemovedIn: g.RemovedIn})
			}
		}
	}
	for _, rel := range m.Releases {
		collect(rel.Migrations)
	}
	collect(m.Unreleased)
	sort.Slice(r.Removed, func(i, j int) bool { return r.Removed[i].ID < r.Removed[j].ID })
	sort.Slice(r.Scripts, func(i, j int) bool { return r.Scripts[i].ID < r.Scripts[j].ID })
	sort.Slice(r.Disagreements, func(i, j int) bool { return r.Disagreements[i].ID < r.Disagreements[j].ID })
	sort.SliceStable(r.Warnings, func(i, j int) bool {
		if r.Warnings[i].ID != r.Warnings[j].ID {
			return r.Warnings[i].ID < r.Warnings[j].ID
		}
		return r.Warnings[i].Release < r.Warnings[j].Release
	})
	sort.Strings(r.New)
	sort.Strings(r.Changed)
	sort.Strings(r.Ignored)
	sort.Strings(r.Deselected)
}
