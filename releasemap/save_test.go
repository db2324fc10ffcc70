package releasemap

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMarshalIsStableAndRoundTrips(t *testing.T) {
	m, err := Load("testdata/novu.yaml")
	if err != nil {
		t.Fatal(err)
	}
	first, err := m.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(first, "again.yaml")
	if err != nil {
		t.Fatalf("saved map does not load: %v\n%s", err, first)
	}
	second, err := again.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Errorf("marshal is not stable:\n%s\n---\n%s", first, second)
	}
	// Keys come in the model's order, not alphabetically.
	s := string(first)
	if !(strings.Index(s, "relmig:") < strings.Index(s, "dir:") && strings.Index(s, "dir:") < strings.Index(s, "releases:") && strings.Index(s, "releases:") < strings.Index(s, "unreleased:")) {
		t.Errorf("unexpected key order:\n%s", s)
	}
	if strings.Contains(s, "requires: {}") || strings.Contains(s, "idempotent: false") {
		t.Errorf("empty fields were written:\n%s", s)
	}
}

func TestSaveKeepsComments(t *testing.T) {
	doc := `# Release map for the demo app.
relmig: 1
dir: migrations # where the scripts live
releases:
  # the first release
  - version: v1.0.0
    migrations:
      - id: a.js # backfills a field
      - id: b.js
`
	path := filepath.Join(t.TempDir(), "releasemap.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// A rebuild reorders and adds: comments follow their keys and ids.
	m.Releases[0].Migrations = []Migration{{ID: "new.js"}, m.Releases[0].Migrations[1], m.Releases[0].Migrations[0]}
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"# Release map for the demo app.", "# where the scripts live", "# the first release", "- id: a.js # backfills a field"} {
		if !strings.Contains(string(out), c) {
			t.Errorf("comment %q lost:\n%s", c, out)
		}
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{badMap, sideLineMap, "relmig: 1\nreleases: []\n", "", "- x", "relmig: [\n", "releases: {a: b}"}
	if data, err := os.ReadFile("testdata/novu.yaml"); err == nil {
		seeds = append(seeds, string(data))
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// Nothing a user can write may panic further down the line.
		_ = m.Validate(ValidateOptions{})
		if s, err := m.Sequence(); err == nil {
			for _, e := range s.Entries {
				_ = e.Migration.Notes(m.Runner)
			}
			if len(s.Releases) > 0 {
				_, _ = s.Between(s.Releases[0], Version{raw: Unreleased})
			}
		}
		if _, err := m.Marshal(data); err != nil {
			t.Fatalf("a parsed map does not marshal: %v", err)
		}
	})
}

func TestSaveKeepsFileMode(t *testing.T) {
	dir := t.TempDir()
	m := &Map{Relmig: FormatVersion}
	fresh := filepath.Join(dir, "new.yaml")
	if err := m.Save(fresh); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(fresh); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("new map mode = %v, %v; want 0644", fi.Mode(), err)
	}
	for _, mode := range []os.FileMode{0o664, 0o600, 0o640} {
		old := filepath.Join(dir, "old.yaml")
		if err := os.WriteFile(old, []byte("relmig: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(old, mode); err != nil {
			t.Fatal(err)
		}
		if err := m.Save(old); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(old); err != nil || fi.Mode().Perm() != mode {
			t.Errorf("saved mode = %v, %v; want %v kept", fi.Mode(), err, mode)
		}
	}
}
