package releasemap

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/relmig/relmig/runner/toolchain"
)

// badRunnerMap has one mistake in the runner keys per line marked
// "# want: …".
const badRunnerMap = `relmig: 1
dir: migrations
requires: { env: [BAD-NAME], reachable: [nohost] }   # want: requires.env "BAD-NAME"
runner:
  cwd: ../outside               # want: cwd "../outside" is outside the checkout
  toolchain: sometimes          # want: toolchain "sometimes": want auto, path or off
  node: lts/*                   # want: node: "lts/*" names the newest LTS line
  package_manager: bun@1.0.0    # want: package_manager: "bun@1.0.0": unsupported package manager
releases:
  - version: v1.0.0
    migrations:
      - id: a.js
        cwd: /abs               # want: a.js: cwd "/abs" is outside
      - id: b.js
        package_manager: pnpm@8 # want: b.js: package_manager: "pnpm@8": "8" is not an exact version
      - id: c.js
        noop: "  "              # want: c.js: noop needs a reason
      - id: e.js
        toolchain: auto
        node: ">=16 <17"
        package_manager: pnpm@7.33.4
        cwd: apps/api
        noop: fine
`

func TestValidateRunnerKeys(t *testing.T) {
	m, err := Parse([]byte(badRunnerMap), "bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = m.Validate(ValidateOptions{Toolchain: toolchain.Checker{}})
	var pe *ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("Validate = %v, want problems", err)
	}
	want := map[int]string{}
	for i, line := range strings.Split(badRunnerMap, "\n") {
		if _, w, ok := strings.Cut(line, "# want: "); ok {
			want[i+1] = w
		}
	}
	got := map[int][]string{}
	for _, p := range pe.Problems {
		got[p.Line] = append(got[p.Line], p.Msg)
		if _, ok := want[p.Line]; !ok && !strings.Contains(p.Msg, "reachable") {
			t.Errorf("unexpected problem at line %d: %s", p.Line, p.Msg)
		}
		if strings.Contains(p.Msg, "\n") {
			t.Errorf("problem spans lines: %q", p.Msg)
		}
	}
	for line, w := range want {
		if !slices.ContainsFunc(got[line], func(msg string) bool { return strings.Contains(msg, w) }) {
			t.Errorf("line %d: no problem containing %q; got %q", line, w, got[line])
		}
	}
	if !slices.ContainsFunc(got[3], func(msg string) bool { return strings.Contains(msg, `requires.reachable "nohost" is not host:port`) }) {
		t.Errorf("line 3: reachable not checked: %q", got[3])
	}
}

// TestMapWideRequires: the top-level requires are merged into every
// migration's in the Sequence (each name once), and the map as written
// keeps them apart.
func TestMapWideRequires(t *testing.T) {
	m, err := Parse([]byte(`relmig: 1
requires: { env: [REDIS_HOST], reachable: ["{env.REDIS_HOST}:6379"] }
releases:
  - version: v1.0.0
    migrations:
      - id: a.js
      - id: b.js
        requires: { env: [REDIS_HOST, JWT_SECRET] }
`), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(ValidateOptions{}); err != nil {
		t.Fatal(err)
	}
	seq, err := m.Sequence()
	if err != nil {
		t.Fatal(err)
	}
	a, b := seq.Entries[0].Migration.Requires, seq.Entries[1].Migration.Requires
	if !slices.Equal(a.Env, []string{"REDIS_HOST"}) || !slices.Equal(a.Reachable, []string{"{env.REDIS_HOST}:6379"}) {
		t.Errorf("a.js requires %+v", a)
	}
	if !slices.Equal(b.Env, []string{"REDIS_HOST", "JWT_SECRET"}) || len(b.Reachable) != 1 {
		t.Errorf("b.js requires %+v", b)
	}
	if got := m.Releases[0].Migrations[0].Requires; !got.IsZero() {
		t.Errorf("the map's own a.js was changed: %+v", got)
	}
}
