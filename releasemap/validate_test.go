package releasemap

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// badMap has one mistake per line marked "# want: …"; Validate must report
// every one of them, on that line.
const badMap = `relmig: 1
dir: migrations
runner:
  workdir: somewhere            # want: workdir
  timeout: soon                 # want: positive duration
releases:
  - version: v1.0.0
    migrations:
      - id: a.js
        after: [ghost.js]       # want: unknown id "ghost.js"
      - id: a.js                # want: duplicate id
      - id: b.js
        after: [c.js]           # want: later release
      - id: ../escape.js        # want: outside the migrations folder
      - id: d.js
        before: v0.9.0          # want: not after the migration's own release
      - id: e.js
        done_marker: "(["       # want: regular expression
      - id: f.js
        requires: { env: [BAD-NAME] }   # want: not a valid variable name
      - id: g.js
        pre:
          - collection: users   # want: min or max
            filter: { x: 1 }
          - collection: users   # want: filter
            filter: { _id: { $oid: "xyz" } }
            min: 1
      - id: h.js
        removed_in: nope        # want: removed_in
      - id: i.js
        sha256: abc             # want: sha256
  - version: v1.0             # want: release version
    migrations: []
  - version: v1.1.0
    migrations:
      - id: c.js
      - id: x.js
        after: [y.js]
      - id: y.js
        after: [x.js]
  - version: v1.1.0             # want: appears twice
    migrations: []
`

func TestValidateReportsEveryMistakeWithItsLine(t *testing.T) {
	m, err := Parse([]byte(badMap), "bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = m.Validate(ValidateOptions{})
	var pe *ProblemsError
	if !errors.As(err, &pe) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("Validate err = %v, want *ProblemsError wrapping ErrInvalid", err)
	}
	want := map[int]string{}
	for i, line := range strings.Split(badMap, "\n") {
		if _, w, ok := strings.Cut(line, "# want: "); ok {
			want[i+1] = w
		}
	}
	if len(want) < 10 {
		t.Fatalf("test map has only %d mistakes", len(want))
	}
	got := map[int][]string{}
	for _, p := range pe.Problems {
		if p.File != "bad.yaml" {
			t.Errorf("problem %q does not name the file", p)
		}
		got[p.Line] = append(got[p.Line], p.Msg)
	}
	for line, w := range want {
		found := false
		for _, msg := range got[line] {
			found = found || strings.Contains(msg, w)
		}
		if !found {
			t.Errorf("line %d: no problem containing %q; got %q", line, w, got[line])
		}
	}
	// The cycle is reported once, at the release's migrations.
	if !strings.Contains(err.Error(), "cycle in v1.1.0: ") {
		t.Errorf("cycle not reported:\n%v", err)
	}
}

func TestParseStrictness(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"unknown top key", "relmig: 1\nreleses: []\n", `x.yaml:2: unknown key "releses" in the map`},
		{"unknown migration key", "relmig: 1\nreleases:\n  - version: v1.0.0\n    migrations:\n      - id: a\n        afterr: [b]\n", `x.yaml:6: unknown key "afterr" in a migration`},
		{"wrong type", "relmig: 1\nreleases:\n  - version: v1.0.0\n    migrations:\n      - id: a\n        idempotent: sometimes\n", `x.yaml:6: expected true or false, found a string (sometimes)`},
		{"syntax", "relmig: 1\nreleases: [\n", `x.yaml:2: did not find expected node content`},
		{"not a mapping", "- a\n- b\n", "x.yaml:1: a release map is a mapping"},
		{"empty", "", "x.yaml: empty file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), "x.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestValidateFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"migrations/a.js", "migrations/sub/b.js", "migrations/a.spec.js", "migrations/extra.js", "migrations/helpers/h.js"} {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("//"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	doc := `relmig: 1
dir: migrations
exclude: ["**/*.spec.*", "helpers/**"]
releases:
  - version: v1.0.0
    migrations:
      - id: a.js
      - id: sub/b.js
      - id: missing.js
      - id: gone.js
        removed_in: v2.0.0
  - version: v1.0.1
    parents: [v1.0.0]
    migrations:
      - id: maint-only.js
  - version: v2.0.0
    parents: [v1.0.0]
    migrations: []
`
	path := filepath.Join(dir, "releasemap.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	err = m.Validate(ValidateOptions{Files: true})
	if err == nil {
		t.Fatal("want problems")
	}
	msg := err.Error()
	for _, w := range []string{":9: missing.js: file migrations/missing.js does not exist", ":2: script extra.js is in the migrations folder but not in the map"} {
		if !strings.Contains(msg, w) {
			t.Errorf("missing %q in\n%s", w, msg)
		}
	}
	for _, no := range []string{"a.spec.js", "helpers/h.js", "gone.js", "maint-only.js"} {
		if strings.Contains(msg, no) {
			t.Errorf("unexpected problem about %s:\n%s", no, msg)
		}
	}
}

func TestNovuMapIsValid(t *testing.T) {
	m, err := Load("testdata/novu.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(ValidateOptions{}); err != nil {
		t.Fatal(err)
	}
}
