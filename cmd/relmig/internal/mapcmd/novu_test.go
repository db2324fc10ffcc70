package mapcmd_test

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
)

// novuRelease is one release tag of testdata/novu-plumbing.txt.
type novuRelease struct {
	tag, date string
	ancestors []string
	files     map[string]string // path in the folder → blob id
}

// loadNovu reads the plumbing facts and the expected release of each
// script.
func loadNovu(t *testing.T) ([]*novuRelease, map[string]string) {
	t.Helper()
	f, err := os.Open("testdata/novu-plumbing.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rels []*novuRelease
	byTag := map[string]*novuRelease{}
	expect := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch fields[0] {
		case "release":
			r := &novuRelease{tag: fields[1], date: fields[2], ancestors: fields[3:], files: map[string]string{}}
			rels = append(rels, r)
			byTag[r.tag] = r
		case "file":
			byTag[fields[1]].files[fields[3]] = fields[2]
		case "expect":
			expect[fields[1]] = fields[2]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rels, expect
}

// TestNovuMapping rebuilds Novu's release history from git plumbing facts
// (60 release tags with their dates and lineage, including a stray v1.0.1
// older than v0.0.2 and the 0.24 maintenance line; the migrations folder of
// each, spec files included; no file content) and checks that map build,
// with no flags beyond --dir, gives each of the 19 scripts the release a
// plain git ls-tree check gives it.
func TestNovuMapping(t *testing.T) {
	rels, expect := loadNovu(t)
	// Ancestor sets nest: fewer ancestors first is a topological order.
	sort.SliceStable(rels, func(i, j int) bool { return len(rels[i].ancestors) < len(rels[j].ancestors) })
	r := newGitRepo(t)
	const dir = "apps/api/migrations"
	commit := map[string]string{}
	anc := map[string]map[string]bool{}
	for _, rel := range rels {
		anc[rel.tag] = map[string]bool{}
		for _, a := range rel.ancestors {
			anc[rel.tag][a] = true
		}
		// Parents: the ancestors no other ancestor descends from.
		var parents []string
		for _, a := range rel.ancestors {
			nearest := true
			for _, b := range rel.ancestors {
				if b != a && anc[b][a] {
					nearest = false
					break
				}
			}
			if nearest {
				parents = append(parents, a)
			}
		}
		sort.Strings(parents)
		switch {
		case len(commit) == 0:
		case len(parents) == 0:
			r.Git("", "checkout", "-q", "--orphan", "line-"+rel.tag)
		default:
			r.Git("", "checkout", "-q", "--detach", commit[parents[0]])
			if len(parents) > 1 {
				args := []string{"merge", "-q", "--no-commit", "--no-ff", "-s", "ours"}
				for _, p := range parents[1:] {
					args = append(args, commit[p])
				}
				r.Git(rel.date, args...)
			}
		}
		r.Git("", "rm", "-rq", "--ignore-unmatch", "--cached", dir)
		if err := os.RemoveAll(filepath.Join(r.Dir, dir)); err != nil {
			t.Fatal(err)
		}
		files := map[string]string{"apps/api/src/version.txt": rel.tag + "\n"}
		for p, blob := range rel.files {
			files[dir+"/"+p] = "// blob " + blob + "\n"
		}
		r.Write(files)
		r.Git("", "add", "-A")
		r.Git(rel.date, "commit", "-q", "--allow-empty", "-m", "release "+rel.tag)
		commit[rel.tag] = r.Git("", "rev-parse", "HEAD")
		r.Annotate(rel.date, rel.tag, "HEAD")
	}
	// The default branch (Novu's "next") is at the highest release.
	r.Git("", "checkout", "-q", "-B", "next", commit["v2.0.0"])

	mapFile := filepath.Join(t.TempDir(), "releasemap.yaml")
	res, stderr := buildJSON(t, "--map", mapFile, "--repo", r.Dir, "--dir", dir, "--cache-dir", t.TempDir(), "--write")
	got := map[string]string{}
	for _, rel := range res.Releases {
		for _, g := range rel.Migrations {
			got[g.ID] = rel.Version
		}
	}
	for _, g := range res.Unreleased {
		got[g.ID] = "unreleased"
	}
	if len(expect) != 19 {
		t.Fatalf("fixture has %d expectations, want 19", len(expect))
	}
	for id, want := range expect {
		if got[id] != want {
			t.Errorf("%s: %q, want %s", id, got[id], want)
		}
	}
	for id := range got {
		if _, ok := expect[id]; !ok {
			t.Errorf("unexpected migration %s in %s", id, got[id])
		}
	}
	if t.Failed() {
		t.Logf("map build:\n%s", stderr)
	}
	if code, stdout, stderr := relmig(t, "map", "check", "--map", mapFile, "--no-files"); code != cmdutil.ExitOK {
		t.Errorf("map check: exit %d\n%s%s", code, stdout, stderr)
	}
}
