package releasemap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds a release map file: a map of thousands of migrations
// is a few hundred KiB, so anything larger is refused before it is read.
const MaxFileSize = 4 << 20

// Load reads and strictly decodes the map at path. Syntax errors, unknown
// keys, wrong types and a second YAML document come back together as a
// *ProblemsError with file:line; Load does not validate the content (see
// Validate and CheckFile). A file larger than MaxFileSize is refused unread.
func Load(path string) (*Map, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read release map: %w", err)
	}
	defer f.Close()
	tooBig := &ProblemsError{Problems: []Problem{{File: path, Msg: fmt.Sprintf("larger than %d MiB: not a release map", MaxFileSize>>20)}}}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileSize {
		return nil, tooBig
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read release map: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, tooBig
	}
	return Parse(data, path)
}

// CheckFile loads the map at path and validates it with opts, returning every
// problem of both steps at once: unknown keys and wrong types do not hide
// the problems validation finds elsewhere (the checks against the
// repository, opts.Files, wait until the map decodes). The map is nil only
// when the file could not be read or parsed at all.
func CheckFile(path string, opts ValidateOptions) (*Map, error) {
	m, err := Load(path)
	if m == nil {
		return nil, err
	}
	var decode *ProblemsError
	if err != nil && !errors.As(err, &decode) {
		return m, err
	}
	if decode != nil {
		// A mistyped key (dirr:) would make every file look unnamed: the
		// checks against the repository wait until the map decodes.
		opts.Files = false
	}
	verr := m.Validate(opts)
	if decode == nil {
		return m, verr
	}
	var val *ProblemsError
	if !errors.As(verr, &val) {
		return m, decode
	}
	// A value that did not decode is zero in the model; validation's
	// complaints on the same line would only repeat the decoding problem.
	ps := &problems{file: m.file, list: append([]Problem(nil), decode.Problems...)}
	bad := map[int]bool{}
	for _, p := range decode.Problems {
		bad[p.Line] = true
	}
	for _, p := range val.Problems {
		if !bad[p.Line] {
			ps.list = append(ps.list, p)
		}
	}
	return m, ps.err()
}

// yamlLine finds the "line N" that yaml.v3 puts in its messages.
var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// Parse strictly decodes a map from data; file names it in problems. When
// the only problems are unknown keys, wrong types or a second document,
// the map decoded from the rest comes back with the *ProblemsError, so
// that Check can validate it too; otherwise the map is nil.
func Parse(data []byte, file string) (*Map, error) {
	ps := &problems{file: file}

	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		ps.add(yamlErrLine(err.Error()))
		return nil, ps.err()
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		ps.add(0, "empty file: a release map starts with `relmig: 1`")
		return nil, ps.err()
	}
	if doc := root.Content[0]; doc.Kind != yaml.MappingNode {
		ps.add(doc.Line, "a release map is a mapping of keys (relmig, dir, releases, …), not a %s", kindName(doc.Kind))
		return nil, ps.err()
	}

	var m Map
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			ps.add(yamlErrLine(err.Error()))
			return nil, ps.err()
		}
		for _, msg := range te.Errors {
			ps.add(yamlErrLine(msg))
		}
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		ps.add(lineOr(next.Line, 1), "a second YAML document starts here: a release map is one document (remove the `---`)")
	case !errors.Is(err, io.EOF):
		ps.add(yamlErrLine(err.Error()))
	}
	m.file = file
	indexLines(&m, root.Content[0])
	return &m, ps.err()
}

// yamlErrLine splits a yaml.v3 message into its line and the rest, and
// rewords the Go type names it mentions so users see YAML terms.
func yamlErrLine(msg string) (int, string, string) {
	line := 0
	if sub := yamlLine.FindStringSubmatch(msg); sub != nil {
		line, _ = strconv.Atoi(sub[1])
		msg = sub[2]
	}
	return line, "%s", friendlyYAML(msg)
}

// yaml.v3's two strict-decoding messages, reworded in the terms a map author
// knows: "unknown key" and "expected X, found Y".
var (
	yamlUnknown  = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	yamlMismatch = regexp.MustCompile("^cannot unmarshal !!(\\w+) (?:`(.*)` )?into (\\S+)$")
)

func friendlyYAML(msg string) string {
	if sub := yamlUnknown.FindStringSubmatch(msg); sub != nil {
		return fmt.Sprintf("unknown key %q in %s", sub[1], typeName(sub[2]))
	}
	if sub := yamlMismatch.FindStringSubmatch(msg); sub != nil {
		found := map[string]string{"seq": "a list", "map": "a mapping", "str": "a string", "int": "a number",
			"bool": "a boolean", "float": "a number", "null": "nothing", "timestamp": "a date"}[sub[1]]
		if found == "" {
			found = sub[1]
		}
		if sub[2] != "" {
			found += fmt.Sprintf(" (%s)", sub[2])
		}
		return fmt.Sprintf("expected %s, found %s", typeName(sub[3]), found)
	}
	return msg
}

// typeName names a Go type of this package the way the README does.
func typeName(goType string) string {
	t := strings.TrimPrefix(strings.TrimPrefix(goType, "*"), "releasemap.")
	if strings.HasPrefix(t, "[]") {
		return "a list"
	}
	if strings.HasPrefix(t, "map[") {
		return "a mapping"
	}
	switch t {
	case "Map":
		return "the map"
	case "Release":
		return "a release"
	case "Migration":
		return "a migration"
	case "Runner", "RunnerOverride":
		return "runner settings"
	case "TagRule":
		return "tags"
	case "Requires":
		return "requires"
	case "Check":
		return "a check"
	case "string":
		return "a string"
	case "int", "int64":
		return "a whole number"
	case "bool":
		return "true or false"
	}
	return t
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// indexLines records where each release, migration and check starts, and the
// line of each of their keys, so validation can point at them.
func indexLines(m *Map, doc *yaml.Node) {
	m.lines = keyLines(doc)
	if n := mapValue(doc, "runner"); n != nil {
		m.runnerLines = keyLines(n)
	}
	if n := mapValue(doc, "releases"); n != nil && n.Kind == yaml.SequenceNode {
		for i, rn := range n.Content {
			if i >= len(m.Releases) {
				break
			}
			r := &m.Releases[i]
			r.line, r.lines = rn.Line, keyLines(rn)
			if mn := mapValue(rn, "migrations"); mn != nil && mn.Kind == yaml.SequenceNode {
				indexMigrations(r.Migrations, mn)
			}
		}
	}
	if n := mapValue(doc, "unreleased"); n != nil && n.Kind == yaml.SequenceNode {
		indexMigrations(m.Unreleased, n)
	}
}

func indexMigrations(ms []Migration, seq *yaml.Node) {
	for j, gn := range seq.Content {
		if j >= len(ms) {
			break
		}
		g := &ms[j]
		g.line, g.lines = gn.Line, keyLines(gn)
		for _, key := range []string{"pre", "post"} {
			checks := g.Pre
			if key == "post" {
				checks = g.Post
			}
			if cn := mapValue(gn, key); cn != nil && cn.Kind == yaml.SequenceNode {
				for k, c := range cn.Content {
					if k < len(checks) {
						checks[k].line = c.Line
					}
				}
			}
		}
	}
}

func keyLines(n *yaml.Node) map[string]int {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	lines := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		lines[n.Content[i].Value] = n.Content[i].Line
	}
	return lines
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
