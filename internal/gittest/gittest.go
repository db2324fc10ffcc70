// Package gittest builds real git repositories for tests with the git CLI:
// commits with given dates, branches, merges, cherry-picks, renames and
// lightweight or annotated tags. git runs isolated from the machine's
// configuration, so results do not depend on who runs the tests.
package gittest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Repo is a repository in a temporary folder.
type Repo struct {
	t   testing.TB
	Dir string
}

// BaseDate is day 0 of every test repository's history.
var BaseDate = time.Date(2023, 1, 1, 12, 0, 0, 0, time.UTC)

// Day returns a git date string for day n after BaseDate.
func Day(n int) string {
	return BaseDate.AddDate(0, 0, n).Format(time.RFC3339)
}

// New initialises an empty repository whose branch is main.
func New(t testing.TB) *Repo {
	t.Helper()
	r := &Repo{t: t, Dir: filepath.Join(t.TempDir(), "repo")}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r.Git("", "init", "-q", "-b", "main")
	return r
}

// Env is the environment git runs with: no user or system configuration,
// a fixed identity, and both dates set when date is given.
func Env(t testing.TB, date string) []string {
	env := append(os.Environ(),
		"HOME="+t.TempDir(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
	)
	if date != "" {
		env = append(env, "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	}
	return env
}

// Run runs git in dir and returns its trimmed standard output, failing the
// test when git fails.
func Run(t testing.TB, dir, date string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{
		"-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false",
		"-c", "advice.nestedTag=false", "-c", "protocol.file.allow=always",
	}, args...)...)
	cmd.Dir = dir
	cmd.Env = Env(t, date)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// Git runs git in the repository.
func (r *Repo) Git(date string, args ...string) string {
	r.t.Helper()
	return Run(r.t, r.Dir, date, args...)
}

// Commit writes files (an empty content deletes the file), stages
// everything and commits on the current branch at date; it returns the
// commit's hash.
func (r *Repo) Commit(date, msg string, files map[string]string) string {
	r.t.Helper()
	r.Write(files)
	r.Git("", "add", "-A")
	r.Git(date, "commit", "-q", "--allow-empty", "-m", msg)
	return r.Git("", "rev-parse", "HEAD")
}

// Write changes the work tree without committing: it writes files (an
// empty content deletes the file), creating folders as needed.
func (r *Repo) Write(files map[string]string) {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.Dir, filepath.FromSlash(name))
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
}

// Rename moves a file with git mv and commits, content unchanged.
func (r *Repo) Rename(date, from, to string) string {
	r.t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(r.Dir, to)), 0o755); err != nil {
		r.t.Fatal(err)
	}
	r.Git("", "mv", from, to)
	r.Git(date, "commit", "-q", "-m", "rename "+from)
	return r.Git("", "rev-parse", "HEAD")
}

// Checkout runs git checkout with args (a branch, -b NAME START, …).
func (r *Repo) Checkout(args ...string) {
	r.t.Helper()
	r.Git("", append([]string{"checkout", "-q"}, args...)...)
}

// Merge merges branch into the current branch with a merge commit.
func (r *Repo) Merge(date, branch string) string {
	r.t.Helper()
	r.Git(date, "merge", "-q", "--no-ff", "--no-edit", branch)
	return r.Git("", "rev-parse", "HEAD")
}

// CherryPick applies commit onto the current branch.
func (r *Repo) CherryPick(date, commit string) string {
	r.t.Helper()
	r.Git(date, "cherry-pick", commit)
	return r.Git("", "rev-parse", "HEAD")
}

// Tag creates a lightweight tag.
func (r *Repo) Tag(name, target string) {
	r.t.Helper()
	r.Git("", "tag", name, target)
}

// Annotate creates an annotated tag with the given tagger date.
func (r *Repo) Annotate(date, name, target string) {
	r.t.Helper()
	r.Git(date, "tag", "-a", "-m", "release "+name, name, target)
}
