package process

import (
	"slices"
	"strings"
	"testing"
)

var testVars = Vars{
	Path:    "migrations/in-app integration/it's.migration.ts",
	URI:     "mongodb://admin:pw@db:27017/novu?authSource=admin",
	DB:      "novu",
	ID:      "in-app-integration/in-app-integration.migration.ts",
	Release: "v0.18.0",
	Cache:   "/home/op/.cache/relmig/shared",
	MapDir:  "/srv/novu map",
	Env:     map[string]string{"REDIS_HOST": "redis.local", "EMPTY": "", "WEIRD": `a "b" $c; d | e`},
}

func TestTemplateExpand(t *testing.T) {
	for _, tc := range []struct {
		tmpl string
		want []string
	}{
		{"npx ts-node --transpile-only {path}", []string{"npx", "ts-node", "--transpile-only", testVars.Path}},
		{"node {path} --db {db}", []string{"node", testVars.Path, "--db", "novu"}},
		{"x {path} {uri} {db} {id} {release} {env.REDIS_HOST}", []string{"x", testVars.Path, testVars.URI, "novu", testVars.ID, "v0.18.0", "redis.local"}},
		{"node {map_dir}/build.js --store {cache}/store", []string{"node", "/srv/novu map/build.js", "--store", "/home/op/.cache/relmig/shared/store"}},
		{"node --uri={uri} --tag=rel-{release}-x", []string{"node", "--uri=" + testVars.URI, "--tag=rel-v0.18.0-x"}},
		{`node "{path}" '{db}'`, []string{"node", testVars.Path, "novu"}}, // quoting does not stop substitution
		{`node "two words" 'and {{braces}}'`, []string{"node", "two words", "and {braces}"}},
		{"node {env.WEIRD} {env.EMPTY}", []string{"node", testVars.Env["WEIRD"], ""}},
		{`node -e 'console.log($x)' a=b`, []string{"node", "-e", "console.log($x)", "a=b"}},
		{"  node\t{path}\n", []string{"node", testVars.Path}},
		{"node ./x.js {{}}", []string{"node", "./x.js", "{}"}},
	} {
		tpl, err := ParseTemplate(tc.tmpl)
		if err != nil {
			t.Errorf("ParseTemplate(%q): %v", tc.tmpl, err)
			continue
		}
		got, err := tpl.Expand(testVars)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Expand(%q) = %q, %v; want %q", tc.tmpl, got, err, tc.want)
		}
		if tpl.String() != tc.tmpl || tpl.Shell() {
			t.Errorf("String() = %q, Shell() = %v", tpl.String(), tpl.Shell())
		}
	}
}

func TestTemplateParseErrors(t *testing.T) {
	for _, tc := range []struct{ tmpl, want string }{
		{"", "empty command"},
		{"   \t", "empty command"},
		{"node {paht}", `unknown placeholder "{paht}" at column 6 (want {path}, {uri}, {db}, {id}, {release}, {cache}, {map_dir} or {env.NAME})`},
		{"node {PATH}", "unknown placeholder"},
		{"node {env.}", "unknown placeholder"},
		{"node {env.1X}", "unknown placeholder"},
		{"node {env.A-B}", "unknown placeholder"},
		{"node {env.A B}", "unknown placeholder"},
		{"node {path", "unclosed { at column 6"},
		{"node path}", "unbalanced } at column 10"},
		{"é {x}", "at column 3"}, // columns count characters, not bytes
		{"node x.js | tee out", `shell operator '|' at column 11 needs a shell`},
		{"node x.js > out", "shell operator '>'"},
		{"node x.js 2>&1", "shell operator"},
		{"node a.js; node b.js", "shell operator ';'"},
		{"node x.js &", "shell operator '&'"},
		{"node $HOME/x.js", "$HOME is not expanded without a shell: write {env.HOME}"},
		{`node "$HOME"`, "$HOME is not expanded"},
		{"FOO=1 node x.js", `assignment "FOO=1" before the command needs a shell`},
		{"node 'unbalanced", "cannot split command into words"},
		{"node (x)", "cannot split command into words"},
		{`node x\`, "cannot split command into words"},
	} {
		_, err := ParseTemplate(tc.tmpl)
		if err == nil {
			t.Errorf("ParseTemplate(%q) accepted it", tc.tmpl)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseTemplate(%q) error = %q, want one line containing %q", tc.tmpl, err, tc.want)
		}
	}
}

func TestTemplateExpandErrors(t *testing.T) {
	for _, tc := range []struct {
		tmpl string
		vars Vars
		want string
	}{
		{"node {uri}", Vars{}, "placeholder {uri} has no value"},
		{"node {path}", Vars{}, "placeholder {path} has no value"},
		{"node {map_dir}/x.js", Vars{}, "placeholder {map_dir} has no value"},
		{"node {env.REDIS_HOST}", Vars{}, "environment variable REDIS_HOST is not set"},
		{"node {path}", Vars{Path: "a\x00b"}, "NUL byte"},
	} {
		tpl, err := ParseTemplate(tc.tmpl)
		if err != nil {
			t.Fatalf("ParseTemplate(%q): %v", tc.tmpl, err)
		}
		if _, err := tpl.Expand(tc.vars); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Expand(%q) error = %v, want %q", tc.tmpl, err, tc.want)
		}
	}
}

func TestTemplateEnvNames(t *testing.T) {
	tpl, err := ParseTemplate("node {env.B} {path} x{env.A}y {env.B}")
	if err != nil {
		t.Fatal(err)
	}
	if got := tpl.EnvNames(); !slices.Equal(got, []string{"B", "A"}) {
		t.Errorf("EnvNames = %q", got)
	}
	sh, _ := ParseShellTemplate("echo {env.C} | cat")
	txt, _ := ParseText("{env.REDIS_HOST}:6379")
	if !slices.Equal(sh.EnvNames(), []string{"C"}) || !slices.Equal(txt.EnvNames(), []string{"REDIS_HOST"}) {
		t.Errorf("EnvNames = %q, %q", sh.EnvNames(), txt.EnvNames())
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"{env.REDIS_HOST}:6379", "redis.local:6379"},
		{"{uri}", testVars.URI},
		{"  spaces stay  ", "  spaces stay  "},
		{"{{literal}} {db}", "{literal} novu"},
		{"", ""},
	} {
		got, err := ExpandText(tc.in, testVars)
		if err != nil || got != tc.want {
			t.Errorf("ExpandText(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"{nope}", "{env.MISSING}", "{"} {
		if _, err := ExpandText(in, testVars); err == nil {
			t.Errorf("ExpandText(%q) succeeded", in)
		}
	}
	if txt, err := ParseText("a{db}"); err != nil || txt.String() != "a{db}" {
		t.Errorf("String() = %v, %v", txt, err)
	}
}

// TestShellTemplateRoundTrip runs the expanded command through the real
// /bin/sh: whatever a value contains and wherever the placeholder stands,
// the shell must read back exactly the value.
func TestShellTemplateRoundTrip(t *testing.T) {
	values := []string{
		"plain", "two words", "it's", `a"b`, `back\slash`, "$(touch /tmp/relmig-pwned)",
		"`id`", "$HOME", "tab\tand\nnewline", "'", "''", `"`, "!*?[a]", "-n", "{braces}",
	}
	for _, tc := range []struct {
		tmpl string
		want func(v string) string
	}{
		{`printf '%s|' {path}`, func(v string) string { return v + "|" }},
		{`printf '%s|' "{path}"`, func(v string) string { return v + "|" }},
		{`printf '%s|' "x{path}y"`, func(v string) string { return "x" + v + "y|" }},
		{`printf '%s|' 'x{path}y'`, func(v string) string { return "x" + v + "y|" }},
		{`printf '%s|' x{path}y`, func(v string) string { return "x" + v + "y|" }},
		{`printf '%s|' "it's {path}" 'say "{path}"' \{{`, func(v string) string { return "it's " + v + `|say "` + v + `"|{|` }},
	} {
		tpl, err := ParseShellTemplate(tc.tmpl)
		if err != nil {
			t.Fatalf("ParseShellTemplate(%q): %v", tc.tmpl, err)
		}
		for _, v := range values {
			argv, err := tpl.Expand(Vars{Path: v})
			if err != nil {
				t.Fatalf("Expand: %v", err)
			}
			if len(argv) != 3 || argv[0] != "/bin/sh" || argv[1] != "-c" {
				t.Fatalf("argv = %q", argv)
			}
			res, err := run(t, Spec{Argv: argv, Env: shEnv})
			if err != nil {
				t.Fatalf("%s: %v (%s)", argv[2], err, res.Tail)
			}
			if want := tc.want(v); res.Tail != want {
				t.Errorf("template %q, value %q: sh printed %q, want %q (script %q)", tc.tmpl, v, res.Tail, want, argv[2])
			}
		}
	}
}

func TestShellTemplateErrors(t *testing.T) {
	for _, tmpl := range []string{"", "  ", "echo {nope}", `echo \{path}`, `echo "\{path}"`, "echo }"} {
		if _, err := ParseShellTemplate(tmpl); err == nil {
			t.Errorf("ParseShellTemplate(%q) accepted it", tmpl)
		}
	}
	// Shell syntax is the shell's business: pipes, redirections and
	// variables are fine here.
	tpl, err := ParseShellTemplate(`FOO=1 node {path} 2>&1 | tee "$LOG"`)
	if err != nil || !tpl.Shell() {
		t.Fatalf("ParseShellTemplate: %v", err)
	}
	argv, err := tpl.Expand(Vars{Path: "a b"})
	if err != nil || argv[2] != `FOO=1 node 'a b' 2>&1 | tee "$LOG"` {
		t.Errorf("Expand = %q, %v", argv, err)
	}
}

func TestShellTemplateRefusesOpaquePlaceholders(t *testing.T) {
	for _, tc := range []struct {
		cmd, where string // where == "": accepted
	}{
		{`node {path} # uses {uri}`, "a shell comment"},
		{`node x#{uri} {path}`, ""}, // a # inside a word is not a comment
		{"echo start # note\nnode {path}", ""},
		{"cat <<EOF | mongosh\nuse {db}\nEOF", "a here-document"},
		{`echo "$(printf %s {uri})"`, "a command substitution $(…)"},
		{`echo $( (cd x && echo {id}) )`, "a command substitution $(…)"},
		{`echo $(pwd) {id}`, ""},
		{"echo `echo {id}`", "a command substitution `…`"},
		{"echo `date` {id}", ""},
		{`sh -c "node {path}"`, "the command of a nested shell (sh -c, bash -c or eval)"},
		{`/bin/bash -lc 'node {path}'`, "the command of a nested shell (sh -c, bash -c or eval)"},
		{`eval node {path}`, "the command of a nested shell (sh -c, bash -c or eval)"},
		{`cd app && node {path} | tee '#log'`, ""},
		{`echo '$(' {id}`, ""}, // quoted: not a substitution
		{`MONGO_URL={uri} node "{path}"`, ""},
	} {
		_, err := ParseShellTemplate(tc.cmd)
		switch {
		case tc.where == "" && err != nil:
			t.Errorf("ParseShellTemplate(%q) = %v, want it accepted", tc.cmd, err)
		case tc.where != "" && (err == nil || !strings.Contains(err.Error(), "is inside "+tc.where)):
			t.Errorf("ParseShellTemplate(%q) = %v, want a refusal naming %s", tc.cmd, err, tc.where)
		}
	}
}

func TestExposesURI(t *testing.T) {
	for _, tc := range []struct {
		cmd   string
		shell bool
		want  bool
	}{
		{"node {path} --uri {uri}", false, true},
		{"node {path}", false, false},
		{`MONGO_URL={uri} node {path}`, true, true},
		{`node {path} {{uri}}`, false, false},
	} {
		if got := ExposesURI(tc.cmd, tc.shell); got != tc.want {
			t.Errorf("ExposesURI(%q, %v) = %v, want %v", tc.cmd, tc.shell, got, tc.want)
		}
	}
}
