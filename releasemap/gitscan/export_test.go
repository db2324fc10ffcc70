package gitscan

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestExportTree(t *testing.T) {
	r := buildFixture(t)
	dest := filepath.Join(t.TempDir(), "checkouts", "v0.4.0")
	// A branch named v0.3.0 exists too; export must read the tag.
	for _, tag := range []string{"v0.4.0", "v0.3.0"} {
		d := dest + "-" + tag
		if err := ExportTree(t.Context(), ExportOptions{Repo: r.Dir, Tag: tag, Dest: d}); err != nil {
			t.Fatalf("export %s: %v", tag, err)
		}
	}
	d := dest + "-v0.4.0"
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(d, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read("apps/api/migrations/users/002-users.migration.ts"); got != "users\n" {
		t.Errorf("content = %q", got)
	}
	if got := read("apps/api/src/app.ts"); got != "app v2\n" {
		t.Errorf("app.ts = %q, want v0.4.0's", got)
	}
	if fi, err := os.Stat(filepath.Join(d, "apps/api/src/run.sh")); err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("run.sh lost its exec bit: %v %v", fi, err)
	}
	if target, err := os.Readlink(filepath.Join(d, "apps/api/src/link.ts")); err != nil || target != "app.ts" {
		t.Errorf("symlink = %q, %v", target, err)
	}
	if fi, err := os.Stat(filepath.Join(d, "vendor/sub")); err != nil || !fi.IsDir() {
		t.Errorf("submodule placeholder: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dest+"-v0.3.0", "apps/api/migrations/003-backport.migration.ts")); !os.IsNotExist(err) {
		t.Errorf("v0.3.0 export has the back-port: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dest+"-v0.3.0", "apps/api/src/app.ts")); string(got) != "app v2\n" {
		t.Errorf("v0.3.0 export read the branch, not the tag: %q", got)
	}

	if err := ExportTree(t.Context(), ExportOptions{Repo: r.Dir, Tag: "v0.4.0", Dest: d}); err == nil {
		t.Error("export over an existing folder succeeded")
	}
	err := ExportTree(t.Context(), ExportOptions{Repo: r.Dir, Tag: "v7.7.7", Dest: filepath.Join(t.TempDir(), "x")})
	if !errors.Is(err, ErrRefNotFound) {
		t.Errorf("missing tag: err = %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dest))
	for _, e := range entries {
		if e.Name()[0] == '.' {
			t.Errorf("temporary folder left behind: %s", e.Name())
		}
	}
}

func TestExportTreeFromURL(t *testing.T) {
	r := buildFixture(t)
	cache := t.TempDir()
	url := "file://" + r.Dir
	d := filepath.Join(t.TempDir(), "a")
	if err := ExportTree(t.Context(), ExportOptions{Repo: url, CacheDir: cache, Tag: "v1.0.0", Dest: d}); err != nil {
		t.Fatal(err)
	}
	// A tag made after the clone: export fetches once.
	c8 := r.Commit(day(30), "later", map[string]string{"later.txt": "x\n"})
	r.Tag("v2.0.0", c8)
	d2 := filepath.Join(t.TempDir(), "b")
	if err := ExportTree(t.Context(), ExportOptions{Repo: url, CacheDir: cache, Tag: "v2.0.0", Dest: d2}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d2, "later.txt")); err != nil {
		t.Error(err)
	}
}
