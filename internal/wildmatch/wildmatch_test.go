package wildmatch

import (
	"os/exec"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "v1.0.0", true},
		{"*", "release/1.0.0", true}, // `*` crosses `/`, as in git tag -l
		{"v*", "v1.0.0", true},
		{"v*", "api@1.0.0", false},
		{"*@*", "@scope/pkg@1.2.3", true},
		{"@scope/pkg@*", "@scope/pkg@1.2.3", true},
		{"@scope/*@*", "@scope/pkg@1.2.3", true},
		{"release-*", "release-3.3.11", true},
		{"v?.0.0", "v1.0.0", true},
		{"v?.0.0", "v10.0.0", false},
		{"v[0-9].*", "v1.2.3", true},
		{"v[!0-9]*", "v1.2.3", false},
		{"v[^0-9]*", "vx", true},
		{"[]]", "]", true},
		{`v\*`, "v*", true},
		{`v\*`, "v1", false},
		{"v{1,2}", "v1", false}, // braces are literal
		{"v{1,2}", "v{1,2}", true},
		{"**", "a/b/c", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"", "", true},
		{"", "x", false},
		{"[x", "[x", false}, // malformed: matches nothing
	}
	for _, tc := range cases {
		if got := Match(tc.pattern, tc.name); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

// The matcher agrees with git's own on the cases above.
func TestMatchAgreesWithGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = []string{"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + dir,
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@e", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@e"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("init", "-q")
	run("commit", "-q", "--allow-empty", "-m", "x")
	tags := []string{"v1.0.0", "release/1.0.0", "api@1.0.0", "@scope/pkg@1.2.3", "release-3.3.11", "v10.0.0", "vx", "a/b/c"}
	for _, tag := range tags {
		run("tag", tag)
	}
	for _, p := range []string{"*", "v*", "*@*", "@scope/*@*", "release-*", "v?.0.0", "v[0-9].*", "v[!0-9]*", "**", "a*b*c", "*/*", "*1.0*"} {
		var want []string
		for _, l := range strings.Split(strings.TrimSpace(run("tag", "-l", p)), "\n") {
			if l != "" {
				want = append(want, l)
			}
		}
		var got []string
		for _, tag := range tags {
			if Match(p, tag) {
				got = append(got, tag)
			}
		}
		if strings.Join(sortStrings(got), " ") != strings.Join(want, " ") {
			t.Errorf("pattern %q: got %v, git tag -l lists %v", p, sortStrings(got), want)
		}
	}
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"*", "v*", "[a-z]*", `\*`, "[!x]", "[]]", "a*b*c"} {
		f.Add(s, "v1.0.0")
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		got := Match(pattern, name)
		if Validate(pattern) != nil && got {
			t.Fatalf("malformed %q matched %q", pattern, name)
		}
		// A literal pattern (no metacharacters) matches exactly itself.
		if !strings.ContainsAny(pattern, `*?[\`) && got != (pattern == name) {
			t.Fatalf("literal %q vs %q = %v", pattern, name, got)
		}
		// "*" + pattern matches whatever pattern matches, with any prefix.
		if got && !Match("*"+pattern, "x/"+name) {
			t.Fatalf("*%q does not match x/%q", pattern, name)
		}
	})
}
