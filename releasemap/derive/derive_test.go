package derive

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/releasemap/gitscan"
)

// history is the shape real application repositories have:
//
//	main:        v0.1.0 (d1) - v0.2.0 (d3) - v0.3.0 (d8) - merge feature (d9) - pick backport (d10) - rename (d11) = v0.4.0 - drop 001 (d12) - v0.5.0 (d15) - head
//	feature:     from v0.2.0, 005-feature committed d4, merged d9 (after v0.3.0)
//	maintenance: from v0.2.0, 003-backport (d5) = v0.2.1, 004-maint-only (d6) = v0.2.2
//
// plus a script added and deleted between releases, and an unreleased one.
// The back-port is edited on main after v0.2.1: its hash must be v0.2.1's.
func history() *gitscan.Result {
	main := func(ancestors ...string) []string { return ancestors }
	return result(
		files("003-backport.ts=backport edited", "005-feature.ts", "008-second.ts", "users/002-users.ts=users", "006-unreleased.ts"),
		[]gitscan.Release{
			rel("v0.1.0", "", 1, nil, files("001-init.ts")),
			rel("v0.2.0", "", 3, main("v0.1.0"), files("001-init.ts", "002-users.ts=users")),
			rel("v0.2.1", "", 5, main("v0.1.0", "v0.2.0"), files("001-init.ts", "002-users.ts=users", "003-backport.ts=backport")),
			rel("v0.2.2", "", 6, main("v0.1.0", "v0.2.0", "v0.2.1"), files("001-init.ts", "002-users.ts=users", "003-backport.ts=backport", "004-maint-only.ts")),
			rel("v0.3.0", "", 8, main("v0.1.0", "v0.2.0"), files("001-init.ts", "002-users.ts=users")),
			rel("v0.4.0", "", 11, main("v0.1.0", "v0.2.0", "v0.3.0"), files("001-init.ts", "003-backport.ts=backport", "005-feature.ts", "008-second.ts", "users/002-users.ts=users")),
			rel("v0.5.0", "", 15, main("v0.1.0", "v0.2.0", "v0.3.0", "v0.4.0"), files("003-backport.ts=backport edited", "005-feature.ts", "008-second.ts", "users/002-users.ts=users")),
		},
		script("001-init.ts", add("c1", 1, true)),
		script("002-users.ts", add("c2", 2, true)),
		script("003-backport.ts", add("m1", 5, false), add("pick", 10, true)),
		script("004-maint-only.ts", add("m2", 6, false)),
		script("005-feature.ts", add("f1", 4, true)),
		script("006-unreleased.ts", add("c7", 20, true)),
		script("007-gone.ts", add("g1", 12, true)),
		script("008-second.ts", add("s1", 9, true)),
		script("users/002-users.ts", gitscan.Add{Commit: "ren", Date: day(11), OnDefaultBranch: true, RenamedFrom: "002-users.ts"}),
	)
}

func TestBuildNewMap(t *testing.T) {
	tests := []struct {
		by            By
		want          string
		disagreements []Disagreement
	}{
		{ByAncestry, `v0.1.0
  001-init.ts removed_in=v0.5.0
v0.2.0 <v0.1.0>
  002-users.ts path=users/002-users.ts renamed_from=[002-users.ts]
v0.2.1 <v0.2.0>
  003-backport.ts first_in=[v0.2.1 v0.4.0]
v0.2.2 <v0.2.1>
  004-maint-only.ts
v0.3.0 <v0.2.0>
v0.4.0 <v0.3.0>
  005-feature.ts
  008-second.ts
v0.5.0 <v0.4.0>
unreleased
  006-unreleased.ts
`, []Disagreement{{"005-feature.ts", "v0.4.0", "v0.3.0", "v0.2.1, tagged first after it, is on another line of history"}}},
		// By date the feature script lands in the first release tagged
		// after its commit on its own line of history: v0.3.0 (v0.2.1,
		// tagged earlier, is a maintenance release that never had it, and
		// the report says it was passed over); the lineage still says
		// where it really came from.
		{ByDate, `v0.1.0
  001-init.ts removed_in=v0.5.0
v0.2.0 <v0.1.0>
  002-users.ts path=users/002-users.ts renamed_from=[002-users.ts]
v0.2.1 <v0.2.0>
  003-backport.ts first_in=[v0.2.1 v0.4.0]
v0.2.2 <v0.2.1>
  004-maint-only.ts
v0.3.0 <v0.2.0>
  005-feature.ts first_in=[v0.4.0]
v0.4.0 <v0.3.0>
  008-second.ts
v0.5.0 <v0.4.0>
unreleased
  006-unreleased.ts
`, []Disagreement{{"005-feature.ts", "v0.4.0", "v0.3.0", "v0.2.1, tagged first after it, is on another line of history"}}},
	}
	for _, tt := range tests {
		t.Run(string(tt.by), func(t *testing.T) {
			m, rep := build(t, history(), nil, tt.by)
			if got := outline(m); got != tt.want {
				t.Errorf("map:\n%s\nwant:\n%s", got, tt.want)
			}
			if !reflect.DeepEqual(rep.Disagreements, tt.disagreements) {
				t.Errorf("disagreements = %+v, want %+v", rep.Disagreements, tt.disagreements)
			}
			if w := warnings(rep); len(w) > 0 {
				t.Errorf("warnings on a new map: %q", w)
			}
			if !slices.Equal(rep.Ignored, []string{"007-gone.ts"}) {
				t.Errorf("ignored = %v", rep.Ignored)
			}
			wantRemoved := []Removed{{"001-init.ts", "v0.5.0"}}
			if !reflect.DeepEqual(rep.Removed, wantRemoved) {
				t.Errorf("removed = %+v", rep.Removed)
			}
			if len(rep.New) != 7 || rep.By != tt.by {
				t.Errorf("report = %s", rep)
			}
		})
	}
}

func TestBuildDerivedFields(t *testing.T) {
	m, rep := build(t, history(), nil, ByAncestry)
	bp := find(m, "003-backport.ts")
	// The first adding commit, in UTC RFC 3339; the content at v0.2.1's
	// tag, not the edited one at the tip.
	if bp.Commit != "m1" || bp.Added != "2023-01-06T12:00:00Z" || bp.SHA256 != sum("backport") {
		t.Errorf("back-port = commit %s added %s sha256 %s", bp.Commit, bp.Added, bp.SHA256)
	}
	// The rename keeps the id and the first commit of the old path.
	if u := find(m, "002-users.ts"); u.Commit != "c2" || u.SHA256 != sum("users") {
		t.Errorf("renamed = %+v", u)
	}
	// The unreleased script hashes as the tip has it.
	if u := find(m, "006-unreleased.ts"); u.SHA256 != sum("006-unreleased.ts") || u.Added != "2023-01-21T12:00:00Z" {
		t.Errorf("unreleased = %+v", u)
	}
	if r := m.Releases[2]; r.Tag != "v0.2.1" || r.Date != "2023-01-06" {
		t.Errorf("release = %s tag %s date %s", r.Version, r.Tag, r.Date)
	}
	// Every adding commit is reported, cherry-picks included.
	for _, s := range rep.Scripts {
		if s.ID != "003-backport.ts" {
			continue
		}
		var commits []string
		for _, a := range s.Adds {
			commits = append(commits, a.Commit)
		}
		if !slices.Equal(commits, []string{"m1", "pick"}) || s.ByAncestry != "v0.2.1" || s.ByDate != "v0.2.1" {
			t.Errorf("back-port report = %+v", s)
		}
	}
}

// The lineage Build records drives `between`: side-line-only scripts are
// left out, back-ports run where the target's line first carried them.
func TestBuildLineageDrivesBetween(t *testing.T) {
	m, _ := build(t, history(), nil, ByAncestry)
	seq, err := m.Sequence()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from, to string
		want     []string
		leftOut  []string
	}{
		{"v0.2.0", "v0.5.0", []string{"v0.2.1 003-backport.ts via v0.4.0", "v0.4.0 005-feature.ts", "v0.4.0 008-second.ts"}, []string{"004-maint-only.ts"}},
		{"v0.2.1", "v0.5.0", []string{"v0.4.0 005-feature.ts", "v0.4.0 008-second.ts"}, []string{"004-maint-only.ts"}},
		{"v0.2.0", "v0.2.2", []string{"v0.2.1 003-backport.ts", "v0.2.2 004-maint-only.ts"}, nil},
		{"v0.1.0", "v0.3.0", []string{"v0.2.0 002-users.ts"}, []string{"003-backport.ts", "004-maint-only.ts"}},
		// Deleted in v0.5.0, still part of an upgrade from before it.
		{"v0.0.0", "v0.5.0", []string{"v0.1.0 001-init.ts", "v0.2.0 002-users.ts", "v0.2.1 003-backport.ts via v0.4.0", "v0.4.0 005-feature.ts", "v0.4.0 008-second.ts"}, []string{"004-maint-only.ts"}},
	}
	for _, tt := range tests {
		t.Run(tt.from+".."+tt.to, func(t *testing.T) {
			rg, err := seq.Between(releasemap.MustParseVersion(tt.from), releasemap.MustParseVersion(tt.to))
			if err != nil {
				t.Fatal(err)
			}
			var got, left []string
			for _, e := range rg.Entries {
				s := e.Release.String() + " " + e.Migration.ID
				if !e.Via.IsZero() {
					s += " via " + e.Via.String()
				}
				got = append(got, s)
			}
			for _, l := range rg.LeftOut {
				left = append(left, l.ID)
			}
			if !slices.Equal(got, tt.want) || !slices.Equal(left, tt.leftOut) {
				t.Errorf("got %q left out %q, want %q left out %q", got, left, tt.want, tt.leftOut)
			}
		})
	}
}

func TestBuildEdgeCases(t *testing.T) {
	tests := []struct {
		name     string
		scan     *gitscan.Result
		existing string
		want     string
		warnings []string
	}{
		{
			// A stray tag years older than the rest: v0.1.0 descends from
			// v1.0.1. Parents must be lower releases, and first_in is
			// computed against that same lineage.
			name: "stray tag",
			scan: result(files("a.ts", "b.ts"), []gitscan.Release{
				rel("v0.1.0", "", 5, []string{"v1.0.1"}, files("a.ts")),
				rel("v0.2.0", "", 6, []string{"v0.1.0", "v1.0.1"}, files("a.ts", "b.ts")),
				rel("v1.0.1", "", 1, nil, files("a.ts")),
			}, script("a.ts", add("a", 0, true)), script("b.ts", add("b", 6, true))),
			want: "v0.1.0\n  a.ts first_in=[v0.1.0 v1.0.1]\nv0.2.0 <v0.1.0>\n  b.ts\nv1.0.1\n",
		},
		{
			name: "deleted on the default branch after the last release",
			scan: result(files("b.ts"), []gitscan.Release{
				rel("v1.0.0", "", 2, nil, files("a.ts", "b.ts")),
			}, script("a.ts", add("a", 1, true)), script("b.ts", add("b", 1, true))),
			want: "v1.0.0\n  a.ts removed_in=unreleased\n  b.ts\n",
		},
		{
			// Tags with a prefix name their releases as written; the map's
			// prefix parses them.
			name:     "prefixed tags",
			existing: "relmig: 1\ntags: { match: \"api@*\", prefix: \"api@\" }\nreleases: []\n",
			scan: result(files("a.ts", "b.ts"), []gitscan.Release{
				rel("api@1.4.0", "api@", 2, nil, files("a.ts")),
				rel("api@v1.5.0", "api@", 3, []string{"api@1.4.0"}, files("a.ts", "b.ts")),
			}, script("a.ts", add("a", 1, true)), script("b.ts", add("b", 3, true))),
			want: "api@1.4.0\n  a.ts\napi@v1.5.0 <api@1.4.0>\n  b.ts\n",
		},
		{
			// The hand map spells the version differently: it keeps its
			// spelling, and lineage uses it.
			name:     "existing spelling of a version",
			existing: "relmig: 1\nreleases:\n  - version: 1.0.0\n    migrations: []\n",
			scan: result(files("a.ts", "b.ts"), []gitscan.Release{
				rel("v1.0.0", "", 2, nil, files("a.ts")),
				rel("v1.1.0", "", 3, []string{"v1.0.0"}, files("a.ts", "b.ts")),
			}, script("a.ts", add("a", 1, true)), script("b.ts", add("b", 3, true))),
			want: "1.0.0\n  a.ts\nv1.1.0 <1.0.0>\n  b.ts\n",
		},
		{
			// The hand map gave y.ts the id x.ts; git also has a script at
			// x.ts, which cannot take the same id.
			name:     "id taken by another script",
			existing: "relmig: 1\nreleases:\n  - version: v1.0.0\n    migrations:\n      - id: x.ts\n        path: y.ts\n",
			scan: result(files("x.ts", "y.ts"), []gitscan.Release{
				rel("v1.0.0", "", 2, nil, files("x.ts", "y.ts")),
			}, script("x.ts", add("x", 1, true)), script("y.ts", add("y", 1, true))),
			want:     "v1.0.0\n  x.ts path=y.ts\n",
			warnings: []string{"x.ts: the map uses this id for another script; script x.ts left out (give one of them another id)"},
		},
		{
			name: "no tags yet",
			scan: result(files("a.ts"), nil, script("a.ts", add("a", 1, true))),
			want: "unreleased\n  a.ts\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var existing *releasemap.Map
			if tt.existing != "" {
				existing = parseMap(t, tt.existing)
			}
			m, rep := build(t, tt.scan, existing, ByAncestry)
			if got := outline(m); got != tt.want {
				t.Errorf("map:\n%s\nwant:\n%s", got, tt.want)
			}
			if got := warnings(rep); !slices.Equal(got, tt.warnings) {
				t.Errorf("warnings = %q, want %q", got, tt.warnings)
			}
		})
	}
}

func TestBuildRejects(t *testing.T) {
	ctx := context.Background()
	if _, _, err := Build(ctx, history(), nil, Options{By: "vibes"}); !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), `"vibes"`) {
		t.Errorf("bad By: err = %v", err)
	}
	if _, _, err := Build(ctx, nil, nil, Options{}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("nil scan: err = %v", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := Build(canceled, history(), nil, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: err = %v", err)
	}
}

func TestParseBy(t *testing.T) {
	for in, want := range map[string]By{"": ByAncestry, "ancestry": ByAncestry, "date": ByDate} {
		if got, err := ParseBy(in); err != nil || got != want {
			t.Errorf("ParseBy(%q) = %q, %v", in, got, err)
		}
	}
}
