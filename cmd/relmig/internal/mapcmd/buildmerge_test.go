package mapcmd_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/relmig/relmig/releasemap/releasemaptest"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/releasemap"
)

// handMap is a map a person edited: every hand-written field set, comments,
// a reordered release, a script filed under the wrong release (as a table
// built from dates would), a wrong commit, and an id git never saw.
const handMap = `# Release map, edited by hand.
relmig: 1
dir: apps/api/migrations
tags: { match: "v*", prefix: "v" }
include: ["**/*.ts"]
exclude: ["**/*.spec.*", "**/*.d.ts"]
order: added
runner:
  # Plain node, from the release's checkout.
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
      # Users first: the hand order.
      - id: 002-users.migration.ts
        description: Users
        idempotent: true
        requires: { env: [REDIS_HOST], reachable: ["{env.REDIS_HOST}:6379"] }
        after: [001-init/001-init.migration.ts]
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
      - id: 001-init/001-init.migration.ts
        description: Init
  - version: v0.3.0
    migrations:
      - id: 005-feature.migration.ts # the date table's guess
        description: Feature
        commit: 0123456789abcdef0123456789abcdef01234567
unreleased:
  - id: ghost.ts
    description: never committed # never committed
`

func TestMapBuildKeepsEveryHandWrittenField(t *testing.T) {
	r := buildFixture(t)
	file := filepath.Join(r.Dir, "releasemap.yaml")
	if err := os.WriteFile(file, []byte(handMap), 0o644); err != nil {
		t.Fatal(err)
	}
	hand, err := releasemap.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := relmig(t, "map", "build", "--map", file, "--cache-dir", t.TempDir(), "--write")
	if code != cmdutil.ExitOK || stdout != "" {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	built, err := releasemap.Load(file)
	if err != nil {
		t.Fatal(err)
	}

	// Every top-level setting, as written.
	before := releasemaptest.Fields(reflect.ValueOf(*hand), []string{"Releases", "Unreleased", "Repo", "Tags"})
	after := releasemaptest.Fields(reflect.ValueOf(*built), []string{"Releases", "Unreleased", "Repo", "Tags"})
	for name, v := range before {
		if v.IsZero() {
			t.Errorf("the hand map leaves %s unset: set it so this test covers it", name)
		}
		if !reflect.DeepEqual(v.Interface(), after[name].Interface()) {
			t.Errorf("top-level %s = %#v, want %#v", name, after[name].Interface(), v.Interface())
		}
	}
	if built.Tags != hand.Tags || built.Repo != "" {
		t.Errorf("tags %+v repo %q, want %+v and none", built.Tags, built.Repo, hand.Tags)
	}

	// Every hand field of every migration survives; derived ones are
	// refreshed.
	for _, id := range []string{"002-users.migration.ts", "001-init/001-init.migration.ts", "005-feature.migration.ts", "ghost.ts"} {
		old, _ := releasemaptest.Find(hand, id)
		got, _ := releasemaptest.Find(built, id)
		if got == nil {
			t.Errorf("%s is gone", id)
			continue
		}
		before, after := releasemaptest.Fields(reflect.ValueOf(*old), releasemaptest.DerivedFields()), releasemaptest.Fields(reflect.ValueOf(*got), releasemaptest.DerivedFields())
		for name, v := range before {
			if id == "002-users.migration.ts" && v.IsZero() {
				t.Errorf("the hand map leaves %s unset on %s: set it so this test covers it", name, id)
			}
			// JSON compares values, not pointers or the line a check
			// was read from.
			want, _ := json.Marshal(v.Interface())
			have, _ := json.Marshal(after[name].Interface())
			if string(want) != string(have) {
				t.Errorf("%s: %s = %s, want %s", id, name, have, want)
			}
		}
	}
	users, rel := releasemaptest.Find(built, "002-users.migration.ts")
	if rel != "v0.2.0" || users.Path != "users/002-users.migration.ts" || users.Commit == "" || users.SHA256 == "" {
		t.Errorf("users = %s %+v", rel, users)
	}
	// The hand order inside v0.2.0 would be kept, but 001-init moved to
	// v0.1.0; 005-feature moved from the date table's v0.3.0 to v0.4.0.
	if _, rel := releasemaptest.Find(built, "001-init/001-init.migration.ts"); rel != "v0.1.0" {
		t.Errorf("001-init in %s", rel)
	}
	if f, rel := releasemaptest.Find(built, "005-feature.migration.ts"); rel != "v0.4.0" || f.Commit == "0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("feature in %s, commit %s", rel, f.Commit)
	}

	// Comments survive (save.go carries them by key, release version and
	// id: those on a migration that moved to another release are lost).
	data, _ := os.ReadFile(file)
	for _, c := range []string{"# Release map, edited by hand.", "# Plain node, from the release's checkout.", "# Users first: the hand order.", "# never committed"} {
		if !strings.Contains(string(data), c) {
			t.Errorf("comment %q lost:\n%s", c, data)
		}
	}
	// Every change of a released migration, and the unknown id, are warned
	// about.
	for _, w := range []string{
		"warning: 001-init/001-init.migration.ts: release changed from v0.2.0 to v0.1.0",
		"warning: 002-users.migration.ts: path changed from 002-users.migration.ts to users/002-users.migration.ts",
		"warning: 005-feature.migration.ts: release changed from v0.3.0 to v0.4.0",
		"warning: 005-feature.migration.ts: commit changed from 0123456789ab to " + r.f1[:12],
		"warning: ghost.ts: kept as written: git history has no script at ghost.ts",
		", 3 new, 3 changed, by ancestry",
	} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
}
