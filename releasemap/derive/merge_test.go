package derive

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/relmig/relmig/releasemap/releasemaptest"
)

// handMap sets every hand-written field, moves a script to the wrong
// release, reorders a release, and names scripts git never kept.
var handMap = `relmig: 1
repo: ../app
dir: apps/api/migrations
tags: { match: "v*", prefix: "v", prereleases: true }
include: ["**/*.ts"]
exclude: ["**/*.spec.*"]
order: added
runner:
  command: "node {path}"
  shell: true
  workdir: release
  setup: "npm ci"
  env: { MONGO_URL: "{uri}" }
  timeout: 30m
  setup_timeout: 2h
  done_marker: "^done$"
requires: { env: [JWT_SECRET] }
releases:
  - version: v0.2.0
    migrations:
      - id: 001-init.ts
      - id: 002-users.ts
        description: Users
        commit: c2
        sha256: ` + sum("users") + `
        idempotent: true
        requires: { env: [REDIS_HOST], reachable: ["{env.REDIS_HOST}:6379"] }
        after: [001-init.ts]
        before: v2.0.0
        pre: [ { collection: users, filter: { admin: true }, min: 1 } ]
        post: [ { collection: users, max: 0 } ]
        command: "node --check {path}"
        shell: false
        workdir: current
        setup: "make"
        env: { A: "b" }
        timeout: 1m
        setup_timeout: 20m
        done_marker: "ok"
        cwd: apps/api
        toolchain: auto
        node: "16.15.1"
        package_manager: pnpm@7.33.4
        noop: only exports a function
  - version: v0.2.1
    migrations:
      - id: 003-backport.ts
        commit: deadbeefdeadbeefdeadbeefdeadbeefdeadbeef
        sha256: ` + strings.Repeat("0", 64) + `
  - version: v0.4.0
    migrations:
      - id: 008-second.ts
        description: second, listed first by hand
      - id: 005-feature.ts
  - version: v0.8.0
    migrations: []
  - version: v0.9.0
    migrations:
      - id: ghost.ts
        description: never in git
unreleased:
  - id: 007-gone.ts
`

func TestMergeKeepsEveryHandWrittenField(t *testing.T) {
	existing := parseMap(t, handMap)
	m, rep := build(t, history(), existing, ByAncestry)

	// Top level: every setting survives as written.
	before := releasemaptest.Fields(reflect.ValueOf(*existing), []string{"Releases", "Unreleased"})
	after := releasemaptest.Fields(reflect.ValueOf(*m), []string{"Releases", "Unreleased"})
	for name, v := range before {
		if v.IsZero() {
			t.Errorf("the hand map leaves top-level %s unset: set it so this test covers it", name)
		}
		if !reflect.DeepEqual(v.Interface(), after[name].Interface()) {
			t.Errorf("top-level %s = %v, want %v", name, after[name], v)
		}
	}

	// One migration with every hand field: all survive the rebuild.
	old := parseMap(t, handMap).Releases[0].Migrations[1]
	got := find(m, "002-users.ts")
	before = releasemaptest.Fields(reflect.ValueOf(old), releasemaptest.DerivedFields())
	after = releasemaptest.Fields(reflect.ValueOf(*got), releasemaptest.DerivedFields())
	for name, v := range before {
		if v.IsZero() {
			t.Errorf("the hand map leaves %s unset: set it so this test covers it", name)
		}
		if !reflect.DeepEqual(v.Interface(), after[name].Interface()) {
			t.Errorf("%s = %v, want %v", name, after[name], v)
		}
	}
	// ... and its derived fields are refreshed.
	if got.Path != "users/002-users.ts" || !slices.Equal(got.RenamedFrom, []string{"002-users.ts"}) || got.Added == "" {
		t.Errorf("derived fields not refreshed: %+v", got)
	}

	want := `v0.1.0
  001-init.ts removed_in=v0.5.0
v0.2.0 <v0.1.0>
  002-users.ts path=users/002-users.ts renamed_from=[002-users.ts]
v0.2.1 <v0.2.0>
  003-backport.ts first_in=[v0.2.1 v0.4.0]
v0.2.2 <v0.2.1>
  004-maint-only.ts
v0.3.0 <v0.2.0>
v0.4.0 <v0.3.0>
  008-second.ts
  005-feature.ts
v0.5.0 <v0.4.0>
v0.9.0
  ghost.ts
unreleased
  007-gone.ts
  006-unreleased.ts
`
	if got := outline(m); got != want {
		t.Errorf("map:\n%s\nwant:\n%s", got, want)
	}
	wantWarnings := []string{
		"release v0.8.0: dropped: no release tag names it and no migration is left in it",
		"release v0.9.0: kept for its migrations, although no release tag names it",
		"001-init.ts: release changed from v0.2.0 to v0.1.0",
		"002-users.ts: path changed from 002-users.ts to users/002-users.ts",
		"003-backport.ts: sha256 changed from 000000000000 to " + sum("backport")[:12],
		"003-backport.ts: commit changed from deadbeefdead to m1",
		"007-gone.ts: kept as written: git history added 007-gone.ts and deleted it before any release",
		"ghost.ts: kept as written: git history has no script at ghost.ts",
	}
	if got := warnings(rep); !slices.Equal(got, wantWarnings) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantWarnings, "\n"))
	}
	if !slices.Equal(rep.New, []string{"004-maint-only.ts", "006-unreleased.ts"}) {
		t.Errorf("new = %v", rep.New)
	}
	if !slices.Equal(rep.Changed, []string{"001-init.ts", "002-users.ts", "003-backport.ts"}) {
		t.Errorf("changed = %v", rep.Changed)
	}
	// The existing map is left alone.
	if existing.Releases[0].Migrations[1].Path != "" || len(existing.Releases) != 5 {
		t.Error("Build modified the existing map")
	}
}

// A second build over its own output changes nothing and warns about
// nothing: the map is a fixed point.
func TestRebuildIsStable(t *testing.T) {
	for _, by := range []By{ByAncestry, ByDate} {
		first, _ := build(t, history(), nil, by)
		data, err := first.Marshal(nil)
		if err != nil {
			t.Fatal(err)
		}
		second, rep := build(t, history(), parseMap(t, string(data)), by)
		again, err := second.Marshal(data)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(data) {
			t.Errorf("by %s: rebuild changed the map:\n%s\nwas:\n%s", by, again, data)
		}
		if len(rep.Warnings)+len(rep.New)+len(rep.Changed) > 0 {
			t.Errorf("by %s: rebuild reported %s: %q", by, rep, warnings(rep))
		}
	}
}

func TestMergeMovesUnreleasedWithoutWarning(t *testing.T) {
	existing := parseMap(t, "relmig: 1\nreleases: []\nunreleased:\n  - id: 005-feature.ts\n    description: was next\n")
	m, rep := build(t, history(), existing, ByAncestry)
	if g := find(m, "005-feature.ts"); g == nil || g.Description != "was next" || m.Releases[5].Migrations[0].ID != "005-feature.ts" {
		t.Errorf("released script = %+v", g)
	}
	if len(rep.Warnings) > 0 || slices.Contains(rep.New, "005-feature.ts") {
		t.Errorf("report = %s %q", rep, warnings(rep))
	}
}
