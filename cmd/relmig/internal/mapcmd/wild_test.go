package mapcmd_test

import (
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
