package process

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mattn/go-shellwords"
)

// Vars holds the values that a template's placeholders expand to.
type Vars struct {
	Path    string            // {path}: the script's path, as the command should see it
	URI     string            // {uri}: the target MongoDB connection string
	DB      string            // {db}: the target database name
	ID      string            // {id}: the migration id
	Release string            // {release}: the migration's release, e.g. v0.18.0
	Cache   string            // {cache}: a folder in relmig's cache that outlives checkouts and runs
	MapDir  string            // {map_dir}: the folder holding the release map, for helper files shipped beside it
	Env     map[string]string // {env.NAME}: the environment the command runs with
}

// placeholderHelp lists the valid placeholders in the wording every parse
// error uses, so a user who mistyped one sees the alternatives.
const placeholderHelp = "{path}, {uri}, {db}, {id}, {release}, {cache}, {map_dir} or {env.NAME}"

// segKind says what a piece of a parsed template is.
type segKind int

const (
	segLiteral segKind = iota
	segPath
	segURI
	segDB
	segID
	segRelease
	segCache
	segMapDir
	segEnv
)

// quoteCtx is the shell quoting in force where a placeholder appears; shell
// mode needs it to insert the value so that the shell reads it back verbatim.
type quoteCtx int

const (
	quoteNone quoteCtx = iota
	quoteSingle
	quoteDouble
)

// segment is a literal run of text or one placeholder.
type segment struct {
	kind  segKind
	text  string   // the literal text, or NAME for {env.NAME}
	quote quoteCtx // shell mode only: the quoting around a placeholder
}

// Template is a validated command template, ready to be expanded into an argv
// for [Spec.Argv]. Create one with [ParseTemplate] or [ParseShellTemplate].
type Template struct {
	raw   string
	shell bool
	words [][]segment // argv mode: one segment list per word
	segs  []segment   // shell mode: the whole string
}

// ParseTemplate parses a command run without a shell, such as
// "npx ts-node --transpile-only {path}". The string is split into words with
// shell quoting rules first and placeholders are substituted inside each word
// afterwards, so a value with spaces or quotes always stays one argument.
// Literal braces are written {{ and }}. Shell operators (| ; & < >),
// $NAME references and leading NAME=value assignments are rejected because
// nothing would interpret them: use [ParseShellTemplate] or {env.NAME}.
// Errors are one line, without the file position, which the caller adds.
func ParseTemplate(s string) (*Template, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty command")
	}
	// go-shellwords reads runes and would silently turn invalid bytes into
	// U+FFFD; a YAML map cannot hold them anyway.
	if !utf8.ValidString(s) {
		return nil, errors.New("command is not valid UTF-8")
	}
	if _, err := scan(s, false); err != nil {
		return nil, err
	}
	words, err := splitWords(s)
	if err != nil {
		return nil, err
	}
	t := &Template{raw: s, words: make([][]segment, 0, len(words))}
	for _, w := range words {
		segs, err := scan(w, false)
		if err != nil {
			return nil, fmt.Errorf("word %q: %w", w, err)
		}
		t.words = append(t.words, segs)
	}
	return t, nil
}

// ParseShellTemplate parses a command that /bin/sh -c runs, for commands that
// need pipes, redirections or shell variables. Placeholders expand to values
// quoted for the shell in the quoting context they appear in (bare, inside
// '…' or inside "…"), so the shell always reads back the exact value. The
// context tracking does not follow quotes nested inside $(…) or comments.
func ParseShellTemplate(s string) (*Template, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty command")
	}
	segs, err := scan(s, true)
	if err != nil {
		return nil, err
	}
	return &Template{raw: s, shell: true, segs: segs}, nil
}

// String returns the template as it was written.
func (t *Template) String() string { return t.raw }

// Shell reports whether the template runs through /bin/sh -c.
func (t *Template) Shell() bool { return t.shell }

// EnvNames returns the NAMEs of the {env.NAME} placeholders in order of first
// use, so that a preflight check can require them before anything runs.
func (t *Template) EnvNames() []string {
	if t.shell {
		return envNames(nil, t.segs)
	}
	var names []string
	for _, w := range t.words {
		names = envNames(names, w)
	}
	return names
}

// Expand substitutes vars and returns the argv to run. It fails when a
// placeholder has no value: an empty {uri} would silently target the wrong
// database, and an unset {env.NAME} is a missing requirement.
func (t *Template) Expand(vars Vars) ([]string, error) {
	if t.shell {
		var b strings.Builder
		for _, sg := range t.segs {
			if sg.kind == segLiteral {
				b.WriteString(sg.text)
				continue
			}
			v, err := value(sg, vars)
			if err != nil {
				return nil, err
			}
			b.WriteString(shellInsert(v, sg.quote))
		}
		return []string{"/bin/sh", "-c", b.String()}, nil
	}
	argv := make([]string, 0, len(t.words))
	for _, w := range t.words {
		s, err := expandSegments(w, vars)
		if err != nil {
			return nil, err
		}
		argv = append(argv, s)
	}
	return argv, nil
}

// Text is a validated template for a single string, such as a requires.reachable
// address "{env.REDIS_HOST}:6379" or an env value "{uri}": no word splitting,
// no quoting. Create one with [ParseText].
type Text struct {
	raw  string
	segs []segment
}

// ParseText parses a single-string template; the placeholder rules are those
// of [ParseTemplate].
func ParseText(s string) (*Text, error) {
	segs, err := scan(s, false)
	if err != nil {
		return nil, err
	}
	return &Text{raw: s, segs: segs}, nil
}

// String returns the template as it was written.
func (t *Text) String() string { return t.raw }

// EnvNames returns the NAMEs of the {env.NAME} placeholders in order of first use.
func (t *Text) EnvNames() []string { return envNames(nil, t.segs) }

// Expand substitutes vars; it fails when a placeholder has no value.
func (t *Text) Expand(vars Vars) (string, error) { return expandSegments(t.segs, vars) }

// ExpandText parses and expands s in one step, for callers that have no use
// for the parsed form.
func ExpandText(s string, vars Vars) (string, error) {
	t, err := ParseText(s)
	if err != nil {
		return "", err
	}
	return t.Expand(vars)
}

func expandSegments(segs []segment, vars Vars) (string, error) {
	var b strings.Builder
	for _, sg := range segs {
		if sg.kind == segLiteral {
			b.WriteString(sg.text)
			continue
		}
		v, err := value(sg, vars)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

func value(sg segment, vars Vars) (string, error) {
	var v, name string
	switch sg.kind {
	case segPath:
		v, name = vars.Path, "{path}"
	case segURI:
		v, name = vars.URI, "{uri}"
	case segDB:
		v, name = vars.DB, "{db}"
	case segID:
		v, name = vars.ID, "{id}"
	case segRelease:
		v, name = vars.Release, "{release}"
	case segCache:
		v, name = vars.Cache, "{cache}"
	case segMapDir:
		v, name = vars.MapDir, "{map_dir}"
	case segEnv:
		ev, ok := vars.Env[sg.text]
		if !ok {
			return "", fmt.Errorf("placeholder {env.%s}: environment variable %s is not set", sg.text, sg.text)
		}
		v, name = ev, "{env."+sg.text+"}"
	default:
		return "", fmt.Errorf("internal error: segment kind %d", sg.kind)
	}
	if v == "" && sg.kind != segEnv {
		return "", fmt.Errorf("placeholder %s has no value", name)
	}
	// The kernel cannot pass a NUL inside an argument or environment value;
	// saying so here beats a bare "invalid argument" from exec.
	if strings.IndexByte(v, 0) >= 0 {
		return "", fmt.Errorf("placeholder %s: value contains a NUL byte", name)
	}
	return v, nil
}

func envNames(names []string, segs []segment) []string {
	for _, sg := range segs {
		if sg.kind == segEnv && !contains(names, sg.text) {
			names = append(names, sg.text)
		}
	}
	return names
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// splitWords splits a no-shell command into words with go-shellwords and
// rejects what only a shell would have understood.
func splitWords(s string) ([]string, error) {
	p := newParser()
	words, err := p.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("cannot split command into words: %w (check quotes, trailing backslashes and parentheses)", err)
	}
	if p.Position >= 0 {
		col := p.Position + 1
		op := "a shell operator"
		if r := []rune(s); p.Position < len(r) {
			op = fmt.Sprintf("shell operator %q", r[p.Position])
		}
		return nil, fmt.Errorf("%s at column %d needs a shell: use a shell command", op, col)
	}
	if len(words) == 0 {
		return nil, errors.New("empty command")
	}
	// A second pass with environment parsing on finds $NAME references that
	// are outside single quotes, exactly as the library sees them; the lookup
	// only records the name.
	var refs []string
	p = newParser()
	p.ParseEnv = true
	p.Getenv = func(name string) string {
		refs = append(refs, name)
		return ""
	}
	if _, err := p.Parse(s); err == nil && len(refs) > 0 {
		return nil, fmt.Errorf("$%s is not expanded without a shell: write {env.%s}, or single-quote it to pass it literally", refs[0], refs[0])
	}
	if envs, _, err := newParser().ParseWithEnvs(s); err == nil && len(envs) > 0 {
		return nil, fmt.Errorf("assignment %q before the command needs a shell: set it in the runner's env instead", envs[0])
	}
	return words, nil
}

// newParser returns a parser with every expansion off, set explicitly so the
// library's package-level defaults can never turn command execution on.
func newParser() *shellwords.Parser {
	p := shellwords.NewParser()
	p.ParseEnv = false
	p.ParseBacktick = false
	p.ParseComment = false
	return p
}

// scan splits s into literal and placeholder segments, validating every
// brace. With shell set it also tracks the shell quoting around each
// placeholder. Errors name a 1-based column in s.
func scan(s string, shell bool) ([]segment, error) {
	var segs []segment
	var lit strings.Builder
	q := quoteNone
	escaped := false
	var sh shellState // shell mode: where quoting cannot be followed
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, segment{kind: segLiteral, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			lit.WriteByte('{')
			i += 2
			escaped = false
			continue
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte('}')
			i += 2
			escaped = false
			continue
		case c == '}':
			return nil, fmt.Errorf("unbalanced } at column %d (write }} for a literal brace)", column(s, i))
		case c == '{':
			end := strings.IndexByte(s[i+1:], '}')
			if end < 0 {
				return nil, fmt.Errorf("unclosed { at column %d (write {{ for a literal brace)", column(s, i))
			}
			body := s[i+1 : i+1+end]
			sg, ok := placeholder(body)
			if !ok {
				return nil, fmt.Errorf("unknown placeholder %q at column %d (want %s)", "{"+body+"}", column(s, i), placeholderHelp)
			}
			if shell && escaped {
				return nil, fmt.Errorf("backslash before placeholder {%s} at column %d: the value is quoted already", body, column(s, i))
			}
			if shell {
				if where := sh.opaque(); where != "" {
					return nil, fmt.Errorf("placeholder {%s} at column %d is inside %s, where its quoting cannot be kept: pass the value in the runner's env and use the variable", body, column(s, i), where)
				}
			}
			sg.quote = q
			flush()
			segs = append(segs, sg)
			i += end + 2
			escaped = false
			continue
		}
		lit.WriteByte(c)
		if shell {
			sh.step(s, i, q, escaped)
			q, escaped = shellQuoteStep(q, escaped, c)
		}
		i++
	}
	flush()
	return segs, nil
}

// shellQuoteStep advances the quoting state of a POSIX shell word by one byte.
func shellQuoteStep(q quoteCtx, escaped bool, c byte) (quoteCtx, bool) {
	if escaped {
		return q, false
	}
	switch q {
	case quoteNone:
		switch c {
		case '\\':
			return q, true
		case '\'':
			return quoteSingle, false
		case '"':
			return quoteDouble, false
		}
	case quoteSingle:
		if c == '\'' {
			return quoteNone, false
		}
	case quoteDouble:
		switch c {
		case '\\':
			return q, true
		case '"':
			return quoteNone, false
		}
	}
	return q, false
}

func placeholder(body string) (segment, bool) {
	switch body {
	case "path":
		return segment{kind: segPath}, true
	case "uri":
		return segment{kind: segURI}, true
	case "db":
		return segment{kind: segDB}, true
	case "id":
		return segment{kind: segID}, true
	case "release":
		return segment{kind: segRelease}, true
	case "cache":
		return segment{kind: segCache}, true
	case "map_dir":
		return segment{kind: segMapDir}, true
	}
	if name, ok := strings.CutPrefix(body, "env."); ok && validEnvName(name) {
		return segment{kind: segEnv, text: name}, true
	}
	return segment{}, false
}

func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || (i > 0 && '0' <= c && c <= '9') {
			continue
		}
		return false
	}
	return true
}

// column converts a byte offset to a 1-based column counted in characters,
// which is what an editor shows.
func column(s string, off int) int { return utf8.RuneCountInString(s[:off]) + 1 }

// ShellQuote returns s single-quoted for a POSIX shell: the shell reads it
// back as exactly s, whatever it contains.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellInsert places a quoted value into the quoting context it appears in by
// closing that context, appending the single-quoted value and reopening it;
// adjacent quoted strings are one word to the shell.
func shellInsert(v string, q quoteCtx) string {
	switch q {
	case quoteSingle:
		return "'" + ShellQuote(v) + "'"
	case quoteDouble:
		return `"` + ShellQuote(v) + `"`
	default:
		return ShellQuote(v)
	}
}

// shellState follows the parts of a shell command where a placeholder's
// value could not be quoted reliably, because the text is read again by
// something other than the word it appears in: a comment (the value would
// vanish, or a newline in it would end the comment), a here-document, a
// command substitution $(…) or `…` (nested quoting), and the argument of a
// nested shell (sh -c, bash -c, eval), which parses it a second time.
type shellState struct {
	comment  bool // from an unquoted # that starts a word, to the newline
	heredoc  bool // after an unquoted <<: the rest may be a document body
	subst    int  // depth of $( … )
	backtick bool
	nested   bool // after sh -c, bash -c, eval …
}

// opaque names the construct a placeholder at this point would be in, or
// returns "".
func (st *shellState) opaque() string {
	switch {
	case st.comment:
		return "a shell comment"
	case st.heredoc:
		return "a here-document"
	case st.subst > 0:
		return "a command substitution $(…)"
	case st.backtick:
		return "a command substitution `…`"
	case st.nested:
		return "the command of a nested shell (sh -c, bash -c or eval)"
	}
	return ""
}

// step advances the state over byte s[i], read with quoting q in force
// before it (escaped: the byte is escaped by a backslash).
func (st *shellState) step(s string, i int, q quoteCtx, escaped bool) {
	c := s[i]
	if st.comment {
		if c == '\n' {
			st.comment = false
		}
		return
	}
	if escaped || q == quoteSingle {
		return
	}
	switch {
	case c == '`':
		st.backtick = !st.backtick
	case c == '$' && i+1 < len(s) && s[i+1] == '(':
		st.subst++
		return // the '(' that follows is part of this opening
	case st.subst > 0 && c == '(' && (i == 0 || s[i-1] != '$'):
		st.subst++
	case st.subst > 0 && c == ')':
		st.subst--
	case q == quoteNone && c == '#' && (i == 0 || isShellBlank(s[i-1]) || strings.IndexByte(";&|(", s[i-1]) >= 0):
		st.comment = true
	case q == quoteNone && c == '<' && i+1 < len(s) && s[i+1] == '<':
		st.heredoc = true
	}
	if q == quoteNone && isShellBlank(c) && nestedShellBefore(s[:i]) {
		st.nested = true
	}
}

func isShellBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

// nestedShellBefore reports whether the text before a blank ends with a
// word that makes the shell parse what follows again: a shell's -c option
// (sh -c, bash -lc …) or eval.
func nestedShellBefore(s string) bool {
	f := strings.Fields(s)
	if len(f) == 0 {
		return false
	}
	last := strings.Trim(f[len(f)-1], "'\"")
	if last == "eval" {
		return true
	}
	if len(f) < 2 || !strings.HasPrefix(last, "-") || strings.HasPrefix(last, "--") || !strings.ContainsRune(last, 'c') {
		return false
	}
	prog := strings.Trim(f[len(f)-2], "'\"")
	if j := strings.LastIndexByte(prog, '/'); j >= 0 {
		prog = prog[j+1:]
	}
	switch prog {
	case "sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "busybox", "su", "sudo":
		return true
	}
	return false
}

// ExposesURI reports whether the command template s puts {uri} on the
// command line, where `ps` shows it (and its password) to every user of
// the host; the runner's env is the place for it.
func ExposesURI(s string, shell bool) bool {
	segs, err := scan(s, shell)
	if err != nil {
		return false
	}
	for _, sg := range segs {
		if sg.kind == segURI {
			return true
		}
	}
	return false
}
