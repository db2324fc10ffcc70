package releasemap

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// One file is one migration: ids and paths have one spelling, and two
// entries that resolve to one file are refused.
func TestIDsAreCanonical(t *testing.T) {
	cases := []struct {
		name, migration, want string
	}{
		{"dot slash", `{id: ./a.sh}`, `id "./a.sh" is not canonical: write "a.sh"`},
		{"dot dot inside", `{id: x/../a.sh}`, `id "x/../a.sh" is not canonical: write "a.sh"`},
		{"escaping", `{id: ../a.sh}`, `id "../a.sh" is outside the migrations folder`},
		{"trailing slash", `{id: a/}`, `id "a/" is not canonical: write "a"`},
		{"double slash", `{id: "a//b.sh"}`, `id "a//b.sh" is not canonical: write "a/b.sh"`},
		{"dot", `{id: .}`, `id "." is not canonical`},
		{"absolute", `{id: /etc/a.sh}`, `id "/etc/a.sh" must be relative`},
		{"NUL", `{id: "a\0.sh"}`, `contains a control character`},
		{"newline", `{id: "a\n.sh"}`, `contains a control character`},
		{"DEL", `{id: "a\x7f.sh"}`, `contains a control character`},
		{"backslash", `{id: 'a\b.sh'}`, `use / between folders`},
		{"path not canonical", `{id: b, path: ./a.sh}`, `path "./a.sh" is not canonical: write "a.sh"`},
		{"same file as path", `{id: b, path: a.sh}`, `b names the same file as a.sh (line 6)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := "relmig: 1\nrunner: {command: \"sh {path}\"}\nreleases:\n  - version: v1.0.0\n    migrations:\n      - {id: a.sh}\n      - " + tc.migration + "\n"
			m, err := Parse([]byte(doc), "x.yaml")
			if err != nil {
				t.Fatal(err)
			}
			err = m.Validate(ValidateOptions{Runnable: true})
			if err == nil || !strings.Contains(err.Error(), "x.yaml:7: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want x.yaml:7: …%s", err, tc.want)
			}
		})
	}
	ok := "relmig: 1\nreleases:\n  - version: v1.0.0\n    migrations:\n      - {id: a.sh}\n      - {id: sub/b.sh}\n      - {id: c, path: sub/c.sh}\n      - {id: é.sh}\n"
	m, err := Parse([]byte(ok), "ok.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(ValidateOptions{}); err != nil {
		t.Errorf("canonical ids refused: %v", err)
	}
}

// A script that resolves through a symlink outside the repository, and two
// entries whose files are one through a symlink, are refused by the file
// checks.
func TestValidateFilesSymlinks(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	outside := filepath.Join(root, "outside.sh")
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(outside, "rm -rf /\n")
	write(filepath.Join(repo, "m", "a.sh"), "echo a\n")
	write(filepath.Join(repo, "lib", "real.sh"), "echo real\n")
	for link, target := range map[string]string{
		"m/evil.sh":   outside,
		"m/alias.sh":  "a.sh",
		"m/shared.sh": "../lib/real.sh",
	} {
		if err := os.Symlink(target, filepath.Join(repo, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	doc := `relmig: 1
dir: m
runner: {command: "sh {path}"}
releases:
  - version: v1.0.0
    migrations:
      - id: a.sh
      - id: evil.sh
      - id: alias.sh
      - id: shared.sh
`
	file := filepath.Join(repo, "releasemap.yaml")
	write(file, doc)
	_, err := CheckFile(file, ValidateOptions{Files: true, Runnable: true})
	if err == nil {
		t.Fatal("want problems")
	}
	msg := err.Error()
	for _, w := range []string{
		"releasemap.yaml:8: evil.sh: m/evil.sh resolves to " + outside + ", outside the repository",
		"releasemap.yaml:9: alias.sh: m/alias.sh is the same file as a.sh (line 7): one file is one migration",
	} {
		if !strings.Contains(msg, w) {
			t.Errorf("missing %q in\n%s", w, msg)
		}
	}
	if strings.Contains(msg, "shared.sh") {
		t.Errorf("a link inside the repository was refused:\n%s", msg)
	}
}

func TestParseRefusesASecondDocument(t *testing.T) {
	for _, doc := range []string{
		"relmig: 1\nreleases: []\n---\nrelmig: 1\n",
		"relmig: 1\nreleases: []\n---\n",
	} {
		_, err := Parse([]byte(doc), "x.yaml")
		if err == nil || !strings.Contains(err.Error(), "x.yaml:") || !strings.Contains(err.Error(), "a second YAML document starts here") {
			t.Errorf("%q: err = %v", doc, err)
		}
	}
}

func TestLoadRefusesAHugeFileUnread(t *testing.T) {
	file := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: the size is there, the bytes are not (and are not read).
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Load(file)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "big.yaml: larger than 4 MiB") {
		t.Errorf("err = %v", err)
	}
}

// Unknown keys no longer hide the other problems: CheckFile reports both,
// and a value that did not decode is not reported twice.
func TestCheckFileReportsDecodingAndValidationTogether(t *testing.T) {
	doc := `relmig: 1
colour: blue
releases:
  - version: v1.0.0
    migrations:
      - id: ./a.js
      - id: b.js
        idempotent: maybe
        after: [ghost.js]
`
	file := filepath.Join(t.TempDir(), "releasemap.yaml")
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := CheckFile(file, ValidateOptions{Runnable: true})
	var pe *ProblemsError
	if m == nil || !errors.As(err, &pe) {
		t.Fatalf("m = %v, err = %v", m, err)
	}
	var got []string
	for _, p := range pe.Problems {
		got = append(got, p.String())
	}
	want := []string{
		file + `:1: no runner command for ./a.js, b.js: set runner.command (map build infers one from the scripts' extensions)`,
		file + `:2: unknown key "colour" in the map`,
		file + `:6: id "./a.js" is not canonical: write "a.js"`,
		file + `:8: expected true or false, found a string (maybe)`,
		file + `:9: b.js: after names unknown id "ghost.js"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The commands that load the map refuse it too (Load fails).
	if _, err := Load(file); !errors.Is(err, ErrInvalid) {
		t.Errorf("Load: %v", err)
	}
}
