package gitscan

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gitRepo builds a real repository with the git CLI for tests: commits with
// given dates, branches, merges, cherry-picks and tags.
type gitRepo struct {
	t   *testing.T
	dir string
}

// baseDate is day 0 of every test repository's history.
var baseDate = time.Date(2023, 1, 1, 12, 0, 0, 0, time.UTC)

// day returns a git date string for day n after baseDate.
func day(n int) string {
	return baseDate.AddDate(0, 0, n).Format(time.RFC3339)
}

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

// gitEnv isolates git from the machine's configuration and fixes dates.
func gitEnv(t *testing.T, date string) []string {
	home := t.TempDir()
	env := append(os.Environ(),
		"HOME="+home, "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
	)
	if date != "" {
		env = append(env, "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	}
	return env
}

// runGit runs git in dir and returns its trimmed standard output.
func runGit(t *testing.T, dir, date string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "advice.nestedTag=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = gitEnv(t, date)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

func (r *gitRepo) git(date string, args ...string) string {
	r.t.Helper()
	return runGit(r.t, r.dir, date, args...)
}

// commit writes files (an empty content deletes the file), stages
// everything and commits on the current branch at the given date.
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

// rename moves a file with git mv and commits, content unchanged.
func (r *gitRepo) rename(date, from, to string) string {
	r.t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(r.dir, to)), 0o755); err != nil {
		r.t.Fatal(err)
	}
	r.git("", "mv", from, to)
	r.git(date, "commit", "-q", "-m", "rename "+from)
	return r.git("", "rev-parse", "HEAD")
}

func (r *gitRepo) checkout(args ...string) {
	r.t.Helper()
	r.git("", append([]string{"checkout", "-q"}, args...)...)
}

// merge merges branch into the current branch with a merge commit.
func (r *gitRepo) merge(date, branch string) string {
	r.t.Helper()
	r.git(date, "merge", "-q", "--no-ff", "--no-edit", branch)
	return r.git("", "rev-parse", "HEAD")
}

func (r *gitRepo) cherryPick(date, commit string) string {
	r.t.Helper()
	r.git(date, "cherry-pick", commit)
	return r.git("", "rev-parse", "HEAD")
}

// tag creates a lightweight tag.
func (r *gitRepo) tag(name, target string) {
	r.t.Helper()
	r.git("", "tag", name, target)
}

// annotate creates an annotated tag with the given tagger date.
func (r *gitRepo) annotate(date, name, target string) {
	r.t.Helper()
	r.git(date, "tag", "-a", "-m", "release "+name, name, target)
}

// scan runs Scan with default options on this repository, failing the
// test on error.
func scanOpts(t *testing.T, opts Options) *Result {
	t.Helper()
	res, err := Scan(t.Context(), opts)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return res
}
