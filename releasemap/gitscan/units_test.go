package gitscan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/relmig/relmig/releasemap"
)

func TestReleaseVersion(t *testing.T) {
	cases := []struct {
		name, match, prefix string
		pre                 bool
		want, reason        string
	}{
		{name: "v1.2.3", want: "1.2.3"},
		{name: "1.2.3", want: "1.2.3"},
		{name: "v1.2", reason: "not semver"},
		{name: "v01.2.3", reason: "not semver"},
		{name: "release-1", reason: "not semver"},
		{name: "v1.2.3-rc.1", reason: "pre-release"},
		{name: "v1.2.3-rc.1", pre: true, want: "1.2.3-rc.1"},
		{name: "v1.2.3+build.5", want: "1.2.3+build.5"},
		{name: "api@1.4.0", prefix: "api@", want: "1.4.0"},
		{name: "api@v1.4.0", prefix: "api@", want: "1.4.0"},
		{name: "web@1.4.0", prefix: "api@", reason: `no prefix "api@"`},
		{name: "v1.0.0", match: "api@*", reason: `does not match "api@*"`},
		{name: "release/v1.0.0", match: "v*", reason: `does not match "v*"`},
		{name: "release/v1.0.0", match: "release/*", prefix: "release/", want: "1.0.0"},
		{name: "vv1.0.0", reason: "not semver"},
	}
	for _, tc := range cases {
		v, reason := releaseVersion(tc.name, settings{tagMatch: tc.match, tagPrefix: tc.prefix, prereleases: tc.pre})
		got := ""
		if v != nil {
			got = v.String()
		}
		if got != tc.want || reason != tc.reason {
			t.Errorf("%s (match %q prefix %q pre %v) = %q %q, want %q %q", tc.name, tc.match, tc.prefix, tc.pre, got, reason, tc.want, tc.reason)
		}
	}
}

func TestSortReleases(t *testing.T) {
	rel := func(tag, v string) Release { return Release{Tag: tag, Version: semver.MustParse(v)} }
	in := []Release{rel("v0.10.0", "0.10.0"), rel("v0.9.0", "0.9.0"), rel("v1.0.0", "1.0.0"),
		rel("v1.0.0-alpha.0", "1.0.0-alpha.0"), rel("1.0.0", "1.0.0"), rel("v0.4.0", "0.4.0"), rel("v1.0.0+b", "1.0.0+b")}
	out, skipped := sortReleases(in)
	var tags []string
	for _, r := range out {
		tags = append(tags, r.Tag)
	}
	if want := []string{"v0.4.0", "v0.9.0", "v0.10.0", "v1.0.0-alpha.0", "1.0.0"}; !slices.Equal(tags, want) {
		t.Errorf("order = %v, want %v", tags, want)
	}
	if len(skipped) != 2 || skipped[0].Reason != "same version as 1.0.0" {
		t.Errorf("skipped = %v", skipped)
	}
}

func TestCleanDir(t *testing.T) {
	for in, want := range map[string]string{
		"": "", ".": "", "apps/api/migrations": "apps/api/migrations", "apps/api/migrations/": "apps/api/migrations",
		"./apps//x": "apps/x", "a/../b": "b", "..foo": "..foo",
	} {
		if got, err := cleanDir(in); err != nil || got != want {
			t.Errorf("cleanDir(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"/abs", "..", "../x", "a/../../x", ".git", "a/.git/b"} {
		if _, err := cleanDir(in); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("cleanDir(%q) err = %v, want ErrInvalidOptions", in, err)
		}
	}
}

func TestFilter(t *testing.T) {
	def, err := newFilter(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	none, _ := newFilter([]string{"**/*.ts"}, []string{})
	helpers, _ := newFilter(nil, append(releasemap.DefaultExclude(), "helpers/**"))
	cases := []struct {
		f    filter
		path string
		want bool
	}{
		{def, "x.migration.ts", true},
		{def, "a/b/x.ts", true},
		{def, "README.md", false},
		{def, "TEMPLATE", false},
		{def, "package.json", false},
		{def, "a/data.db", false},
		{def, ".eslintrc.js", false},
		{def, ".htaccess", false},
		{def, "a/.hidden/x.js", false},
		{def, "releasemap.yaml", false},
		{def, "20240101_init/up.sql", true},
		{def, "20240101_init/down.sql", false},
		{def, "1_init.down.sql", false},
		{def, "1_init.up.sql", true},
		{def, "20200101-add-users-down.sql", false},
		{def, "countdown.js", true},
		{def, "markdown-index.ts", true},
		{def, "knexfile.config.js", false},
		{def, "x.cjs", true},
		{def, "x.mjs", true},
		{def, "x.py", true},
		{def, "x.sh", true},
		{def, "x.spec.ts", false},
		{def, "a/x.spec.ts", false},
		{def, "a/x.test.js", false},
		{def, "types.d.ts", false},
		{def, "a/types.d.ts", false},
		{def, "X.Spec.ts", true}, // globs are case-sensitive, like paths
		{none, "x.spec.ts", true},
		{none, "README.md", false},
		{none, "x.js", false},
		{helpers, "helpers/util.ts", false},
		{helpers, "x/helpers/util.ts", true},
	}
	for _, tc := range cases {
		if got := tc.f.match(tc.path); got != tc.want {
			t.Errorf("%+v match %q = %v, want %v", tc.f, tc.path, got, tc.want)
		}
	}
	if _, err := newFilter([]string{"[unclosed"}, nil); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("bad glob: %v", err)
	}
}

func TestParseCommitAndTag(t *testing.T) {
	raw := "tree 1111111111111111111111111111111111111111\n" +
		"parent 2222222222222222222222222222222222222222\n" +
		"parent 3333333333333333333333333333333333333333\n" +
		"author A <a@x> 1 +0000\n" +
		"committer C D <c@x> 1700000000 -0530\n" +
		"gpgsig -----BEGIN\n -----END\n" +
		"\nmessage\ncommitter fake <x> 5 +0000\n"
	c, err := parseCommit([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if c.tree != plumbing.NewHash("1111111111111111111111111111111111111111") || len(c.parents) != 2 ||
		c.when != 1700000000 || c.tz != -(5*3600+30*60) {
		t.Errorf("commit = %+v", c)
	}
	if _, err := parseCommit([]byte("parent x\n")); err == nil {
		t.Error("commit without tree accepted")
	}
	target, when, tz, ok, err := parseTag([]byte("object 4444444444444444444444444444444444444444\ntype commit\ntag v1\ntagger T <t@x> 42 +0100\n\nmsg\n"))
	if err != nil || target != plumbing.NewHash("4444444444444444444444444444444444444444") || when != 42 || tz != 3600 || !ok {
		t.Errorf("tag = %v %d %d %v %v", target, when, tz, ok, err)
	}
}

func TestTreeParsingAndOrder(t *testing.T) {
	entry := func(mode, name string, b byte) []byte {
		h := make([]byte, 20)
		h[0] = b
		return append([]byte(mode+" "+name+"\x00"), h...)
	}
	var raw []byte
	raw = append(raw, entry("100644", "a.ts", 1)...)
	raw = append(raw, entry("40000", "a", 2)...)
	raw = append(raw, entry("160000", "sub", 3)...)
	entries, err := parseTree(raw)
	if err != nil || len(entries) != 3 || entries[1].mode != modeTree || entries[2].isFile() {
		t.Fatalf("entries = %+v, %v", entries, err)
	}
	h, mode, found, err := findEntry(raw, "a")
	if err != nil || !found || mode != modeTree || h[0] != 2 {
		t.Errorf("findEntry = %v %o %v %v", h, mode, found, err)
	}
	if _, err := parseTree(raw[:len(raw)-3]); err == nil {
		t.Error("truncated tree accepted")
	}
	// git orders "a.ts" (blob) before "a" (tree, compared as "a/").
	if compareEntries(entries[0], entries[1]) >= 0 {
		t.Error("a.ts must sort before tree a")
	}
	if compareEntries(treeEntry{name: "a"}, treeEntry{name: "a", mode: modeTree}) >= 0 {
		t.Error("blob a must sort before tree a")
	}
}

func TestPairRenames(t *testing.T) {
	h := func(b byte) plumbing.Hash { var x plumbing.Hash; x[0] = b; return x }
	added := []pathBlob{{"new/x.ts", h(1)}, {"y2.ts", h(2)}, {"z.ts", h(9)}, {"w.ts", h(2)}}
	removed := []pathBlob{{"x.ts", h(1)}, {"old/x.ts", h(1)}, {"y.ts", h(2)}}
	got := pairRenames(added, removed)
	want := []addRec{{path: "new/x.ts", renamedFrom: "old/x.ts"}, {path: "w.ts", renamedFrom: "y.ts"}, {path: "y2.ts"}, {path: "z.ts"}}
	if !slices.Equal(got, want) {
		t.Errorf("pairRenames = %+v, want %+v", got, want)
	}
}

func TestReachingReleases(t *testing.T) {
	// 0 - 1 - 3 (merge of 2)
	//   \ 2 /
	//   \ 4 (side line)
	recs := make([]*commitRec, 5)
	for i := range recs {
		recs[i] = &commitRec{pos: i}
	}
	link := func(c int, parents ...int) {
		for _, p := range parents {
			recs[c].parentRecs = append(recs[c].parentRecs, recs[p])
		}
	}
	link(1, 0)
	link(2, 0)
	link(3, 1, 2)
	link(4, 0)
	got := reachingReleases(recs, []*commitRec{recs[0], recs[2], recs[3], recs[4], recs[3]})
	want := [][]int{{0}, {0, 1}, {0, 1, 2, 4}, {0, 3}, {0, 1, 2, 4}}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("release %d reaches %v, want %v", i, got[i], want[i])
		}
	}
	marked := reachableFrom(recs, recs[3])
	if want := []bool{true, true, true, true, false}; !slices.Equal(marked, want) {
		t.Errorf("reachableFrom = %v, want %v", marked, want)
	}
	if marked := reachableFrom(recs, nil); slices.Contains(marked, true) {
		t.Errorf("reachableFrom(nil) = %v", marked)
	}
}

// TestParallelResolve checks that resolving folder trees across several
// readers gives what one reader gives (the benchmark's batches are too big
// for the test repositories to take that path otherwise).
func TestParallelResolve(t *testing.T) {
	r := buildFixture(t)
	var results [][]string
	for _, batch := range []int{1 << 30, 1} {
		repo, err := openLocal(r.Dir)
		if err != nil {
			t.Fatal(err)
		}
		w := &walker{repo: repo, trees: newTrees(repo, []string{"apps", "api", "migrations"}), recs: map[plumbing.Hash]*commitRec{}, batch: batch}
		tips := []plumbing.Hash{plumbing.NewHash(r.head), plumbing.NewHash(r.m2)}
		order, err := w.walk(t.Context(), tips)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, rec := range order {
			got = append(got, fmt.Sprintf("%s %s %v", rec.hash, rec.dirTree, rec.adds))
		}
		results = append(results, got)
		if err := repo.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(results[0], results[1]) || len(results[0]) < 10 {
		t.Errorf("parallel walk differs:\n%v\n%v", results[0], results[1])
	}
}

func TestScanCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Scan(ctx, Options{Repo: t.TempDir(), CacheDir: t.TempDir()})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
