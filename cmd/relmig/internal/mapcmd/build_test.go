package mapcmd_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/relmig/relmig/cmd/relmig/internal/betweencmd"
	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/cmd/relmig/internal/mapcmd"
	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/releasemap/derive"
)

// buildJSON runs map build --output json and decodes the document.
func buildJSON(t *testing.T, args ...string) (mapcmd.BuildResult, string) {
	t.Helper()
	code, stdout, stderr := relmig(t, append([]string{"map", "build", "--output", "json"}, args...)...)
	if code != cmdutil.ExitOK {
		t.Fatalf("map build %v: exit %d\n%s", args, code, stderr)
	}
	var res mapcmd.BuildResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("decode: %v\n%s", err, stdout)
	}
	return res, stderr
}

// layout renders the releases compactly: "version <parents>: id, id".
func layout(res mapcmd.BuildResult) []string {
	var out []string
	for _, r := range res.Releases {
		var ids []string
		for _, g := range r.Migrations {
			ids = append(ids, g.ID)
		}
		out = append(out, fmt.Sprintf("%s <%s>: %s", r.Version, strings.Join(r.Parents, " "), strings.Join(ids, ", ")))
	}
	var ids []string
	for _, g := range res.Unreleased {
		ids = append(ids, g.ID)
	}
	return append(out, "unreleased: "+strings.Join(ids, ", "))
}

func migration(t *testing.T, res mapcmd.BuildResult, id string) mapcmd.BuildMigration {
	t.Helper()
	for _, r := range res.Releases {
		for _, g := range r.Migrations {
			if g.ID == id {
				return g
			}
		}
	}
	for _, g := range res.Unreleased {
		if g.ID == id {
			return g
		}
	}
	t.Fatalf("no migration %s", id)
	return mapcmd.BuildMigration{}
}

func TestMapBuildFixture(t *testing.T) {
	r := buildFixture(t)
	mapFile := filepath.Join(t.TempDir(), "releasemap.yaml")
	res, stderr := buildJSON(t, "--map", mapFile, "--repo", r.Dir, "--dir", migDir, "--cache-dir", t.TempDir(), "--verbose")

	want := []string{
		"v0.1.0 <>: 001-init/001-init.migration.ts",
		"v0.2.0 <v0.1.0>: 002-users.migration.ts",
		"v0.2.1 <v0.2.0>: 003-backport.migration.ts",
		"v0.2.2 <v0.2.1>: 004-maint-only.ts",
		// The branch named v0.3.0 points at c1: the tag must win, so
		// v0.3.0 descends from v0.2.0.
		"v0.3.0 <v0.2.0>: ",
		"v0.4.0 <v0.3.0>: 005-feature.migration.ts",
		"v0.5.0 <v0.4.0>: ",
		"v1.0.0 <v0.5.0>: ",
		"unreleased: 006-unreleased.migration.ts",
	}
	if got := layout(res); !slices.Equal(got, want) {
		t.Errorf("layout:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Lightweight: the commit's date; annotated: the tagger's; a tag of a
	// tag: the outer tagger's.
	for _, c := range []struct{ version, date string }{{"v0.1.0", "2023-01-02"}, {"v0.2.0", "2023-01-04"}, {"v1.0.0", "2023-01-19"}} {
		for _, rel := range res.Releases {
			if rel.Version == c.version && (rel.Date != c.date || rel.Tag != c.version) {
				t.Errorf("%s: tag %s date %s, want %s", c.version, rel.Tag, rel.Date, c.date)
			}
		}
	}

	// Back-port: released first on the maintenance line, cherry-picked into
	// main later; both adds kept, hash as v0.2.1's tag has it (the tip's
	// copy was edited since).
	bp := migration(t, res, "003-backport.migration.ts")
	if !slices.Equal(bp.FirstIn, []string{"v0.2.1", "v0.4.0"}) || len(bp.Adds) != 2 ||
		bp.Adds[0].Commit != r.m1 || bp.Adds[0].OnDefaultBranch || bp.Adds[1].Commit != r.pick || bp.Commit != r.m1 {
		t.Errorf("back-port = %+v", bp)
	}
	if want := sha256Of(t, r, "v0.2.1:"+m("003-backport.migration.ts")); bp.SHA256 != want {
		t.Errorf("back-port sha256 = %s, want %s (the content at v0.2.1)", bp.SHA256, want)
	}
	// Rename: same id, new path, old path recorded.
	u := migration(t, res, "002-users.migration.ts")
	if u.Path != "users/002-users.migration.ts" || !slices.Equal(u.RenamedFrom, []string{"002-users.migration.ts"}) {
		t.Errorf("renamed = %+v", u)
	}
	// Deletion: the pre-release is not a release here, so v0.5.0 removed it.
	if !reflect.DeepEqual(res.Removed, []mapcmd.RemovedJSON{{ID: "001-init/001-init.migration.ts", RemovedIn: "v0.5.0"}}) {
		t.Errorf("removed = %+v", res.Removed)
	}
	// Committed before v0.3.0, merged after it: the assignments disagree.
	wantDis := []mapcmd.DisagreementJSON{{ID: "005-feature.migration.ts", ByAncestry: "v0.4.0", ByDate: "v0.3.0"}}
	if !reflect.DeepEqual(res.Disagreements, wantDis) {
		t.Errorf("disagreements = %+v", res.Disagreements)
	}
	if f := migration(t, res, "005-feature.migration.ts"); f.Commit != r.f1 || f.Added != "2023-01-05T12:00:00Z" {
		t.Errorf("feature = commit %s added %s", f.Commit, f.Added)
	}
	// Tags that are not releases are listed with --verbose.
	var skipped []string
	for _, s := range res.SkippedTags {
		skipped = append(skipped, s.Name+": "+s.Reason)
	}
	wantSkipped := []string{"api@1.4.0: not semver", "api@v1.5.0: not semver", "inner: not semver", "not-a-version: not semver",
		"v0.3: not semver", "v0.5.0-rc.1: pre-release", "v9.9.9: points at a tree"}
	if !slices.Equal(skipped, wantSkipped) {
		t.Errorf("skipped = %q", skipped)
	}
	for _, s := range []string{"not written (--write saves it): 8 releases, 6 migrations (1 unreleased, 1 removed), 6 new, 0 changed, by ancestry",
		"disagreement: 005-feature.migration.ts: v0.4.0 by ancestry, v0.3.0 by date (the map uses ancestry)",
		"skipped tag v9.9.9: points at a tree",
		"added 2 times: 003-backport.migration.ts: "} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}
	// Spec files and type declarations are not migrations; nothing was
	// written without --write.
	if strings.Contains(fmt.Sprint(res), "spec.ts") || strings.Contains(fmt.Sprint(res), "types.d.ts") {
		t.Error("excluded files in the map")
	}
	if _, err := os.Stat(mapFile); err == nil {
		t.Error("map written without --write")
	}
}

func sha256Of(t *testing.T, r *fixture, object string) string {
	t.Helper()
	data := runGit(t, r.Dir, "", "cat-file", "-p", object)
	return fmt.Sprintf("%x", sha256.Sum256([]byte(data+"\n")))
}

func TestMapBuildWriteCheckBetween(t *testing.T) {
	r := buildFixture(t)
	mapFile := filepath.Join(r.Dir, "releasemap.yaml")
	cache := t.TempDir()
	code, stdout, stderr := relmig(t, "map", "build", "--map", mapFile, "--repo", r.Dir, "--dir", migDir, "--cache-dir", cache, "--write")
	if code != cmdutil.ExitOK || stdout != "" || !strings.HasPrefix(stderr, "wrote "+mapFile+": 8 releases") {
		t.Fatalf("write: exit %d\nstdout %q\nstderr %s", code, stdout, stderr)
	}
	written, err := os.ReadFile(mapFile)
	if err != nil {
		t.Fatal(err)
	}
	// The map names the repository relative to itself: its own folder;
	// its runner, inferred from the .ts scripts, is marked for review.
	head := "relmig: 1\ndir: apps/api/migrations\norder: name\n# " + derive.RunnerReviewNote + "\nrunner:\n  command: npx ts-node --transpile-only {path}\nreleases:\n"
	if !strings.HasPrefix(string(written), head) {
		t.Errorf("map head:\n%.400s\nwant\n%s", written, head)
	}
	if code, _, stderr := relmig(t, "map", "check", "--map", mapFile); code != cmdutil.ExitOK {
		t.Fatalf("map check: exit %d\n%s", code, stderr)
	}
	// Printing without --write shows exactly what --write saves.
	code, stdout, _ = relmig(t, "map", "build", "--map", mapFile, "--cache-dir", cache)
	if code != cmdutil.ExitOK || stdout != string(written) {
		t.Errorf("rebuild printed a different map (exit %d):\n%s", code, stdout)
	}

	// The side-line rule works on the built map.
	code, stdout, stderr = relmig(t, "between", "v0.2.0", "v1.0.0", "--map", mapFile, "--output", "json")
	if code != cmdutil.ExitOK {
		t.Fatalf("between: exit %d\n%s", code, stderr)
	}
	var rg betweencmd.Result
	if err := json.Unmarshal([]byte(stdout), &rg); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range rg.Migrations {
		got = append(got, g.Release+" "+g.ID+" via "+g.Via)
	}
	want := []string{"v0.2.1 003-backport.migration.ts via v0.4.0", "v0.4.0 005-feature.migration.ts via "}
	if !slices.Equal(got, want) || len(rg.LeftOut) != 1 || rg.LeftOut[0].ID != "004-maint-only.ts" {
		t.Errorf("between = %q, left out %+v", got, rg.LeftOut)
	}
}

func TestMapBuildOptions(t *testing.T) {
	r := buildFixture(t)
	dir := t.TempDir()
	common := func(extra ...string) []string {
		return append([]string{"--map", filepath.Join(dir, "none.yaml"), "--repo", r.Dir, "--dir", migDir, "--cache-dir", t.TempDir()}, extra...)
	}

	t.Run("pre-releases", func(t *testing.T) {
		res, _ := buildJSON(t, common("--prereleases")...)
		if !slices.Contains(layout(res), "v0.5.0-rc.1 <v0.4.0>: ") ||
			!reflect.DeepEqual(res.Removed, []mapcmd.RemovedJSON{{ID: "001-init/001-init.migration.ts", RemovedIn: "v0.5.0-rc.1"}}) {
			t.Errorf("layout %q removed %+v", layout(res), res.Removed)
		}
	})
	t.Run("by date", func(t *testing.T) {
		res, stderr := buildJSON(t, common("--by", "date")...)
		if !slices.Contains(layout(res), "v0.3.0 <v0.2.0>: 005-feature.migration.ts") || res.By != "date" ||
			!strings.Contains(stderr, "(the map uses date)") {
			t.Errorf("layout %q\n%s", layout(res), stderr)
		}
	})
	t.Run("prefixed tags", func(t *testing.T) {
		res, _ := buildJSON(t, common("--tags", "api@*", "--prefix", "api@")...)
		want := []string{
			// The fixture's names carry numbers: order: name is detected.
			"api@1.4.0 <>: 002-users.migration.ts, 003-backport.migration.ts, 005-feature.migration.ts",
			"api@v1.5.0 <api@1.4.0>: 006-unreleased.migration.ts",
			"unreleased: ",
		}
		if got := layout(res); !slices.Equal(got, want) {
			t.Errorf("layout:\n%s", strings.Join(got, "\n"))
		}
	})
	t.Run("new map in a sub-folder names the repository relatively", func(t *testing.T) {
		file := filepath.Join(r.Dir, "deploy", "releasemap.yaml")
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := relmig(t, "map", "build", "--map", file, "--repo", filepath.Join(r.Dir, "apps"), "--dir", migDir, "--cache-dir", t.TempDir(), "--write")
		m, err := releasemap.Load(file)
		if code != cmdutil.ExitOK || err != nil || m.Repo != ".." || m.Dir != migDir {
			t.Fatalf("exit %d err %v repo %q\n%s", code, err, m.Repo, stderr)
		}
		if code, _, stderr := relmig(t, "map", "check", "--map", file); code != cmdutil.ExitOK {
			t.Errorf("map check: %s", stderr)
		}
	})
}

func TestMapBuildRefuses(t *testing.T) {
	r := buildFixture(t)
	shallow := filepath.Join(t.TempDir(), "shallow")
	runGit(t, filepath.Dir(shallow), "", "clone", "-q", "--depth", "1", "file://"+r.Dir, shallow)
	notRepo := t.TempDir()
	mapFile := filepath.Join(t.TempDir(), "releasemap.yaml")
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"shallow clone", []string{"--repo", shallow, "--dir", migDir, "--write"}, "is a shallow clone (1 boundary commits): complete it with `git -C " + shallow + " fetch --unshallow --tags`"},
		{"not a repository", []string{"--repo", notRepo, "--dir", migDir, "--write"}, "not a git repository"},
		{"bad --by", []string{"--repo", r.Dir, "--dir", migDir, "--by", "vibes"}, `--by "vibes": want ancestry or date`},
		{"no map and no --dir", []string{"--repo", r.Dir}, "no release map at " + mapFile + ": pass --dir"},
		{"folder outside the repository", []string{"--repo", r.Dir, "--dir", "../x", "--write"}, `leaves the repository`},
		{"bad tag glob", []string{"--repo", r.Dir, "--dir", migDir, "--tags", "v[", "--write"}, "bad tag glob"},
		{"bad output", []string{"--repo", r.Dir, "--dir", migDir, "--output", "xml"}, `--output "xml": want table, wide or json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"map", "build", "--map", mapFile, "--cache-dir", t.TempDir()}, tt.args...)
			code, stdout, stderr := relmig(t, args...)
			first, _, _ := strings.Cut(stderr, "\n")
			if code != cmdutil.ExitUsage || stdout != "" || !strings.Contains(first, tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q on one line", code, stdout, stderr, tt.stderr)
			}
			if _, err := os.Stat(mapFile); err == nil {
				t.Error("a map was written")
			}
		})
	}
}

func TestMapBuildFlagParsing(t *testing.T) {
	f := &cmdutil.Factory{IO: &cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, Getenv: func(string) string { return "" }}
	var got *mapcmd.BuildOptions
	cmd := mapcmd.NewCmdBuild(f, func(_ context.Context, o *mapcmd.BuildOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--repo", "../app", "--by", "date", "--write", "--tags", "api@*", "--cache-dir", "/c", "--verbose"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Repo != "../app" || !got.RepoSet || got.DirSet || got.By != "date" || !got.Write ||
		got.Tags != "api@*" || !got.TagsSet || got.PrefixSet || got.PrereleasesSet || got.CacheDir != "/c" || !got.Verbose {
		t.Fatalf("options = %+v", got)
	}
}
