package mapcmd_test

import (
	"github.com/relmig/relmig/internal/gittest"

	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/cmd/relmig/internal/root"
)

// gitRepo is the shared test repository builder.
type gitRepo = gittest.Repo

func day(n int) string { return gittest.Day(n) }

func newGitRepo(t *testing.T) *gitRepo { return gittest.New(t) }

func runGit(t *testing.T, dir, date string, args ...string) string {
	t.Helper()
	return gittest.Run(t, dir, date, args...)
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
	r.c1 = r.Commit(day(1), "init", map[string]string{
		"README.md":                         "hello\n",
		"apps/api/src/app.ts":               "app v1\n",
		m("001-init/001-init.migration.ts"): "init\n",
	})
	r.Tag("v0.1.0", r.c1)
	c2 := r.Commit(day(2), "users", map[string]string{
		m("002-users.migration.ts"): "users\n",
		m("002-users.spec.ts"):      "spec\n",
		m("types.d.ts"):             "declare\n",
	})
	r.Annotate(day(3), "v0.2.0", c2)

	r.Checkout("-b", "feature", c2)
	r.f1 = r.Commit(day(4), "feature", map[string]string{m("005-feature.migration.ts"): "feature\n"})

	r.Checkout("main")
	c3 := r.Commit(day(5), "app change", map[string]string{"apps/api/src/app.ts": "app v2\n"})
	r.Annotate(day(5), "v0.3.0", c3)

	r.Checkout("-b", "release-0.2", "v0.2.0")
	r.m1 = r.Commit(day(6), "backport fix", map[string]string{m("003-backport.migration.ts"): "backport\n"})
	r.Annotate(day(6), "v0.2.1", r.m1)
	m2 := r.Commit(day(7), "maintenance only", map[string]string{m("004-maint-only.ts"): "maint\n"})
	r.Tag("v0.2.2", m2)

	r.Checkout("main")
	r.Git(day(9), "merge", "-q", "--no-ff", "--no-edit", "feature")
	r.Git(day(10), "cherry-pick", r.m1)
	r.pick = r.Git("", "rev-parse", "HEAD")
	if err := os.MkdirAll(filepath.Join(r.Dir, m("users")), 0o755); err != nil {
		t.Fatal(err)
	}
	r.Git("", "mv", m("002-users.migration.ts"), m("users/002-users.migration.ts"))
	r.Git(day(11), "commit", "-q", "-m", "rename users")
	r.Tag("v0.4.0", "HEAD")
	del := r.Commit(day(12), "drop init", map[string]string{m("001-init/001-init.migration.ts"): ""})
	r.Annotate(day(12), "v0.5.0-rc.1", del)
	c6 := r.Commit(day(14), "app v3", map[string]string{"apps/api/src/app.ts": "app v3\n"})
	r.Annotate(day(15), "v0.5.0", c6)
	c6b := r.Commit(day(16), "app v4", map[string]string{"apps/api/src/app.ts": "app v4\n"})
	r.Annotate(day(17), "inner", c6b)
	r.Annotate(day(18), "v1.0.0", "inner") // a tag of a tag
	c7 := r.Commit(day(20), "unreleased", map[string]string{
		m("006-unreleased.migration.ts"): "next\n",
		m("003-backport.migration.ts"):   "backport, edited after release\n",
	})

	r.Tag("not-a-version", c3)
	r.Tag("v0.3", c3)
	r.Tag("api@1.4.0", c6)
	r.Tag("api@v1.5.0", c7)
	r.Tag("v9.9.9", r.Git("", "rev-parse", c3+"^{tree}"))
	r.Git("", "branch", "v0.3.0", r.c1)
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
