package mapcmd_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/cmd/relmig/internal/root"
)

// gitRepo builds a real repository with the git CLI: commits with given
// dates, branches, merges, cherry-picks and tags.
type gitRepo struct {
	t   *testing.T
	dir string
}

// baseDate is day 0 of every test repository's history.
var baseDate = time.Date(2023, 1, 1, 12, 0, 0, 0, time.UTC)

func day(n int) string { return baseDate.AddDate(0, 0, n).Format(time.RFC3339) }

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git CLI not installed")
	}
	r := &gitRepo{t: t, dir: filepath.Join(t.TempDir(), "repo")}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r.git("", "init", "-q", "-b", "main")
	return r
}

// git runs git in the repository, isolated from the machine's
// configuration, with both dates set when date is given.
func (r *gitRepo) git(date string, args ...string) string {
	r.t.Helper()
	return runGit(r.t, r.dir, date, args...)
}

func runGit(t *testing.T, dir, date string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "advice.nestedTag=false", "-c", "protocol.file.allow=always"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"HOME="+t.TempDir(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com")
	if date != "" {
		cmd.Env = append(cmd.Env, "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// commit writes files (an empty content deletes the file), stages
// everything and commits at the given date.
func (r *gitRepo) commit(date, msg string, files map[string]string) string {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.dir, filepath.FromSlash(name))
		if content == "" {
			if err := os.Remove(p); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.git("", "add", "-A")
	r.git(date, "commit", "-q", "--allow-empty", "-m", msg)
	return r.git("", "rev-parse", "HEAD")
}

func (r *gitRepo) checkout(args ...string) {
	r.t.Helper()
	r.git("", append([]string{"checkout", "-q"}, args...)...)
}

// tag creates a lightweight tag; annotate an annotated one dated date.
func (r *gitRepo) tag(name, target string) { r.t.Helper(); r.git("", "tag", name, target) }

func (r *gitRepo) annotate(date, name, target string) {
	r.t.Helper()
	r.git(date, "tag", "-a", "-m", "release "+name, name, target)
}

// migDir is the migrations folder of the test repositories.
const migDir = "apps/api/migrations"

func m(name string) string { return migDir + "/" + name }

// fixture holds the commits tests refer to.
type fixture struct {
	*gitRepo
	c1, m1, pick, f1 string
}

// buildFixture creates:
//
//	main:        c1 (v0.1.0, lightweight) - c2 (v0.2.0) - c3 (v0.3.0, d5) - merge feature (d9) - pick m1 (d10) - rename (v0.4.0) - delete 001 (v0.5.0-rc.1) - v0.5.0 - v1.0.0 (tag of tag) - c7 (unreleased)
//	feature:     from c2: 005-feature committed d4, before v0.3.0, merged after it
//	release-0.2: from v0.2.0: m1 003-backport (v0.2.1, later cherry-picked into main) - m2 004-maint-only (v0.2.2)
//
// plus a spec file and a type declaration beside the scripts, tags that are
// not releases (non-semver, prefixed, at a tree) and a branch named v0.3.0
// pointing at c1.
func buildFixture(t *testing.T) *fixture {
	t.Helper()
	r := &fixture{gitRepo: newGitRepo(t)}
	r.c1 = r.commit(day(1), "init", map[string]string{
		"README.md":                         "hello\n",
		"apps/api/src/app.ts":               "app v1\n",
		m("001-init/001-init.migration.ts"): "init\n",
	})
	r.tag("v0.1.0", r.c1)
	c2 := r.commit(day(2), "users", map[string]string{
		m("002-users.migration.ts"): "users\n",
		m("002-users.spec.ts"):      "spec\n",
		m("types.d.ts"):             "declare\n",
	})
	r.annotate(day(3), "v0.2.0", c2)

	r.checkout("-b", "feature", c2)
	r.f1 = r.commit(day(4), "feature", map[string]string{m("005-feature.migration.ts"): "feature\n"})

	r.checkout("main")
	c3 := r.commit(day(5), "app change", map[string]string{"apps/api/src/app.ts": "app v2\n"})
	r.annotate(day(5), "v0.3.0", c3)

	r.checkout("-b", "release-0.2", "v0.2.0")
	r.m1 = r.commit(day(6), "backport fix", map[string]string{m("003-backport.migration.ts"): "backport\n"})
	r.annotate(day(6), "v0.2.1", r.m1)
	m2 := r.commit(day(7), "maintenance only", map[string]string{m("004-maint-only.ts"): "maint\n"})
	r.tag("v0.2.2", m2)

	r.checkout("main")
	r.git(day(9), "merge", "-q", "--no-ff", "--no-edit", "feature")
	r.git(day(10), "cherry-pick", r.m1)
	r.pick = r.git("", "rev-parse", "HEAD")
	if err := os.MkdirAll(filepath.Join(r.dir, m("users")), 0o755); err != nil {
		t.Fatal(err)
	}
	r.git("", "mv", m("002-users.migration.ts"), m("users/002-users.migration.ts"))
	r.git(day(11), "commit", "-q", "-m", "rename users")
	r.tag("v0.4.0", "HEAD")
	del := r.commit(day(12), "drop init", map[string]string{m("001-init/001-init.migration.ts"): ""})
	r.annotate(day(12), "v0.5.0-rc.1", del)
	c6 := r.commit(day(14), "app v3", map[string]string{"apps/api/src/app.ts": "app v3\n"})
	r.annotate(day(15), "v0.5.0", c6)
	c6b := r.commit(day(16), "app v4", map[string]string{"apps/api/src/app.ts": "app v4\n"})
	r.annotate(day(17), "inner", c6b)
	r.annotate(day(18), "v1.0.0", "inner") // a tag of a tag
	c7 := r.commit(day(20), "unreleased", map[string]string{
		m("006-unreleased.migration.ts"): "next\n",
		m("003-backport.migration.ts"):   "backport, edited after release\n",
	})

	r.tag("not-a-version", c3)
	r.tag("v0.3", c3)
	r.tag("api@1.4.0", c6)
	r.tag("api@v1.5.0", c7)
	r.tag("v9.9.9", r.git("", "rev-parse", c3+"^{tree}"))
	r.git("", "branch", "v0.3.0", r.c1)
	return r
}

// relmig runs the command line in-process and returns its exit code and
// streams.
func relmig(t *testing.T, args ...string) (code cmdutil.ExitCode, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	code = root.Main(context.Background(), args, io, func(string) string { return "" }, "v0.0.0-test")
	return code, out.String(), errOut.String()
}
