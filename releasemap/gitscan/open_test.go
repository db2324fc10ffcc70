package gitscan

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestIncompleteHistoryRefused(t *testing.T) {
	r := buildFixture(t)
	r.Git("", "config", "uploadpack.allowFilter", "true")
	parent := t.TempDir()
	cases := []struct {
		name string
		args []string
	}{
		{"shallow", []string{"clone", "-q", "--depth", "1", "--no-single-branch", "file://" + r.Dir, "shallow"}},
		{"partial", []string{"clone", "-q", "--filter=blob:none", "file://" + r.Dir, "partial"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runGit(t, parent, "", tc.args...)
			_, err := Scan(t.Context(), Options{Repo: filepath.Join(parent, tc.name), CacheDir: t.TempDir(), Dir: migDir})
			if !errors.Is(err, ErrIncompleteHistory) {
				t.Fatalf("err = %v, want ErrIncompleteHistory", err)
			}
			if !strings.Contains(err.Error(), "history is incomplete: fetch full history with tags") {
				t.Errorf("message = %q", err)
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
