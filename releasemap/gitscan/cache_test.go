package gitscan

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestScanCache(t *testing.T) {
	r := buildFixture(t)
	opts := r.options(t)
	first := scanOpts(t, opts)

	files, _ := filepath.Glob(filepath.Join(opts.CacheDir, "gitscan", "*.walk"))
	if len(files) != 1 {
		t.Fatalf("cache files = %v, want one", files)
	}
	stat, _ := os.Stat(files[0])

	second := scanOpts(t, opts)
	if !reflect.DeepEqual(first, second) {
		t.Fatalf("warm scan differs:\n%v\n%v", first, second)
	}
	if again, _ := os.Stat(files[0]); !again.ModTime().Equal(stat.ModTime()) {
		t.Error("an unchanged repository rewrote the cache")
	}

	// A new commit and release: the warm run walks only them.
	c8 := r.Commit(day(30), "later", map[string]string{
		m("007-later.ts"):                 "later\n",
		m("005-feature.migration.ts"):     "feature edited\n",
		m("users/002-users.migration.ts"): "",
	})
	r.Annotate(day(31), "v1.1.0", c8)
	third := scanOpts(t, opts)
	fresh := scanOpts(t, Options{Repo: opts.Repo, CacheDir: t.TempDir(), Dir: opts.Dir})
	if !reflect.DeepEqual(third, fresh) {
		t.Fatalf("incremental scan differs from a cold one:\n%v\n%v", third, fresh)
	}
	if a := script(t, third, "007-later.ts").Adds; len(a) != 1 || a[0].Commit != c8 {
		t.Errorf("new add = %+v", a)
	}
	v := third.Release("v1.1.0")
	if v == nil || v.Files["005-feature.migration.ts"].SHA256 == third.Release("v1.0.0").Files["005-feature.migration.ts"].SHA256 {
		t.Errorf("edited script keeps its old content hash at the new release: %+v", v)
	}

	// A damaged cache is ignored and replaced.
	if err := os.WriteFile(files[0], []byte("relmig-gitscan-walk v1\ngarbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := scanOpts(t, opts); !reflect.DeepEqual(got, fresh) {
		t.Error("scan with a damaged cache differs")
	}
}

func TestWalkCacheRoundTrip(t *testing.T) {
	h := func(s string) plumbing.Hash { return plumbing.NewHash(s) }
	c := newWalkCache("apps/m")
	root := &commitRec{hash: h("1111111111111111111111111111111111111111"), dirTree: h("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		when: 1700000000, tz: -7200, hasTime: true, adds: []addRec{{path: "a.ts"}, {path: "b/c.ts", renamedFrom: "c.ts", merge: true}}}
	child := &commitRec{hash: h("2222222222222222222222222222222222222222"), parents: []plumbing.Hash{root.hash}, parentRecs: []*commitRec{root}}
	c.commits[root.hash], c.commits[child.hash] = root, child
	c.tags[h("3333333333333333333333333333333333333333")] = peeledRef{target: child.hash, kind: plumbing.CommitObject, annotated: true, when: 5, tz: 60, hasTime: true}
	c.sums[h("4444444444444444444444444444444444444444")] = [32]byte{1, 2, 3}
	c.trees[root.dirTree] = []treeEntry{{name: "a.ts", mode: 0o100644, hash: h("5555555555555555555555555555555555555555")}, {name: "b", mode: modeTree}}

	buf := bytes.NewBuffer(c.encode())
	got, err := decodeWalkCache(buf.Bytes(), "apps/m")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("round trip:\n%+v\n%+v", got, c)
	}
	// Saved in the walk's order, the same cache.
	c.order, child.pos = []*commitRec{root, child}, 1
	inOrder := c.encode()
	c.order, child.pos = nil, 0
	if got, err := decodeWalkCache(inOrder, "apps/m"); err != nil || !reflect.DeepEqual(got, c) {
		t.Errorf("round trip in the walk's order: %v\n%+v\n%+v", err, got, c)
	}
	if _, err := decodeWalkCache(buf.Bytes(), "other"); err == nil {
		t.Error("a cache for another folder was accepted")
	}
	for n := 0; n < buf.Len(); n += 7 {
		if _, err := decodeWalkCache(buf.Bytes()[:n], "apps/m"); err == nil {
			t.Errorf("truncated at %d accepted", n)
		}
	}
}
