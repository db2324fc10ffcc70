package gitscan

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestShallowCloneRefusedWithCommand(t *testing.T) {
	r := buildFixture(t)
	parent := t.TempDir()
	runGit(t, parent, "", "clone", "-q", "--depth", "1", "--no-single-branch", "file://"+r.Dir, "shallow")
	repo := filepath.Join(parent, "shallow")
	_, err := Scan(t.Context(), Options{Repo: repo, CacheDir: t.TempDir(), Dir: migDir})
	var se *ShallowError
	if !errors.Is(err, ErrIncompleteHistory) || !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *ShallowError", err)
	}
	want := "`git -C " + repo + " fetch --unshallow --tags`"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("message %q does not name %s", err, want)
	}
	// The command it names completes the clone, and the scan then agrees
	// with the full repository.
	runGit(t, repo, "", "fetch", "-q", "--unshallow", "--tags")
	full := scanOpts(t, Options{Repo: r.Dir, CacheDir: t.TempDir(), Dir: migDir})
	got := scanOpts(t, Options{Repo: repo, CacheDir: t.TempDir(), Dir: migDir, DefaultBranch: "origin/main"})
	sameFacts(t, full, got)
}

// Partial clones are read when every object the scan needs is present; a
// missing one is named with its path and the command that fetches it, and
// that command works.
func TestPartialClones(t *testing.T) {
	r := buildFixture(t)
	r.Git("", "config", "uploadpack.allowFilter", "true")
	r.Git("", "config", "uploadpack.allowAnySHA1InWant", "true")
	// A tree-less clone cannot fetch tags that point at trees or blobs.
	r.Git("", "tag", "-d", "v9.9.9", "v9.9.8")
	full := scanOpts(t, Options{Repo: r.Dir, CacheDir: t.TempDir(), Dir: migDir})
	cases := []struct {
		name string
		args []string
	}{
		// A work tree of a blob-less clone has the tip's blobs, not the
		// older ones.
		{"blobless", []string{"--filter=blob:none"}},
		{"blobless-bare", []string{"--bare", "--filter=blob:none"}},
		{"treeless-bare", []string{"--bare", "--filter=tree:0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			repo := filepath.Join(t.TempDir(), tc.name)
			runGit(t, filepath.Dir(repo), "", append(append([]string{"clone", "-q"}, tc.args...), "file://"+r.Dir, repo)...)
			opts := Options{Repo: repo, CacheDir: t.TempDir(), Dir: migDir, DefaultBranch: "main"}
			var fetched int
			for {
				res, err := Scan(t.Context(), opts)
				if err == nil {
					sameFacts(t, full, res)
					break
				}
				var me *MissingObjectError
				if !errors.As(err, &me) || !errors.Is(err, ErrIncompleteHistory) {
					t.Fatalf("err = %v, want a *MissingObjectError", err)
				}
				if !me.Partial || me.Hash == "" || (me.Kind == "blob" && !strings.HasPrefix(me.Path, migDir+"/")) {
					t.Fatalf("missing object not described: %+v", me)
				}
				cmd := "`git -C " + repo + " cat-file -e " + me.Hash + "`"
				if !strings.Contains(err.Error(), cmd) {
					t.Fatalf("message %q does not name %s", err, cmd)
				}
				runGit(t, repo, "", "cat-file", "-e", me.Hash)
				if fetched++; fetched > 500 {
					t.Fatal("still missing objects after 500 fetches")
				}
			}
			if tc.name != "blobless" && fetched == 0 {
				t.Errorf("nothing was missing from a %s clone", tc.name)
			}
		})
	}
}

func TestNotRepository(t *testing.T) {
	dir := t.TempDir()
	_, err := Scan(t.Context(), Options{Repo: dir, CacheDir: t.TempDir()})
	if !errors.Is(err, ErrNotRepository) {
		t.Errorf("plain folder: err = %v", err)
	}
	_, err = Scan(t.Context(), Options{Repo: filepath.Join(dir, "missing"), CacheDir: t.TempDir()})
	if !errors.Is(err, ErrNotRepository) {
		t.Errorf("missing folder: err = %v", err)
	}
	_, err = Scan(t.Context(), Options{Repo: dir})
	if !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("no cache folder: err = %v", err)
	}
}

// comparable strips what legitimately differs between two scans of one
// history read through different doors (the head's reference name).
func sameFacts(t *testing.T, a, b *Result) {
	t.Helper()
	if !reflect.DeepEqual(a.Releases, b.Releases) {
		t.Errorf("releases differ:\n%v\n%v", a.Releases, b.Releases)
	}
	if !reflect.DeepEqual(a.Scripts, b.Scripts) {
		t.Errorf("scripts differ:\n%v\n%v", a.Scripts, b.Scripts)
	}
	if a.Head.Commit != b.Head.Commit || !reflect.DeepEqual(a.Head.Files, b.Head.Files) {
		t.Errorf("heads differ: %+v / %+v", a.Head, b.Head)
	}
}

func TestBareAndWorktree(t *testing.T) {
	r := buildFixture(t)
	want := scanOpts(t, r.options(t))
	parent := t.TempDir()

	runGit(t, parent, "", "clone", "-q", "--bare", r.Dir, "bare.git")
	bare := scanOpts(t, Options{Repo: filepath.Join(parent, "bare.git"), CacheDir: t.TempDir(), Dir: migDir})
	sameFacts(t, want, bare)

	wt := filepath.Join(parent, "wt")
	r.Git("", "worktree", "add", "-q", "-b", "wt-branch", wt, "main")
	got := scanOpts(t, Options{Repo: filepath.Join(wt, "apps"), CacheDir: t.TempDir(), Dir: migDir})
	sameFacts(t, want, got)
	if got.Head.Ref != "refs/heads/wt-branch" {
		t.Errorf("worktree head = %s, want its own branch", got.Head.Ref)
	}
}

func TestURLCloneAndFetch(t *testing.T) {
	r := buildFixture(t)
	want := scanOpts(t, r.options(t))
	cache := t.TempDir()
	url := "file://" + r.Dir
	opts := Options{Repo: url, CacheDir: cache, Dir: migDir}

	got := scanOpts(t, opts)
	sameFacts(t, want, got)
	if got.Head.Ref != "refs/remotes/origin/main" {
		t.Errorf("clone head = %s", got.Head.Ref)
	}
	if _, err := os.Stat(cloneDir(cache, url)); err != nil {
		t.Fatalf("no clone in the cache: %v", err)
	}

	// New history upstream: the next scan fetches it.
	c8 := r.Commit(day(30), "later", map[string]string{m("007-later.ts"): "later\n"})
	r.Tag("v1.1.0", c8)
	r.Git("", "tag", "-d", "v0.2.2")
	got = scanOpts(t, opts)
	if v := got.Release("v1.1.0"); v == nil || v.Commit != c8 {
		t.Fatalf("fetched release v1.1.0 = %+v", v)
	}
	if got.Release("v0.2.2") != nil {
		t.Error("a tag deleted upstream is still a release")
	}
	if got.Head.Commit != c8 {
		t.Errorf("head = %s, want %s", got.Head.Commit, c8)
	}
	script(t, got, "007-later.ts")
}

func TestIsURL(t *testing.T) {
	for in, want := range map[string]bool{
		"https://github.com/a/b.git": true,
		"file:///tmp/x":              true,
		"git@github.com:a/b.git":     true,
		"ssh://git@host/x":           true,
		"/tmp/repo":                  false,
		"../repo":                    false,
		"./a@b:c":                    false,
		"repo":                       false,
		"C:/repo":                    false,
	} {
		if got := isURL(in); got != want {
			t.Errorf("isURL(%q) = %v, want %v", in, got, want)
		}
	}
}
