// Command mkapp creates the demo application repository that `make demo`
// walks through: "Notify", a small Node.js application whose MongoDB data
// migrations live in apps/api/migrations/, with a release history shaped like
// the ones self-hosters fight with (see ../../../README.md and issue 6):
//
//   - releases v0.17.2 … v2.0.1 on main, annotated and lightweight tags mixed,
//     a pre-release (v2.0.0-rc.1);
//   - a maintenance line, release/0.24 cut from v0.24.1, whose v0.24.2 carries
//     a back-port (expire-at, later cherry-picked onto main before v2.0.0) and
//     a script only that line carries (messages-seen-hotfix);
//   - feature branches committed before a release and merged after it, so
//     that `map build --by date` and `--by ancestry` disagree for
//     normalize-users-email (v0.18.0 by date, v0.21.0 by ancestry) and
//     team-membership-sources (v0.24.0 by date, v2.0.0 by ancestry);
//   - scripts that import application code present only at their own release
//     (models/user-v1.js up to v0.21.0, the legacy preference repository up
//     to v2.0.1), a script deleted in v2.0.0, a *.spec.js next to a script,
//     and an unreleased script (delete-logs);
//   - a hand-written releasemap.yaml at the root.
//
// Every commit and tag has fixed authors and dates, so every run produces the
// same commits, with the same ids.
//
// Usage: mkapp [-force] DIR
//
// It uses the git command line, and nothing of the user's git configuration.
package main

import (
	"bytes"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The application's files. Paths below app/ are the paths in the generated
// repository, except the versioned sources that steps copy under another name.
//
//go:embed all:app
var appFiles embed.FS

const mig = "apps/api/migrations/"

type person struct{ name, email string }

var (
	ada   = person{"Ada Okafor", "ada@notify.example"}
	bruno = person{"Bruno Silva", "bruno@notify.example"}
	chen  = person{"Chen Wei", "chen@notify.example"}
	dana  = person{"Dana Kovač", "dana@notify.example"}
)

func main() {
	force := flag.Bool("force", false, "remove DIR first if it exists")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: mkapp [-force] DIR\n\nCreates the Notify demo application repository in DIR.")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := build(flag.Arg(0), *force); err != nil {
		fmt.Fprintln(os.Stderr, "mkapp:", err)
		os.Exit(1)
	}
}

func build(dir string, force bool) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if entries, err := os.ReadDir(abs); err == nil && len(entries) > 0 {
		if !force {
			return fmt.Errorf("%s exists and is not empty (use -force to replace it)", abs)
		}
		if err := os.RemoveAll(abs); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	r := &repo{dir: abs}
	if err := r.history(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "mkapp: Notify demo repository in %s (%d commits; %s)\n", abs, r.commits, strings.Join(r.tags, " "))
	return nil
}

// history writes the whole repository, oldest commit first.
func (r *repo) history() error {
	r.run("init", "-q", "-b", "main")

	r.commit("2023-07-03 10:00:00 +0200", ada, "Notify API skeleton",
		pkg("0.17.0"), text(".gitignore", "node_modules/\n"), file("README.md"),
		fileAs("apps/api/src/main.js", "apps/api/src/main.v1.js"),
		file("apps/api/src/models/user-v1.js"),
		file("apps/api/src/repositories/subscriber-preference.repository.js"))
	r.commit("2023-07-20 15:42:00 +0200", bruno, "feat(changes): promote changes with an explicit enabled flag",
		file(mig+"changes-migration.js"))
	r.release("2023-08-13 09:00:00 +0200", "0.17.2", false)

	// A fix branched off v0.17.2 and committed before v0.18.0 was tagged, but
	// merged only after it: a table built from dates says v0.18.0, the tree
	// of v0.18.0 does not have it.
	r.run("switch", "-q", "-c", "feat/normalize-emails")
	r.commit("2023-08-13 20:30:00 +0200", chen, "fix(invites): store user emails lower-cased",
		file(mig+"normalize-users-email/normalize-users-email.migration.js"))
	r.run("switch", "-q", "main")
	r.commit("2023-08-14 08:10:00 +0200", dana, "feat(in-app): in-app integration for every environment",
		file(mig+"in-app-integration/in-app-integration.migration.js"))
	r.release("2023-08-14 16:00:00 +0200", "0.18.0", true)
	r.merge("2023-08-22 11:00:00 +0200", ada, "feat/normalize-emails")

	r.commit("2023-08-24 13:15:00 +0200", bruno, "feat(integrations): identifiers and priorities for multi-provider",
		file(mig+"integration-scheme-update/add-integration-identifier-migration.js"),
		file(mig+"integration-scheme-update/add-primary-priority-migration.js"),
		file(mig+"integration-scheme-update/add-primary-priority-migration.spec.js"))
	r.commit("2023-08-28 09:30:00 +0200", dana, "feat(layouts): layout identifiers",
		file(mig+"layout-identifier-update/add-layout-identifier-migration.js"))
	r.release("2023-09-01 12:00:00 +0200", "0.21.0", true)

	// The v1 user model goes away: normalize-users-email only runs from a
	// checkout of v0.21.0 or older.
	r.commit("2023-12-05 17:20:00 +0100", chen, "refactor(users): user model v2, emails normalized on write",
		move("apps/api/src/models/user-v1.js", "apps/api/src/models/user.js"),
		fileAs("apps/api/src/models/user.js", "apps/api/src/models/user.js"),
		fileAs("apps/api/src/main.js", "apps/api/src/main.v2.js"))
	r.commit("2024-01-20 10:05:00 +0100", bruno, "feat(security): encrypt API keys at rest",
		file(mig+"encrypt-api-keys/encrypt-api-keys-migration.js"))
	r.release("2024-02-02 12:00:00 +0100", "0.23.0", false)

	// Another feature committed before v0.24.0 and merged after v0.24.1.
	r.run("switch", "-q", "-c", "feat/team-membership")
	r.commit("2024-03-01 14:00:00 +0100", dana, "feat(teams): canonical team membership store",
		file(mig+"team-membership-sources/team-membership-sources.migration.js"))
	r.run("switch", "-q", "main")
	r.commit("2024-02-25 16:45:00 +0100", chen, "fix(topics): normalize topic-subscriber links",
		file(mig+"topic-subscriber-normalize/topic-subscriber-normalize.migration.js"))
	r.release("2024-03-06 12:00:00 +0100", "0.24.0", true)
	r.commit("2024-03-15 11:00:00 +0100", bruno, "fix(api): retry provider webhooks",
		text("apps/api/src/webhooks.js", webhooksJS))
	r.release("2024-03-20 12:00:00 +0100", "0.24.1", false)

	// The maintenance line: a back-port and a script only this line carries.
	r.run("switch", "-q", "-c", "release/0.24", "v0.24.1")
	r.commit("2024-04-08 10:00:00 +0200", chen, "fix(messages): expire messages after 30 days",
		file(mig+"expire-at/expire-at.migration.js"))
	backport := r.out("rev-parse", "HEAD")
	r.commit("2024-04-09 15:30:00 +0200", chen, "fix(messages): explicit seen/read flags for 0.24 messages",
		file(mig+"messages-seen-hotfix/messages-seen-hotfix.migration.js"))
	r.release("2024-04-12 12:00:00 +0200", "0.24.2", true)
	r.run("switch", "-q", "main")

	r.merge("2024-05-10 10:00:00 +0200", ada, "feat/team-membership")
	r.cherryPick("2024-06-03 09:45:00 +0200", chen, backport)
	r.commit("2024-07-15 14:10:00 +0200", dana, "feat(subscribers): remove duplicated subscribers",
		file(mig+"subscribers/remove-duplicated-subscribers.migration.js"))
	// A migration deleted from the tree: databases that never ran it still
	// need it, from a checkout of v0.21.0.
	r.commit("2024-08-30 16:00:00 +0200", bruno, "chore(layouts): drop the layout identifier migration (layouts v2)",
		remove(mig+"layout-identifier-update/add-layout-identifier-migration.js"))
	r.release("2024-09-20 12:00:00 +0200", "2.0.0-rc.1", true)
	r.commit("2024-10-01 11:30:00 +0200", bruno, "fix(api): webhook retries back off",
		text("apps/api/src/webhooks.js", strings.Replace(webhooksJS, "const RETRIES = 3;", "const RETRIES = 5;", 1)))
	r.release("2024-10-07 12:00:00 +0200", "2.0.0", true)

	r.commit("2024-10-28 13:00:00 +0100", dana, "feat(preferences): centralize subscriber preferences",
		file(mig+"preference-centralization/preference-centralization.migration.js"))
	r.release("2024-11-11 12:00:00 +0100", "2.0.1", false)

	// After v2.0.1: preference-centralization loses the code it needs, which
	// is why the map says it must run before v2.1.0.
	r.commit("2024-11-25 10:20:00 +0100", chen, "refactor(preferences): remove the legacy subscriberPreferences repository",
		remove("apps/api/src/repositories/subscriber-preference.repository.js"))
	r.commit("2024-12-02 15:00:00 +0100", bruno, "feat(logs): clean up soft-deleted logs",
		file(mig+"delete-logs/delete-logs.migration.js"))
	r.commit("2024-12-03 09:00:00 +0100", ada, "docs: release map for self-hosters",
		file("releasemap.yaml"))
	return r.err
}

const webhooksJS = `"use strict";
// Provider webhooks (demo application code).
const RETRIES = 3;

module.exports = { RETRIES };
`

func pkgJSON(version string) string {
	return `{
  "name": "notify",
  "version": "` + version + `",
  "private": true,
  "description": "Notify, a demo self-hosted notification platform (generated by relmig's scripts/demo/mkapp)",
  "license": "MIT",
  "scripts": {
    "start": "node apps/api/src/main.js"
  },
  "engines": {
    "node": ">=20"
  },
  "dependencies": {
    "mongodb": "^6.0.0"
  }
}
`
}

// repo runs git in the new repository. The first error sticks: later calls
// do nothing, and history returns it.
type repo struct {
	dir     string
	err     error
	commits int
	tags    []string
}

// op changes the work tree before a commit.
type op func(r *repo) error

func file(path string) op { return fileAs(path, path) }

// fileAs writes the embedded app/src to path.
func fileAs(path, src string) op {
	return func(r *repo) error {
		data, err := fs.ReadFile(appFiles, "app/"+src)
		if err != nil {
			return err
		}
		return r.write(path, data)
	}
}

func text(path, content string) op {
	return func(r *repo) error { return r.write(path, []byte(content)) }
}

func pkg(version string) op { return text("package.json", pkgJSON(version)) }

func remove(path string) op {
	return func(r *repo) error { return r.git(nil, "rm", "-q", path) }
}

func move(from, to string) op {
	return func(r *repo) error { return r.git(nil, "mv", from, to) }
}

func (r *repo) write(path string, data []byte) error {
	full := filepath.Join(r.dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(full, data, 0o644); err != nil {
		return err
	}
	return r.git(nil, "add", "--", path)
}

// commit applies ops and commits them, authored and committed at date.
func (r *repo) commit(date string, who person, msg string, ops ...op) {
	if r.err != nil {
		return
	}
	for _, o := range ops {
		if err := o(r); err != nil {
			r.err = err
			return
		}
	}
	r.err = r.git(stamp(date, who, who), "commit", "-q", "-m", msg)
	r.commits++
}

// release bumps package.json, commits, and tags vVERSION: annotated (with a
// tagger date) or lightweight (dated by its commit).
func (r *repo) release(date, version string, annotated bool) {
	r.commit(date, ada, "chore(release): v"+version, pkg(version))
	if r.err != nil {
		return
	}
	tag := "v" + version
	if annotated {
		r.err = r.git(stamp(date, ada, ada), "tag", "-a", "-m", "Notify "+tag, tag)
	} else {
		r.err = r.git(nil, "tag", tag)
	}
	r.tags = append(r.tags, tag)
}

// merge merges branch into the current one with a merge commit, then
// deletes the branch (as a merged pull request would).
func (r *repo) merge(date string, who person, branch string) {
	if r.err != nil {
		return
	}
	r.err = r.git(stamp(date, who, who), "merge", "-q", "--no-ff", "-m", "Merge branch '"+branch+"'", branch)
	if r.err == nil {
		r.err = r.git(nil, "branch", "-q", "-d", branch)
	}
	r.commits++
}

// cherryPick copies commit onto the current branch: git keeps its author and
// author date, the committer and committer date are who and date.
func (r *repo) cherryPick(date string, who person, commit string) {
	if r.err != nil {
		return
	}
	env := []string{
		"GIT_COMMITTER_DATE=" + date,
		"GIT_COMMITTER_NAME=" + who.name,
		"GIT_COMMITTER_EMAIL=" + who.email,
	}
	r.err = r.git(env, "cherry-pick", "-x", commit)
	r.commits++
}

// stamp returns the environment that dates and signs a commit or tag.
func stamp(date string, author, committer person) []string {
	return []string{
		"GIT_AUTHOR_DATE=" + date,
		"GIT_AUTHOR_NAME=" + author.name,
		"GIT_AUTHOR_EMAIL=" + author.email,
		"GIT_COMMITTER_DATE=" + date,
		"GIT_COMMITTER_NAME=" + committer.name,
		"GIT_COMMITTER_EMAIL=" + committer.email,
	}
}

func (r *repo) run(args ...string) {
	if r.err == nil {
		r.err = r.git(nil, args...)
	}
}

func (r *repo) out(args ...string) string {
	if r.err != nil {
		return ""
	}
	var stdout bytes.Buffer
	r.err = r.gitTo(&stdout, nil, args...)
	return strings.TrimSpace(stdout.String())
}

func (r *repo) git(env []string, args ...string) error { return r.gitTo(nil, env, args...) }

func (r *repo) gitTo(stdout *bytes.Buffer, env []string, args ...string) error {
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	// Ignore the user's and the system's git configuration (signing, hooks,
	// default branch, templates …); identity and dates come from env.
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
	)
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return nil
}
