package gitscan

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

func releaseTags(res *Result) []string {
	var tags []string
	for _, r := range res.Releases {
		tags = append(tags, r.Tag)
	}
	return tags
}

func fileNames(files map[string]File) []string {
	return slices.Sorted(maps.Keys(files))
}

func script(t *testing.T, res *Result, path string) Script {
	t.Helper()
	for _, s := range res.Scripts {
		if s.Path == path {
			return s
		}
	}
	t.Fatalf("no script %s in %v", path, res.Scripts)
	return Script{}
}

func TestScanFixture(t *testing.T) {
	r := buildFixture(t)
	res := scanOpts(t, r.options(t))

	wantTags := []string{"v0.1.0", "v0.2.0", "v0.2.1", "v0.2.2", "v0.3.0", "v0.4.0", "v0.5.0", "v1.0.0"}
	if got := releaseTags(res); !slices.Equal(got, wantTags) {
		t.Fatalf("releases = %v, want %v", got, wantTags)
	}
	wantSkipped := []SkippedTag{
		{"api@1.4.0", "not semver"},
		{"api@v1.5.0", "not semver"},
		{"inner", "not semver"},
		{"not-a-version", "not semver"},
		{"v0.3", "not semver"},
		{"v0.5.0-rc.1", "pre-release"},
		{"v9.9.8", "points at a blob"},
		{"v9.9.9", "points at a tree"},
	}
	if !reflect.DeepEqual(res.Skipped, wantSkipped) {
		t.Errorf("skipped = %v, want %v", res.Skipped, wantSkipped)
	}

	t.Run("tags", func(t *testing.T) {
		// The branch named v0.3.0 points at c1; the tag must win.
		if got := res.Release("v0.3.0").Commit; got != r.c3 {
			t.Errorf("v0.3.0 commit = %s, want the tag's %s", got, r.c3)
		}
		// Tag of a tag: peeled twice, dated by the outer tag.
		v1 := res.Release("v1.0.0")
		if !v1.Annotated || !v1.Date.Equal(baseDate.AddDate(0, 0, 18)) {
			t.Errorf("v1.0.0 = annotated %v date %v, want the outer tag's day 18", v1.Annotated, v1.Date)
		}
		// Lightweight: the commit's date.
		if v := res.Release("v0.1.0"); v.Annotated || !v.Date.Equal(baseDate.AddDate(0, 0, 1)) {
			t.Errorf("v0.1.0 = annotated %v date %v, want lightweight day 1", v.Annotated, v.Date)
		}
		// Annotated: the tagger date, not the commit's.
		if v := res.Release("v0.2.0"); !v.Date.Equal(baseDate.AddDate(0, 0, 3)) {
			t.Errorf("v0.2.0 date = %v, want the tagger's day 3", v.Date)
		}
	})

	t.Run("files per release", func(t *testing.T) {
		want := map[string][]string{
			"v0.1.0": {"001-init/001-init.migration.ts"},
			"v0.2.0": {"001-init/001-init.migration.ts", "002-users.migration.ts"},
			"v0.2.1": {"001-init/001-init.migration.ts", "002-users.migration.ts", "003-backport.migration.ts"},
			"v0.2.2": {"001-init/001-init.migration.ts", "002-users.migration.ts", "003-backport.migration.ts", "004-maint-only.ts"},
			"v0.3.0": {"001-init/001-init.migration.ts", "002-users.migration.ts"},
			"v0.4.0": {"001-init/001-init.migration.ts", "003-backport.migration.ts", "005-feature.migration.ts", "users/002-users.migration.ts"},
			"v0.5.0": {"003-backport.migration.ts", "005-feature.migration.ts", "users/002-users.migration.ts"},
			"v1.0.0": {"003-backport.migration.ts", "005-feature.migration.ts", "users/002-users.migration.ts"},
		}
		for _, rel := range res.Releases {
			if got := fileNames(rel.Files); !slices.Equal(got, want[rel.Tag]) {
				t.Errorf("%s files = %v, want %v", rel.Tag, got, want[rel.Tag])
			}
		}
		// Content hash: sha256("users\n"), the same blob before and after
		// the rename.
		sum := sha256.Sum256([]byte("users\n"))
		blob := r.Git("", "rev-parse", "v0.2.0:"+m("002-users.migration.ts"))
		wantFile := File{Blob: blob, SHA256: hex.EncodeToString(sum[:])}
		a := res.Release("v0.2.0").Files["002-users.migration.ts"]
		b := res.Release("v0.4.0").Files["users/002-users.migration.ts"]
		if a != wantFile || b != wantFile {
			t.Errorf("renamed file content = %+v and %+v, want %+v", a, b, wantFile)
		}
	})

	t.Run("ancestors and side lines", func(t *testing.T) {
		want := map[string][]string{
			"v0.1.0": nil,
			"v0.2.0": {"v0.1.0"},
			"v0.2.1": {"v0.1.0", "v0.2.0"},
			"v0.2.2": {"v0.1.0", "v0.2.0", "v0.2.1"},
			"v0.3.0": {"v0.1.0", "v0.2.0"},
			"v0.4.0": {"v0.1.0", "v0.2.0", "v0.3.0"},
			"v0.5.0": {"v0.1.0", "v0.2.0", "v0.3.0", "v0.4.0"},
			"v1.0.0": {"v0.1.0", "v0.2.0", "v0.3.0", "v0.4.0", "v0.5.0"},
		}
		for _, rel := range res.Releases {
			if !slices.Equal(rel.Ancestors, want[rel.Tag]) {
				t.Errorf("%s ancestors = %v, want %v", rel.Tag, rel.Ancestors, want[rel.Tag])
			}
		}
	})

	t.Run("adds", func(t *testing.T) {
		type add struct {
			commit    string
			onDefault bool
			renamed   string
		}
		want := map[string][]add{
			"001-init/001-init.migration.ts": {{r.c1, true, ""}},
			"002-users.migration.ts":         {{r.c2, true, ""}},
			"003-backport.migration.ts":      {{r.m1, false, ""}, {r.pick, true, ""}},
			"004-maint-only.ts":              {{r.m2, false, ""}},
			"005-feature.migration.ts":       {{r.f1, true, ""}},
			"006-unreleased.migration.ts":    {{r.c7, true, ""}},
			"users/002-users.migration.ts":   {{r.ren, true, "002-users.migration.ts"}},
		}
		var paths []string
		for _, s := range res.Scripts {
			paths = append(paths, s.Path)
			var got []add
			for _, a := range s.Adds {
				got = append(got, add{a.Commit, a.OnDefaultBranch, a.RenamedFrom})
			}
			if !slices.Equal(got, want[s.Path]) {
				t.Errorf("%s adds = %v, want %v", s.Path, got, want[s.Path])
			}
		}
		if !slices.Equal(paths, slices.Sorted(maps.Keys(want))) {
			t.Errorf("scripts = %v, want %v", paths, slices.Sorted(maps.Keys(want)))
		}
		if got := script(t, res, "users/002-users.migration.ts").RenamedFrom; !slices.Equal(got, []string{"002-users.migration.ts"}) {
			t.Errorf("renamed from = %v", got)
		}
		// Dated before v0.3.0 although v0.3.0 does not contain it: the
		// date and ancestry assignments disagree here.
		f := script(t, res, "005-feature.migration.ts").Adds[0]
		if !f.Date.Equal(baseDate.AddDate(0, 0, 4)) || !f.Date.Before(res.Release("v0.3.0").Date) {
			t.Errorf("feature add date = %v", f.Date)
		}
		if _, ok := res.Release("v0.3.0").Files["005-feature.migration.ts"]; ok {
			t.Error("v0.3.0 must not contain the feature script merged after it")
		}
	})

	t.Run("head", func(t *testing.T) {
		if res.Head.Ref != "refs/heads/main" || res.Head.Commit != r.head {
			t.Errorf("head = %s %s, want refs/heads/main %s", res.Head.Ref, res.Head.Commit, r.head)
		}
		if _, ok := res.Head.Files["006-unreleased.migration.ts"]; !ok {
			t.Errorf("head files = %v, want the unreleased script", fileNames(res.Head.Files))
		}
	})
}

func TestScanOptions(t *testing.T) {
	r := buildFixture(t)

	t.Run("prereleases", func(t *testing.T) {
		o := r.options(t)
		o.Prereleases = true
		res := scanOpts(t, o)
		tags := releaseTags(res)
		i := slices.Index(tags, "v0.5.0-rc.1")
		if i < 0 || tags[i+1] != "v0.5.0" {
			t.Fatalf("releases = %v, want v0.5.0-rc.1 just before v0.5.0", tags)
		}
		if _, ok := res.Release("v0.5.0-rc.1").Files["001-init/001-init.migration.ts"]; ok {
			t.Error("the pre-release tree has no 001-init")
		}
	})

	t.Run("prefix", func(t *testing.T) {
		o := r.options(t)
		o.TagPrefix = "api@"
		res := scanOpts(t, o)
		if got := releaseTags(res); !slices.Equal(got, []string{"api@1.4.0", "api@v1.5.0"}) {
			t.Fatalf("releases = %v", got)
		}
		if v := res.Release("api@v1.5.0").Version.String(); v != "1.5.0" {
			t.Errorf("version = %s", v)
		}
		if got := res.Release("api@v1.5.0").Ancestors; !slices.Equal(got, []string{"api@1.4.0"}) {
			t.Errorf("ancestors = %v", got)
		}
	})

	t.Run("tag glob", func(t *testing.T) {
		o := r.options(t)
		o.TagMatch = "v0.2.*"
		res := scanOpts(t, o)
		if got := releaseTags(res); !slices.Equal(got, []string{"v0.2.0", "v0.2.1", "v0.2.2"}) {
			t.Fatalf("releases = %v", got)
		}
		for _, s := range res.Skipped {
			if s.Name == "v0.1.0" && !strings.Contains(s.Reason, "does not match") {
				t.Errorf("v0.1.0 skipped as %q", s.Reason)
			}
		}
	})

	t.Run("globs", func(t *testing.T) {
		o := r.options(t)
		o.Include = []string{"**/*.ts"}
		o.Exclude = []string{"helpers/**"}
		res := scanOpts(t, o)
		got := fileNames(res.Release("v0.2.0").Files)
		want := []string{"001-init/001-init.migration.ts", "002-users.migration.ts", "002-users.spec.ts", "types.d.ts"}
		if !slices.Equal(got, want) {
			t.Errorf("v0.2.0 files = %v, want %v", got, want)
		}
	})

	t.Run("default branch", func(t *testing.T) {
		o := r.options(t)
		o.DefaultBranch = "release-0.2"
		res := scanOpts(t, o)
		if res.Head.Commit != r.m2 || res.Head.Ref != "refs/heads/release-0.2" {
			t.Errorf("head = %s %s", res.Head.Ref, res.Head.Commit)
		}
		// main's tip is no longer walked: the unreleased script is unknown.
		for _, s := range res.Scripts {
			if s.Path == "006-unreleased.migration.ts" {
				t.Error("a script only main's unreleased tip has was found")
			}
			if s.Path == "004-maint-only.ts" && !s.Adds[0].OnDefaultBranch {
				t.Error("the maintenance add is on the chosen default branch")
			}
		}
		o.DefaultBranch = "nope"
		if _, err := Scan(t.Context(), o); !errors.Is(err, ErrRefNotFound) {
			t.Errorf("missing branch: err = %v", err)
		}
	})

	t.Run("subfolder path", func(t *testing.T) {
		o := r.options(t)
		o.Repo = r.Dir + "/apps/api/src"
		res := scanOpts(t, o)
		if len(res.Releases) != 8 {
			t.Errorf("releases = %v", releaseTags(res))
		}
	})

	t.Run("missing folder", func(t *testing.T) {
		o := r.options(t)
		o.Dir = "does/not/exist"
		_, err := Scan(t.Context(), o)
		var ee *EmptyError
		if !errors.As(err, &ee) || !slices.Contains(ee.Suggestions, "--dir apps/api/migrations") {
			t.Errorf("err = %v, want an *EmptyError suggesting --dir apps/api/migrations", err)
		}
		o.AllowEmpty = true
		res := scanOpts(t, o)
		if len(res.Scripts) != 0 || len(res.Releases) != 8 {
			t.Errorf("result = %v", res)
		}
	})
}

// TestAddsMatchGitLog cross-checks the walk against the git CLI: with no
// exclusions and rename detection off, every (commit, path) git log
// --diff-filter=A reports over the release tags and the default branch is
// an add, and vice versa (the fixture's merges add nothing).
func TestAddsMatchGitLog(t *testing.T) {
	r := buildFixture(t)
	o := r.options(t)
	o.Include, o.Exclude = []string{"**"}, []string{}
	res := scanOpts(t, o)
	var got []string
	for _, s := range res.Scripts {
		for _, a := range s.Adds {
			got = append(got, a.Commit+" "+s.Path)
		}
	}
	sort.Strings(got)

	args := []string{"log", "--full-history", "--no-renames", "--diff-filter=A", "--format=commit %H", "--name-only", "main"}
	args = append(args, releaseTags(res)...)
	args = append(args, "--", migDir)
	var want []string
	commit := ""
	for _, line := range strings.Split(r.Git("", args...), "\n") {
		switch {
		case strings.HasPrefix(line, "commit "):
			commit = strings.TrimPrefix(line, "commit ")
		case line == m("vendored"):
			// A submodule entry: git lists it, but it is no script.
		case line != "":
			want = append(want, commit+" "+strings.TrimPrefix(line, migDir+"/"))
		}
	}
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("adds differ from git log\n got: %v\nwant: %v", got, want)
	}
}

// TestMergeAdds checks merges: a path that no parent had ("evil" merge) is
// an add of the merge, as git log -c --diff-filter=A shows it; a path that
// one parent had is not.
func TestMergeAdds(t *testing.T) {
	r := newGitRepo(t)
	r.Commit(day(1), "base", map[string]string{"m/a.ts": "a\n"})
	r.Checkout("-b", "side")
	side := r.Commit(day(2), "side", map[string]string{"m/b.ts": "b\n"})
	r.Checkout("main")
	r.Commit(day(3), "main", map[string]string{"m/c.ts": "c\n"})
	r.Git(day(4), "merge", "-q", "--no-ff", "--no-commit", "side")
	r.Commit(day(4), "evil merge", map[string]string{"m/d.ts": "d\n"})
	mergeHash := r.Git("", "rev-parse", "HEAD")

	res := scanOpts(t, Options{Repo: r.Dir, CacheDir: t.TempDir(), Dir: "m", AllowEmpty: true})
	if a := script(t, res, "d.ts").Adds; len(a) != 1 || a[0].Commit != mergeHash || !a[0].Merge {
		t.Errorf("d.ts adds = %+v, want the merge", a)
	}
	if a := script(t, res, "b.ts").Adds; len(a) != 1 || a[0].Commit != side {
		t.Errorf("b.ts adds = %+v, want only the side commit", a)
	}
	out := r.Git("", "log", "-c", "--diff-filter=A", "--format=commit %H", "--name-only", "-1", mergeHash, "--", "m")
	if !strings.Contains(out, "m/d.ts") || strings.Contains(out, "m/b.ts") {
		t.Errorf("git log -c shows %q for the merge; the documented equivalence no longer holds", out)
	}
}

func TestScanEmptyAndOdd(t *testing.T) {
	r := newGitRepo(t)
	res := scanOpts(t, Options{Repo: r.Dir, CacheDir: t.TempDir(), Dir: "m", AllowEmpty: true})
	if len(res.Releases) != 0 || res.Head.Commit != "" {
		t.Errorf("empty repository: %v", res)
	}
	// Detached HEAD.
	c := r.Commit(day(1), "one", map[string]string{"m/a.ts": "a\n"})
	r.Checkout("--detach", c)
	res = scanOpts(t, Options{Repo: r.Dir, CacheDir: t.TempDir(), Dir: "m", AllowEmpty: true})
	if res.Head.Ref != "HEAD" || res.Head.Commit != c {
		t.Errorf("detached head = %+v", res.Head)
	}
	// Case-sensitive paths: M is not m.
	res = scanOpts(t, Options{Repo: r.Dir, CacheDir: t.TempDir(), Dir: "M", AllowEmpty: true})
	if len(res.Scripts) != 0 {
		t.Errorf("Dir M found %v", res.Scripts)
	}
}

func TestAddDatesKeepZone(t *testing.T) {
	r := newGitRepo(t)
	c := r.Commit("2023-05-06T07:08:09+02:00", "one", map[string]string{"m/a.ts": "a\n"})
	res := scanOpts(t, Options{Repo: r.Dir, CacheDir: t.TempDir(), Dir: "m", AllowEmpty: true})
	a := script(t, res, "a.ts").Adds[0]
	want := time.Date(2023, 5, 6, 7, 8, 9, 0, time.FixedZone("", 2*3600))
	if a.Commit != c || !a.Date.Equal(want) || a.Date.Format(time.RFC3339) != "2023-05-06T07:08:09+02:00" {
		t.Errorf("add = %+v, want %v", a, want)
	}
}
