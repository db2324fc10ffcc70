package mapcmd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/releasemap"
)

// allIDs lists the ids of a built map file, in map order.
func allIDs(t *testing.T, file string) []string {
	t.Helper()
	mp, err := releasemap.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range mp.Releases {
		for _, g := range r.Migrations {
			out = append(out, r.Version+" "+g.ID)
		}
	}
	for _, g := range mp.Unreleased {
		out = append(out, "unreleased "+g.ID)
	}
	return out
}

// A migrations folder as real repositories have it: documentation, data,
// configuration, dotfiles, down migrations and a committed map beside the
// scripts. Only the scripts become migrations by default; --include and
// --exclude change that, and a narrower selection takes entries out of the
// map, saying so.
func TestMapBuildSelectsScripts(t *testing.T) {
	r := newGitRepo(t)
	c := r.Commit(day(1), "v1", map[string]string{
		m("TEMPLATE"):                       "template\n",
		m(".eslintrc"):                      "{}\n",
		m(".eslintrc.js"):                   "module.exports = {}\n",
		m("package.json"):                   "{}\n",
		m("README.md"):                      "# migrations\n",
		m("seed.db"):                        "\x00\x01binary",
		m(".htaccess"):                      "deny from all\n",
		m("jest.config.js"):                 "module.exports = {}\n",
		m("20240101000000_init/up.sql"):     "create table a();\n",
		m("20240101000000_init/down.sql"):   "drop table a;\n",
		m("20240102000000_users.up.sql"):    "create table u();\n",
		m("20240102000000_users.down.sql"):  "drop table u;\n",
		m("20240103-add-index.js"):          "db.a.createIndex({})\n",
		m("20240103-add-index-down.js"):     "db.a.dropIndex({})\n",
		m("helpers/util.ts"):                "export {}\n",
		m("releasemap.yaml"):                "relmig: 1\n",
		m("20240104-fix.migration.spec.ts"): "test\n",
	})
	r.Tag("v1.0.0", c)
	mapFile := filepath.Join(r.Dir, migDir, "releasemap.yaml")
	code, _, stderr := relmig(t, "map", "build", "--map", mapFile, "--repo", r.Dir, "--dir", migDir, "--cache-dir", t.TempDir(), "--write")
	if code != cmdutil.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := []string{
		"v1.0.0 20240101000000_init/up.sql",
		"v1.0.0 20240102000000_users.up.sql",
		"v1.0.0 20240103-add-index.js",
		"v1.0.0 helpers/util.ts",
	}
	if got := allIDs(t, mapFile); !slices.Equal(got, want) {
		t.Errorf("default selection = %v, want %v", got, want)
	}
	// map check agrees: nothing unnamed, the map itself is no script.
	if code, _, stderr := relmig(t, "map", "check", "--map", mapFile); code != cmdutil.ExitOK && !strings.Contains(stderr, "command") {
		t.Errorf("map check: exit %d: %s", code, stderr)
	}

	// --exclude adds to the selection's exclusions, is saved, and the
	// entries it drops are reported.
	code, _, stderr = relmig(t, "map", "build", "--map", mapFile, "--cache-dir", t.TempDir(), "--exclude", "helpers/**", "--write")
	if code != cmdutil.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "left the map: helpers/util.ts: include/exclude no longer select it") {
		t.Errorf("deselection not reported:\n%s", stderr)
	}
	if got := allIDs(t, mapFile); slices.Contains(got, "v1.0.0 helpers/util.ts") || len(got) != 3 {
		t.Errorf("after --exclude: %v", got)
	}
	mp, err := releasemap.Load(mapFile)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(mp.Exclude, "helpers/**") || !slices.Contains(mp.Exclude, "**/down.*") {
		t.Errorf("saved exclude = %v, want the defaults plus helpers/**", mp.Exclude)
	}

	// --include replaces the selection.
	code, _, stderr = relmig(t, "map", "build", "--map", mapFile, "--cache-dir", t.TempDir(), "--include", "**/*.sql", "--write")
	if code != cmdutil.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// No runner is inferred for .sql scripts: a new map's build says so,
	// and map check refuses the map.
	sqlMap := filepath.Join(t.TempDir(), "releasemap.yaml")
	code, _, stderr = relmig(t, "map", "build", "--map", sqlMap, "--repo", r.Dir, "--dir", migDir, "--cache-dir", t.TempDir(), "--include", "**/*.sql", "--write")
	if code != cmdutil.ExitOK || !strings.Contains(stderr, "warning: no runner command: none can be inferred for .sql; set runner.command") {
		t.Errorf("exit %d, no warning about the missing runner:\n%s", code, stderr)
	}
	if code, stdout, _ := relmig(t, "map", "check", "--map", sqlMap, "--no-files"); code != cmdutil.ExitUsage || !strings.Contains(stdout, "no runner command for 20240101000000_init/up.sql, 20240102000000_users.up.sql: set runner.command") {
		t.Errorf("map check of a map without a command: exit %d\n%s", code, stdout)
	}
	want = []string{"v1.0.0 20240101000000_init/up.sql", "v1.0.0 20240102000000_users.up.sql"}
	if got := allIDs(t, mapFile); !slices.Equal(got, want) {
		t.Errorf("--include '**/*.sql' = %v, want %v", got, want)
	}

	// A bad glob is a usage error naming the flag.
	code, _, stderr = relmig(t, "map", "build", "--map", mapFile, "--cache-dir", t.TempDir(), "--include", "[x")
	if code != cmdutil.ExitUsage || !strings.Contains(stderr, `--include/--exclude "[x" is not a valid glob`) {
		t.Errorf("bad glob: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(mapFile); err != nil {
		t.Fatal(err)
	}
}

// An empty result is exit 2 with a suggestion, and a map on disk is left
// alone: tags that are not releases under the rule, a folder no release
// has, a folder with nothing selected.
func TestMapBuildEmptyIsAnError(t *testing.T) {
	r := newGitRepo(t)
	c1 := r.Commit(day(1), "one", map[string]string{m("001-a.js"): "a\n", "docs/x.md": "x\n", "db/migrations/x.sql": "x\n"})
	r.Tag("release-3.3.10", c1)
	c2 := r.Commit(day(2), "two", map[string]string{m("002-b.js"): "b\n"})
	r.Tag("release-3.3.11", c2)
	r.Tag("@scope/pkg@1.2.3", c2)
	r.Tag("@scope/pkg@1.2.4", c2)
	r.Tag("@scope/pkg@1.2.5", c2)
	mapFile := filepath.Join(t.TempDir(), "releasemap.yaml")
	if err := os.WriteFile(mapFile, []byte("relmig: 1\ndir: "+migDir+"\nreleases: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(mapFile)
	cache := t.TempDir()
	cases := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no tag matches", nil,
			`no tag is a release (5 tags, such as release-3.3.11, release-3.3.10, @scope/pkg@1.2.5); try --prefix @scope/pkg@ (3 tags), or --prefix release- (2 tags)`},
		{"tags glob matches nothing", []string{"--tags", "v*"},
			`no tag is a release (5 tags, such as release-3.3.11, release-3.3.10, @scope/pkg@1.2.5; tags "v*"); try --prefix @scope/pkg@ --tags '@scope/pkg@*' (3 tags), or --prefix release- --tags 'release-*' (2 tags)`},
		{"folder typo", []string{"--prefix", "release-", "--dir", "apps/api/migration"},
			`no release and not the default branch has the folder "apps/api/migration"; try --dir apps/api/migrations, or --dir db/migrations`},
		{"nothing selected", []string{"--prefix", "release-", "--dir", "docs"},
			`the folder "docs" holds no script at any release or the default branch (1 files, none selected by the include and exclude globs); try --include '**/*.md' (1 files)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"map", "build", "--map", mapFile, "--repo", r.Dir, "--cache-dir", cache, "--write"}, tc.args...)
			code, stdout, stderr := relmig(t, args...)
			if code != cmdutil.ExitUsage || stderr != "relmig: "+tc.stderr+"\n" {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and\nrelmig: %s", code, stderr, tc.stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q", stdout)
			}
			if after, _ := os.ReadFile(mapFile); string(after) != string(before) {
				t.Errorf("the map was rewritten:\n%s", after)
			}
		})
	}
	// The suggestions work.
	for _, args := range [][]string{{"--prefix", "release-"}, {"--prefix", "@scope/pkg@", "--tags", "@scope/pkg@*"}} {
		code, _, stderr := relmig(t, append([]string{"map", "build", "--map", mapFile, "--repo", r.Dir, "--cache-dir", cache}, args...)...)
		if code != cmdutil.ExitOK {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
}

// --tags matches tag names as git tag -l does: "*" crosses "/".
func TestMapBuildTagGlobLikeGit(t *testing.T) {
	r := newGitRepo(t)
	c1 := r.Commit(day(1), "one", map[string]string{m("001-a.js"): "a\n"})
	r.Tag("release/1.0.0", c1)
	c2 := r.Commit(day(2), "two", map[string]string{m("002-b.js"): "b\n"})
	r.Tag("release/1.1.0", c2)
	r.Tag("other/2.0.0", c2)
	for _, tc := range []struct {
		glob string
		want int
	}{{"*", 2}, {"release*", 2}, {"*/1.*", 2}, {"rel?ase/*", 2}} {
		want := strings.Fields(runGit(t, r.Dir, "", "tag", "-l", tc.glob))
		res, _ := buildJSON(t, "--map", filepath.Join(t.TempDir(), "m.yaml"), "--repo", r.Dir, "--dir", migDir,
			"--cache-dir", t.TempDir(), "--tags", tc.glob, "--prefix", "release/")
		var got []string
		for _, rel := range res.Releases {
			got = append(got, rel.Tag)
		}
		if len(got) != tc.want {
			t.Errorf("--tags %q: releases %v, want %d (git tag -l lists %v)", tc.glob, got, tc.want, want)
		}
		for _, g := range got {
			if !slices.Contains(want, g) {
				t.Errorf("--tags %q: release %s is not listed by git tag -l", tc.glob, g)
			}
		}
	}
}

// map check reads the migrations folder from git in a bare repository,
// symlinks included; map build --write keeps the map's file mode.
func TestMapCheckBareRepository(t *testing.T) {
	r := newGitRepo(t)
	r.Write(map[string]string{m("001-a.js"): "a\n", "lib/shared.js": "s\n"})
	if err := os.Symlink("/etc/passwd", filepath.Join(r.Dir, m("002-evil.js"))); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../lib/shared.js", filepath.Join(r.Dir, m("003-shared.js"))); err != nil {
		t.Fatal(err)
	}
	c := r.Commit(day(1), "one", nil)
	r.Tag("v1.0.0", c)
	bare := filepath.Join(t.TempDir(), "app.git")
	runGit(t, filepath.Dir(bare), "", "clone", "-q", "--bare", r.Dir, bare)

	mapFile := filepath.Join(t.TempDir(), "releasemap.yaml")
	if err := os.WriteFile(mapFile, []byte("relmig: 1\n"), 0o664); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(mapFile, 0o664); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := relmig(t, "map", "build", "--map", mapFile, "--repo", bare, "--dir", migDir, "--cache-dir", t.TempDir(), "--write")
	if code != cmdutil.ExitOK {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	if fi, err := os.Stat(mapFile); err != nil || fi.Mode().Perm() != 0o664 {
		t.Errorf("mode after --write = %v, %v; want 0664 kept", fi.Mode(), err)
	}
	code, stdout, stderr := relmig(t, "map", "check", "--map", mapFile)
	want := ": 002-evil.js: " + migDir + "/002-evil.js resolves to /etc/passwd, outside the repository\n"
	if code != cmdutil.ExitUsage || !strings.HasPrefix(stdout, mapFile+":") || !strings.HasSuffix(stdout, want) || strings.Count(stdout, "\n") != 1 {
		t.Errorf("check: exit %d\nstdout:\n%s\nstderr:\n%s\nwant a line %q", code, stdout, stderr, want)
	}
	if strings.Contains(stdout, "001-a.js") || strings.Contains(stdout, "003-shared.js") || strings.Contains(stdout, "does not exist") {
		t.Errorf("sound scripts reported:\n%s", stdout)
	}

	// A new map is 0644.
	fresh := filepath.Join(t.TempDir(), "releasemap.yaml")
	if code, _, stderr := relmig(t, "map", "build", "--map", fresh, "--repo", bare, "--dir", migDir, "--cache-dir", t.TempDir(), "--write"); code != cmdutil.ExitOK {
		t.Fatalf("build: %s", stderr)
	}
	if fi, err := os.Stat(fresh); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("new map mode = %v, %v; want 0644", fi.Mode(), err)
	}
}

// Timestamp-named scripts run in name order inside a release, whatever the
// order of the commits that added them; map check holds the map to it.
func TestMapBuildOrderByName(t *testing.T) {
	r := newGitRepo(t)
	r.Commit(day(1), "b first", map[string]string{"db/migrations/20240102000000_b.js": "b\n"})
	r.Commit(day(2), "a later", map[string]string{"db/migrations/20240101000000_a.js": "a\n"})
	c := r.Commit(day(3), "c", map[string]string{"db/migrations/9_c.js": "c\n", "db/migrations/10_d.js": "d\n"})
	r.Tag("v1.0.0", c)
	mapFile := filepath.Join(r.Dir, "releasemap.yaml")
	code, _, stderr := relmig(t, "map", "build", "--map", mapFile, "--dir", "db/migrations", "--repo", r.Dir, "--cache-dir", t.TempDir(), "--write")
	if code != cmdutil.ExitOK || !strings.Contains(stderr, "order: name inside each release (detected") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := []string{"v1.0.0 9_c.js", "v1.0.0 10_d.js", "v1.0.0 20240101000000_a.js", "v1.0.0 20240102000000_b.js"}
	if got := allIDs(t, mapFile); !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	// The run order: map show lists each release's migrations as they run.
	code, stdout, _ := relmig(t, "map", "show", "--map", mapFile, "--output", "json")
	if code != cmdutil.ExitOK || strings.Index(stdout, "9_c.js") > strings.Index(stdout, "10_d.js") ||
		strings.Index(stdout, "20240101000000_a.js") > strings.Index(stdout, "20240102000000_b.js") {
		t.Errorf("the run order is not the name order:\n%s", stdout)
	}
	// A hand edit that breaks the name order is a map check problem.
	data, _ := os.ReadFile(mapFile)
	swapped := strings.Replace(strings.Replace(string(data), "id: 9_c.js", "id: TMP", 1), "id: 10_d.js", "id: 9_c.js", 1)
	swapped = strings.Replace(swapped, "id: TMP", "id: 10_d.js", 1)
	if err := os.WriteFile(mapFile, []byte(swapped), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = relmig(t, "map", "check", "--map", mapFile)
	if code != cmdutil.ExitUsage || !strings.Contains(stdout, "9_c.js comes after 10_d.js, but order: name runs it first") {
		t.Errorf("map check: exit %d\n%s", code, stdout)
	}
	// Names without numbers keep the order of the adding commits.
	r2 := newGitRepo(t)
	r2.Commit(day(1), "z", map[string]string{m("zeta.js"): "z\n"})
	c2 := r2.Commit(day(2), "a", map[string]string{m("alpha.js"): "a\n"})
	r2.Tag("v1.0.0", c2)
	res, stderr := buildJSON(t, "--map", filepath.Join(t.TempDir(), "m.yaml"), "--repo", r2.Dir, "--dir", migDir, "--cache-dir", t.TempDir())
	if res.Order != "added" || !slices.Equal(layout(res), []string{"v1.0.0 <>: zeta.js, alpha.js", "unreleased: "}) {
		t.Errorf("order %s, layout %v\n%s", res.Order, layout(res), stderr)
	}
}

// A migrations folder that history moved keeps its scripts' ids and
// releases: an upgrade across the move lists only what is new in it.
func TestMapBuildMovedFolder(t *testing.T) {
	r := newGitRepo(t)
	c1 := r.Commit(day(1), "one", map[string]string{"apps/api/src/migrations/a.js": "a\n", "apps/api/src/app.js": "app\n"})
	r.Tag("v1.0.0", c1)
	c2 := r.Commit(day(2), "two", map[string]string{"apps/api/src/migrations/sub/b.js": "b\n"})
	r.Tag("v2.0.0", c2)
	r.Git("", "mv", "apps/api/src/migrations", "apps/api/migrations")
	r.Git(day(3), "commit", "-q", "-m", "move the migrations folder")
	c3 := r.Commit(day(4), "three", map[string]string{m("c.js"): "c\n"})
	r.Tag("v3.0.0", c3)

	mapFile := filepath.Join(r.Dir, "releasemap.yaml")
	res, stderr := buildJSON(t, "--map", mapFile, "--repo", r.Dir, "--dir", migDir, "--cache-dir", t.TempDir(), "--write")
	want := []string{"v1.0.0 <>: a.js", "v2.0.0 <v1.0.0>: sub/b.js", "v3.0.0 <v2.0.0>: c.js", "unreleased: "}
	if got := layout(res); !slices.Equal(got, want) {
		t.Errorf("layout %v, want %v\n%s", got, want, stderr)
	}
	if !strings.Contains(stderr, "moved: the folder was apps/api/src/migrations before") {
		t.Errorf("the move is not reported:\n%s", stderr)
	}
	if a := migration(t, res, "a.js"); a.Commit != c1 || len(a.Adds) != 2 || a.Adds[1].MovedFrom != "apps/api/src/migrations" {
		t.Errorf("a.js commit %s adds %+v, want the first commit and the move", a.Commit, a.Adds)
	}
	code, stdout, stderr := relmig(t, "between", "--map", mapFile, "v2.0.0", "v3.0.0")
	if code != cmdutil.ExitOK || !strings.Contains(stdout, "c.js") || strings.Contains(stdout, "a.js") || strings.Contains(stdout, "b.js") {
		t.Errorf("between v2.0.0 v3.0.0: exit %d\n%s%s", code, stdout, stderr)
	}
	// Both sides of the move are checked against the tree that has them.
	if code, stdout, stderr := relmig(t, "map", "check", "--map", mapFile); code != cmdutil.ExitOK {
		t.Errorf("map check: exit %d\n%s%s", code, stdout, stderr)
	}
}

// Identical content under two paths in one release is a warning in map
// build and map check (it would run twice).
func TestDuplicatesAreWarnings(t *testing.T) {
	r := newGitRepo(t)
	c := r.Commit(day(1), "one", map[string]string{
		m("fix-users.js"):     "db.users.updateMany({}, {$set: {a: 1}})\n",
		m("old/fix-users.js"): "db.users.updateMany({}, {$set: {a: 1}})\n",
		m("other.js"):         "db.other.drop()\n",
	})
	r.Tag("v1.0.0", c)
	mapFile := filepath.Join(r.Dir, "releasemap.yaml")
	code, _, stderr := relmig(t, "map", "build", "--map", mapFile, "--repo", r.Dir, "--dir", migDir, "--cache-dir", t.TempDir(), "--write")
	want := "old/fix-users.js: same content as fix-users.js in v1.0.0: one script under two paths runs twice"
	if code != cmdutil.ExitOK || !strings.Contains(stderr, "warning: "+want) || strings.Count(stderr, "same content") != 1 {
		t.Errorf("build: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := relmig(t, "map", "check", "--map", mapFile)
	if code != cmdutil.ExitOK || stdout != "" || !strings.Contains(stderr, "releasemap.yaml:") || !strings.Contains(stderr, ": warning: "+want) {
		t.Errorf("check: exit %d\nstdout %q\nstderr %s", code, stdout, stderr)
	}
}

// --by date respects lines of history: a patch release on a maintenance
// line, tagged after a main-line script was committed, does not get it.
func TestMapBuildByDateRespectsLines(t *testing.T) {
	for _, mergedForward := range []bool{false, true} {
		t.Run(fmt.Sprintf("merged forward %v", mergedForward), func(t *testing.T) { byDateLines(t, mergedForward) })
	}
}

// byDateLines: with mergedForward, main merges the maintenance line before
// its next release (as uptime-kuma's 2.0 line merged 1.23.x): the patch is
// then an ancestor of the main release, but still not on its line.
func byDateLines(t *testing.T, mergedForward bool) {
	r := newGitRepo(t)
	c1 := r.Commit(day(1), "one", map[string]string{m("a.js"): "a\n"})
	r.Annotate(day(1), "v1.0.0", c1)
	r.Commit(day(5), "main work", map[string]string{m("b.js"): "b\n"})
	r.Checkout("-b", "release-1.0", "v1.0.0")
	fix := r.Commit(day(6), "fix", map[string]string{"src/fix.js": "fix\n"})
	r.Annotate(day(6), "v1.0.1", fix)
	r.Checkout("main")
	if mergedForward {
		r.Merge(day(6), "release-1.0")
	}
	c3 := r.Commit(day(7), "release", map[string]string{"src/app.js": "app\n"})
	r.Annotate(day(7), "v1.1.0", c3)

	mapFile := filepath.Join(t.TempDir(), "releasemap.yaml")
	res, stderr := buildJSON(t, "--map", mapFile, "--repo", r.Dir, "--dir", migDir, "--cache-dir", t.TempDir(), "--by", "date", "--write")
	if got := migration(t, res, "b.js"); got.ByDate != "v1.1.0" || got.Release != "v1.1.0" {
		t.Errorf("b.js by date %s, in %s; want v1.1.0\n%s", got.ByDate, got.Release, stderr)
	}
	if len(res.Disagreements) != 0 {
		t.Errorf("disagreements %+v", res.Disagreements)
	}
	code, stdout, _ := relmig(t, "between", "--map", mapFile, "v1.0.0", "v1.0.1")
	if code != cmdutil.ExitOK || strings.Contains(stdout, "b.js") {
		t.Errorf("a patch upgrade on the maintenance line runs a main-line script:\n%s", stdout)
	}
}
