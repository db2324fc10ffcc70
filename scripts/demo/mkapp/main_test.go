package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestHistory builds the demo repository and checks the properties the demo
// and its README story rely on.
func TestHistory(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	dir := t.TempDir()
	if err := build(dir, false); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) (string, bool) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err == nil
	}
	has := func(rev, path string) bool {
		_, ok := git("cat-file", "-e", rev+":"+path)
		return ok
	}

	wantTags := map[string]string{
		"v0.17.2": "commit", "v0.18.0": "tag", "v0.21.0": "tag", "v0.23.0": "commit",
		"v0.24.0": "tag", "v0.24.1": "commit", "v0.24.2": "tag",
		"v2.0.0-rc.1": "tag", "v2.0.0": "tag", "v2.0.1": "commit",
	}
	out, _ := git("for-each-ref", "refs/tags", "--format=%(refname:short) %(objecttype)")
	got := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		name, typ, _ := strings.Cut(line, " ")
		got[name] = typ
	}
	for name, typ := range wantTags {
		if got[name] != typ {
			t.Errorf("tag %s: object type %q, want %q", name, got[name], typ)
		}
	}
	if len(got) != len(wantTags) {
		t.Errorf("tags %v, want %v", got, wantTags)
	}

	const m = mig
	cases := []struct {
		rev, path string
		want      bool
	}{
		// normalize-users-email: committed before v0.18.0, merged after it.
		{"v0.18.0", m + "normalize-users-email/normalize-users-email.migration.js", false},
		{"v0.21.0", m + "normalize-users-email/normalize-users-email.migration.js", true},
		// The application module it needs exists only up to v0.21.0.
		{"v0.21.0", "apps/api/src/models/user-v1.js", true},
		{"v0.23.0", "apps/api/src/models/user-v1.js", false},
		// team-membership-sources: committed before v0.24.0, merged after v0.24.1.
		{"v0.24.1", m + "team-membership-sources/team-membership-sources.migration.js", false},
		{"v2.0.0-rc.1", m + "team-membership-sources/team-membership-sources.migration.js", true},
		// The back-port is on both lines; the hotfix only on the maintenance line.
		{"v0.24.2", m + "expire-at/expire-at.migration.js", true},
		{"v2.0.0", m + "expire-at/expire-at.migration.js", true},
		{"v0.24.2", m + "messages-seen-hotfix/messages-seen-hotfix.migration.js", true},
		{"main", m + "messages-seen-hotfix/messages-seen-hotfix.migration.js", false},
		// Deleted in v2.0.0.
		{"v0.24.1", m + "layout-identifier-update/add-layout-identifier-migration.js", true},
		{"v2.0.0-rc.1", m + "layout-identifier-update/add-layout-identifier-migration.js", false},
		// preference-centralization's repository is gone after v2.0.1.
		{"v2.0.1", "apps/api/src/repositories/subscriber-preference.repository.js", true},
		{"main", "apps/api/src/repositories/subscriber-preference.repository.js", false},
		// Unreleased.
		{"v2.0.1", m + "delete-logs/delete-logs.migration.js", false},
		{"main", m + "delete-logs/delete-logs.migration.js", true},
		{"main", "releasemap.yaml", true},
		{"main", m + "integration-scheme-update/add-primary-priority-migration.spec.js", true},
	}
	for _, c := range cases {
		if got := has(c.rev, c.path); got != c.want {
			t.Errorf("%s:%s present = %v, want %v", c.rev, c.path, got, c.want)
		}
	}

	// Dates disagree with ancestry: the scripts' commits predate the release
	// whose tree does not contain them.
	for _, c := range []struct{ path, tag string }{
		{m + "normalize-users-email/normalize-users-email.migration.js", "v0.18.0"},
		{m + "team-membership-sources/team-membership-sources.migration.js", "v0.24.0"},
	} {
		added, _ := git("log", "--diff-filter=A", "--format=%ct", "main", "--", c.path)
		tagged, _ := git("log", "-1", "--format=%ct", c.tag)
		if added == "" || added >= tagged {
			t.Errorf("%s added at %s, want before %s (%s)", c.path, added, c.tag, tagged)
		}
	}

	// The maintenance line is not on main's history.
	if _, ok := git("merge-base", "--is-ancestor", "v0.24.2", "v2.0.0"); ok {
		t.Error("v0.24.2 is an ancestor of v2.0.0, want a separate line")
	}
	if _, ok := git("merge-base", "--is-ancestor", "v0.24.1", "v2.0.0"); !ok {
		t.Error("v0.24.1 is not an ancestor of v2.0.0")
	}
	if out, _ := git("status", "--porcelain"); out != "" {
		t.Errorf("work tree not clean:\n%s", out)
	}
}
