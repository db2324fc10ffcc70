package process

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mattn/go-shellwords"
)

// fuzzVars gives every placeholder, and every {env.NAME} the template uses,
// the value v.
func fuzzVars(v string, envNames []string) Vars {
	env := map[string]string{}
	for _, n := range envNames {
		env[n] = v
	}
	return Vars{Path: v, URI: v, DB: v, ID: v, Release: v, Cache: v, MapDir: v, Env: env}
}

// FuzzTemplate checks that parsing never panics, that errors are one line,
// and that substitution never changes how many words a command has, whatever
// the values contain: a value is always one argument.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"npx ts-node --transpile-only {path}",
		"node {path} --db {db} --uri={uri}",
		`node "{path}" '{{x}}' {env.REDIS_HOST}:6379`,
		"sh -c 'echo {id}' | tee {release}.log",
		`FOO=1 node $HOME/{path} 2>&1`,
		"{", "}", "{{", "}}", "{env.}", "{env.A}{env.B}", `\{path}`, "a\\", "'", `"{path}`,
		"é{path}€", "$(date) `id`", `node {map_dir}/b.js --store {cache}/s`, `sh -c 'cd "{map_dir}"'`,
	} {
		f.Add(s, "a b'c\"d$e")
	}
	f.Fuzz(func(t *testing.T, s, v string) {
		oneLine := func(err error) {
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error for %q: %q", s, err)
			}
		}
		tpl, err := ParseTemplate(s)
		oneLine(err)
		if err == nil {
			if tpl.String() != s {
				t.Fatalf("String() = %q, want %q", tpl.String(), s)
			}
			simple, err := tpl.Expand(fuzzVars("v", tpl.EnvNames()))
			if err != nil {
				t.Fatalf("Expand with simple values: %v", err)
			}
			got, err := tpl.Expand(fuzzVars(v, tpl.EnvNames()))
			oneLine(err)
			if err == nil && len(got) != len(simple) {
				t.Fatalf("value %q changed the word count of %q: %q vs %q", v, s, got, simple)
			}
			if err != nil && v != "" && !strings.Contains(v, "\x00") {
				t.Fatalf("Expand(%q) failed: %v", v, err)
			}
		}

		sh, err := ParseShellTemplate(s)
		oneLine(err)
		if err == nil {
			if argv, err := sh.Expand(fuzzVars(v, sh.EnvNames())); err == nil && len(argv) != 3 {
				t.Fatalf("shell argv = %q", argv)
			}
		}

		txt, err := ParseText(s)
		oneLine(err)
		if err == nil {
			got, err := txt.Expand(fuzzVars(v, txt.EnvNames()))
			oneLine(err)
			if err == nil && !strings.ContainsAny(s, "{}") && got != s {
				t.Fatalf("text without braces changed: %q -> %q", s, got)
			}
		}

		// Any string, braces escaped, is a text template for itself.
		esc := strings.NewReplacer("{", "{{", "}", "}}").Replace(v)
		if txt, err := ParseText(esc); err != nil {
			t.Fatalf("ParseText(%q): %v", esc, err)
		} else if got, err := txt.Expand(Vars{}); err != nil || got != v {
			t.Fatalf("escaped text %q expanded to %q, %v", esc, got, err)
		}

		// Shell quoting reads back as exactly one word, the value itself
		// (go-shellwords reads runes, so it needs valid UTF-8).
		if !strings.Contains(v, "\x00") && utf8.ValidString(v) {
			words, err := shellwords.Parse(ShellQuote(v))
			if err != nil || !slices.Equal(words, []string{v}) {
				t.Fatalf("ShellQuote(%q) parsed back as %q, %v", v, words, err)
			}
		}
	})
}
