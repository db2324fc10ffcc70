package gitscan

import (
	"os"
	"path/filepath"
	"testing"
)

// migDir is the migrations folder of the fixture repository.
const migDir = "apps/api/migrations"

// fixture is a repository with the shapes real application repositories
// have, and the commits that matter.
type fixture struct {
	*gitRepo
	c1, c2, f1, c3, mergeC, m1, m2, pick, ren, del, c6, c7, head string
}

// m returns the path of a migration inside the repository.
func m(name string) string { return migDir + "/" + name }

// buildFixture creates:
//
//	main:          c1 (v0.1.0) - c2 (v0.2.0) - c3 (v0.3.0) - merge(feature) - pick(m1) - ren (v0.4.0) - del (v0.5.0-rc.1) - c6 (v0.5.0) - c6b (v1.0.0, tag of tag) - c7 (head)
//	feature:             c2 - f1 (dated before v0.3.0, merged after)
//	release-0.2:         c2 - m1 (v0.2.1, back-port, later cherry-picked) - m2 (v0.2.2, maintenance only)
//
// plus non-release tags: non-semver, pre-release, prefixed, at a tree, at a
// blob, and a branch named v0.3.0 pointing elsewhere.
func buildFixture(t *testing.T) *fixture {
	t.Helper()
	r := &fixture{gitRepo: newGitRepo(t)}
	r.c1 = r.Commit(day(1), "init", map[string]string{
		"README.md":                           "hello\n",
		"apps/api/src/app.ts":                 "app v1\n",
		m("001-init/001-init.migration.ts"):   "init\n",
		"apps/api/src/run.sh":                 "#!/bin/sh\necho hi\n",
		"apps/api/migrations/helpers/util.md": "notes\n",
	})
	if err := os.Chmod(filepath.Join(r.Dir, "apps/api/src/run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("app.ts", filepath.Join(r.Dir, "apps/api/src/link.ts")); err != nil {
		t.Fatal(err)
	}
	r.Git("", "add", "-A")
	// A submodule entry inside the migrations folder and outside: trees
	// carry it, listings and exports must skip it without failing.
	r.Git("", "update-index", "--add", "--cacheinfo", "160000,"+r.c1+","+m("vendored"))
	r.Git("", "update-index", "--add", "--cacheinfo", "160000,"+r.c1+",vendor/sub")
	r.Git(day(1), "commit", "-q", "--amend", "-m", "init")
	// Empty folders stand in for unchecked-out submodules, so later
	// "git add -A" keeps the entries.
	for _, d := range []string{m("vendored"), "vendor/sub"} {
		if err := os.MkdirAll(filepath.Join(r.Dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r.c1 = r.Git("", "rev-parse", "HEAD")
	r.Tag("v0.1.0", r.c1)

	r.c2 = r.Commit(day(2), "users", map[string]string{
		m("002-users.migration.ts"): "users\n",
		m("002-users.spec.ts"):      "spec\n",
		m("types.d.ts"):             "declare\n",
	})
	r.Annotate(day(3), "v0.2.0", r.c2)

	// Maintenance line cut from v0.2.0.
	r.Checkout("-b", "release-0.2", "v0.2.0")
	r.m1 = r.Commit(day(5), "backport fix", map[string]string{m("003-backport.migration.ts"): "backport\n"})
	r.Annotate(day(5), "v0.2.1", r.m1)
	r.m2 = r.Commit(day(6), "maintenance only", map[string]string{m("004-maint-only.ts"): "maint\n"})
	r.Tag("v0.2.2", r.m2)

	// A feature branch committed before v0.3.0 and merged after it.
	r.Checkout("-b", "feature", r.c2)
	r.f1 = r.Commit(day(4), "feature", map[string]string{m("005-feature.migration.ts"): "feature\n"})

	r.Checkout("main")
	r.c3 = r.Commit(day(7), "app change", map[string]string{"apps/api/src/app.ts": "app v2\n"})
	r.Annotate(day(8), "v0.3.0", r.c3)
	r.mergeC = r.Merge(day(9), "feature")
	r.pick = r.CherryPick(day(10), r.m1)
	r.ren = r.Rename(day(11), m("002-users.migration.ts"), m("users/002-users.migration.ts"))
	r.Tag("v0.4.0", r.ren)
	r.del = r.Commit(day(12), "drop init", map[string]string{m("001-init/001-init.migration.ts"): ""})
	r.Annotate(day(12), "v0.5.0-rc.1", r.del)
	r.c6 = r.Commit(day(14), "app v3", map[string]string{"apps/api/src/app.ts": "app v3\n"})
	r.Annotate(day(15), "v0.5.0", r.c6)
	c6b := r.Commit(day(16), "app v4", map[string]string{"apps/api/src/app.ts": "app v4\n"})
	r.Annotate(day(17), "inner", c6b)
	r.Annotate(day(18), "v1.0.0", "inner") // a tag of a tag
	r.c7 = r.Commit(day(20), "unreleased", map[string]string{m("006-unreleased.migration.ts"): "next\n"})
	r.head = r.c7

	// Tags that are not releases.
	r.Tag("not-a-version", r.c3)
	r.Tag("v0.3", r.c3)
	r.Tag("api@1.4.0", r.c6)
	r.Tag("api@v1.5.0", r.c7)
	r.Tag("v9.9.9", r.Git("", "rev-parse", r.c3+"^{tree}"))
	r.Tag("v9.9.8", r.Git("", "rev-parse", r.c3+":README.md"))
	// A branch that shares a release tag's name and points elsewhere.
	r.Git("", "branch", "v0.3.0", r.c1)
	return r
}

// options returns scan options for this fixture with a fresh cache folder.
func (r *fixture) options(t *testing.T) Options {
	return Options{Repo: r.Dir, CacheDir: t.TempDir(), Dir: migDir}
}
