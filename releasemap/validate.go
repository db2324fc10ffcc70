package releasemap

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/relmig/relmig/internal/wildmatch"
)

// ValidateOptions chooses the checks that need more than the file itself.
type ValidateOptions struct {
	// Files checks the repository on disk: the migrations folder exists,
	// every script exists, and the folder has no script the map does not
	// name.
	Files bool
	// Templates, when set, validates commands and templated strings; the
	// runner owns the template language.
	Templates TemplateChecker
	// Folder is the migrations folder the file checks read; nil means the
	// work tree on disk (the map's repo and dir).
	Folder Folder
	// Runnable also requires what running needs and planning does not:
	// every migration has a runner command. `map check` and `up` (dry run
	// and --apply) set it; `between` and `status` do not.
	Runnable bool
	// Toolchain, when set, validates node and package_manager overrides.
	Toolchain ToolchainChecker
}

// TemplateChecker validates the map's templates. Command checks a command
// (run with /bin/sh -c when shell is true); Text checks a templated string
// such as an env value or a reachable address.
type TemplateChecker interface {
	Command(s string, shell bool) error
	Text(s string) error
}

var (
	envName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	hostPort = regexp.MustCompile(`^\S+:(\d+|\{[^}]+\})$`)
)

// Validate reports everything a run would trip on, all at once, as a
// *ProblemsError sorted by line; nil when the map is sound.
func (m *Map) Validate(opts ValidateOptions) error {
	ps := &problems{file: m.file}
	v := validator{m: m, ps: ps, opts: opts, versions: map[string]Version{}, release: map[string]Version{}}
	v.top()
	v.releases()
	v.migrations()
	if opts.Runnable {
		v.commands()
	}
	if opts.Files {
		v.files()
	}
	return ps.err()
}

type validator struct {
	m        *Map
	ps       *problems
	opts     ValidateOptions
	versions map[string]Version // release as written → parsed (valid ones)
	release  map[string]Version // migration id → its release
	order    map[string]int     // migration id → position in map order
}

func (v *validator) top() {
	m := v.m
	if m.Relmig != FormatVersion {
		line := m.lines["relmig"]
		if line == 0 {
			v.ps.add(1, "missing `relmig: %d` (the map format version)", FormatVersion)
		} else {
			v.ps.add(line, "relmig: %d is not a map format this relmig reads (want %d)", m.Relmig, FormatVersion)
		}
	}
	switch m.Order {
	case "", OrderName, OrderAdded:
	default:
		v.ps.add(m.lines["order"], "order %q: want name or added", m.Order)
	}
	if m.Dir != "" {
		if _, ok := insidePath(m.Dir); !ok {
			v.ps.add(m.lines["dir"], "dir %q is outside the repository", m.Dir)
		}
	}
	if m.Tags.Match != "" && wildmatch.Validate(m.Tags.Match) != nil {
		v.ps.add(m.lines["tags"], "tags.match %q is not a valid glob (%v)", m.Tags.Match, wildmatch.Validate(m.Tags.Match))
	}
	for _, key := range []string{"include", "exclude"} {
		globs := m.Include
		if key == "exclude" {
			globs = m.Exclude
		}
		for _, g := range globs {
			if !doublestar.ValidatePattern(g) {
				v.ps.add(m.lines[key], "%s glob %q is not valid", key, g)
			}
		}
	}
	runnerLines := m.runnerLines
	v.runner(func(key string) int { return lineOr(runnerLines[key], m.lines["runner"]) }, "runner.", m.Runner)
	v.topRequires()
}

// runner checks one set of runner settings; where names them in messages
// and lineOf finds the line of each key.
func (v *validator) runner(lineOf func(string) int, where string, r Runner) {
	switch r.Workdir {
	case "", "release", "current":
	default:
		v.ps.add(lineOf("workdir"), "%sworkdir %q: want release or current", where, r.Workdir)
	}
	for _, t := range []struct{ key, value string }{{"timeout", r.Timeout}, {"setup_timeout", r.SetupTimeout}} {
		if t.value == "" {
			continue
		}
		if d, err := time.ParseDuration(t.value); err != nil || d <= 0 {
			v.ps.add(lineOf(t.key), "%s%s %q is not a positive duration such as 30m", where, t.key, t.value)
		}
	}
	if r.DoneMarker != "" {
		if _, err := regexp.Compile(r.DoneMarker); err != nil {
			v.ps.add(lineOf("done_marker"), "%sdone_marker %q is not a valid regular expression: %v", where, r.DoneMarker, regexpReason(err))
		}
	}
	for name, val := range r.Env {
		if !envName.MatchString(name) {
			v.ps.add(lineOf("env"), "%senv: %q is not a valid variable name", where, name)
		}
		v.template(lineOf("env"), where+"env."+name, val, false, false)
	}
	v.template(lineOf("command"), where+"command", r.Command, true, r.Shell)
	// setup is install glue ("pnpm install && …"): always run with a shell.
	v.template(lineOf("setup"), where+"setup", r.Setup, true, true)
	v.runnerKeys(lineOf, where, r)
}

func (v *validator) template(line int, where, t string, command, shell bool) {
	if t == "" || v.opts.Templates == nil {
		return
	}
	var err error
	if command {
		err = v.opts.Templates.Command(t, shell)
	} else {
		err = v.opts.Templates.Text(t)
	}
	if err != nil {
		v.ps.add(line, "%s: %v", where, err)
	}
}

func regexpReason(err error) string {
	s := err.Error()
	if i := strings.Index(s, ": "); i >= 0 && strings.HasPrefix(s, "error parsing regexp") {
		return s[i+2:]
	}
	return s
}

func (v *validator) releases() {
	m := v.m
	seen := map[string]int{}
	for i := range m.Releases {
		r := &m.Releases[i]
		if r.Version == "" {
			v.ps.add(r.line, "release without version")
			continue
		}
		ver, err := ParseVersion(r.Version, m.Tags.Prefix)
		switch {
		case err != nil:
			v.ps.add(lineOr(r.lines["version"], r.line), "release version %v", err)
			continue
		case ver.IsUnreleased():
			v.ps.add(lineOr(r.lines["version"], r.line), "%q is not a release version: list unreleased scripts under the top-level `unreleased` key", r.Version)
			continue
		}
		if first, dup := seen[ver.Semver().String()]; dup {
			v.ps.add(lineOr(r.lines["version"], r.line), "release %s appears twice (first on line %d)", r.Version, first)
			continue
		}
		seen[ver.Semver().String()] = r.line
		v.versions[r.Version] = ver
		if r.Date != "" && !isDate(r.Date) {
			v.ps.add(lineOr(r.lines["date"], r.line), "date %q is not a date (2006-01-02 or RFC 3339)", r.Date)
		}
		if _, err := orderRelease(r.Version, r.Migrations); err != nil {
			v.ps.add(lineOr(r.lines["migrations"], r.line), "%v", err)
		}
		if m.Order == OrderName {
			for j := 1; j < len(r.Migrations); j++ {
				a, b := &r.Migrations[j-1], &r.Migrations[j]
				if a.ID != "" && b.ID != "" && CompareNames(a.ID, b.ID) > 0 {
					v.ps.add(b.line, "%s comes after %s, but order: name runs it first (sort the release, or set order: added)", b.ID, a.ID)
				}
			}
		}
	}
	for i := range m.Releases {
		r := &m.Releases[i]
		for _, p := range r.Parents {
			pv, ok := v.versions[p]
			if !ok {
				v.ps.add(lineOr(r.lines["parents"], r.line), "parent %q is not a release of this map", p)
			} else if own, ok := v.versions[r.Version]; ok && !pv.Less(own) {
				v.ps.add(lineOr(r.lines["parents"], r.line), "parent %s is not below %s", p, r.Version)
			}
		}
	}
	if _, err := orderRelease(Unreleased, m.Unreleased); err != nil {
		v.ps.add(m.lines["unreleased"], "%v", err)
	}
}

func lineOr(line, fallback int) int {
	if line > 0 {
		return line
	}
	return fallback
}

func isDate(s string) bool {
	if _, err := time.Parse("2006-01-02", s); err == nil {
		return true
	}
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}

// each calls fn for every migration with its release (as parsed; zero when
// the release's version is bad).
func (v *validator) each(fn func(g *Migration, rel Version, relLine int)) {
	for i := range v.m.Releases {
		r := &v.m.Releases[i]
		for j := range r.Migrations {
			fn(&r.Migrations[j], v.versions[r.Version], r.line)
		}
	}
	for j := range v.m.Unreleased {
		fn(&v.m.Unreleased[j], Version{raw: Unreleased}, v.m.lines["unreleased"])
	}
}

// idLine is a migration by id and line.
type idLine struct {
	id   string
	line int
}

func (v *validator) migrations() {
	ids := map[string]int{}
	files := map[string]idLine{}
	v.order = map[string]int{}
	n := 0
	v.each(func(g *Migration, rel Version, _ int) {
		if g.ID == "" {
			v.ps.add(g.line, "migration without id")
			return
		}
		if first, dup := ids[g.ID]; dup {
			v.ps.add(g.line, "duplicate id %q (first on line %d)", g.ID, first)
			return
		}
		ids[g.ID] = g.line
		p := path.Clean(g.ScriptPath())
		if first, dup := files[p]; dup {
			v.ps.add(g.lineOf("path"), "%s names the same file as %s (line %d): one file is one migration", g.ID, first.id, first.line)
		} else {
			files[p] = idLine{g.ID, g.line}
		}
		v.release[g.ID] = rel
		v.order[g.ID] = n
		n++
	})
	v.each(v.migration)
}

func (v *validator) migration(g *Migration, rel Version, _ int) {
	if g.ID == "" {
		return
	}
	prefix := v.m.Tags.Prefix
	idOK := v.canonical(g.line, "id", g.ID)
	pathOK := g.Path == "" || v.canonical(g.lineOf("path"), "path", g.Path)
	if idOK && pathOK {
		if _, ok := insidePath(g.ScriptPath()); !ok {
			v.ps.add(g.lineOf("path"), "%s: path %q is outside the repository", g.ID, g.ScriptPath())
		}
	}
	for _, dep := range g.After {
		depRel, ok := v.release[dep]
		switch {
		case dep == g.ID:
			v.ps.add(g.lineOf("after"), "%s: after names itself", g.ID)
		case !ok:
			v.ps.add(g.lineOf("after"), "%s: after names unknown id %q", g.ID, dep)
		case !rel.IsZero() && !depRel.IsZero() && rel.Less(depRel):
			v.ps.add(g.lineOf("after"), "%s: after names %q of a later release (%s): it could never run first", g.ID, dep, depRel)
		}
	}
	later := func(key, val string) {
		if val == "" {
			return
		}
		x, err := ParseVersion(val, prefix)
		switch {
		case err != nil:
			v.ps.add(g.lineOf(key), "%s: %s %v", g.ID, key, err)
		case !rel.IsZero() && !rel.IsUnreleased() && !rel.Less(x):
			v.ps.add(g.lineOf(key), "%s: %s %s is not after the migration's own release %s", g.ID, key, val, rel)
		}
	}
	later("before", g.Before)
	later("removed_in", g.RemovedIn)
	for _, f := range g.FirstIn {
		if _, ok := v.versions[f]; !ok {
			v.ps.add(g.lineOf("first_in"), "%s: first_in names %q, not a release of this map", g.ID, f)
		}
	}
	for _, e := range g.Requires.Env {
		if !envName.MatchString(e) {
			v.ps.add(g.lineOf("requires"), "%s: requires.env %q is not a valid variable name", g.ID, e)
		}
	}
	for _, r := range g.Requires.Reachable {
		if !hostPort.MatchString(r) {
			v.ps.add(g.lineOf("requires"), "%s: requires.reachable %q is not host:port", g.ID, r)
		} else {
			v.template(g.lineOf("requires"), g.ID+": requires.reachable", r, false, false)
		}
	}
	for _, c := range g.Pre {
		v.check(g, "pre", c)
	}
	for _, c := range g.Post {
		v.check(g, "post", c)
	}
	if g.SHA256 != "" {
		if b, err := hex.DecodeString(g.SHA256); err != nil || len(b) != 32 {
			v.ps.add(g.lineOf("sha256"), "%s: sha256 %q is not 64 hex digits", g.ID, g.SHA256)
		}
	}
	if g.Added != "" && !isDate(g.Added) {
		v.ps.add(g.lineOf("added"), "%s: added %q is not a date (RFC 3339)", g.ID, g.Added)
	}
	v.runner(g.lineOf, g.ID+": ", g.Effective(Runner{}))
	v.noop(g)
}

// commands reports, once, the migrations that have no runner command.
func (v *validator) commands() {
	var none []string
	v.each(func(g *Migration, _ Version, _ int) {
		if g.ID != "" && strings.TrimSpace(g.Effective(v.m.Runner).Command) == "" && !slices.Contains(none, g.ID) {
			none = append(none, g.ID)
		}
	})
	if len(none) == 0 {
		return
	}
	line := lineOr(v.m.lines["runner"], 1)
	if len(none) > 3 {
		none = append(none[:3], fmt.Sprintf("%d more", len(none)-3))
	}
	v.ps.add(line, "no runner command for %s: set runner.command (map build infers one from the scripts' extensions)", strings.Join(none, ", "))
}

// canonical reports whether an id or path is written the one way it can be:
// a clean slash path relative to the migrations folder, without "./",
// "..", a trailing or doubled "/", NUL or other control characters. Two
// spellings of one file would otherwise be two migrations that both run.
func (v *validator) canonical(line int, what, p string) bool {
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			v.ps.add(line, "%s %q contains a control character", what, p)
			return false
		}
	}
	clean := path.Clean(p)
	switch {
	case strings.Contains(p, "\\"):
		v.ps.add(line, "%s %q: use / between folders", what, p)
		return false
	case path.IsAbs(p):
		v.ps.add(line, "%s %q must be relative to the migrations folder", what, p)
		return false
	case clean == ".." || strings.HasPrefix(clean, "../"):
		v.ps.add(line, "%s %q is outside the migrations folder", what, p)
		return false
	case clean != p || clean == ".":
		v.ps.add(line, "%s %q is not canonical: write %q", what, p, clean)
		return false
	}
	return true
}

func (v *validator) check(g *Migration, key string, c Check) {
	line := lineOr(c.line, g.lineOf(key))
	if c.Collection == "" {
		v.ps.add(line, "%s: %s check without collection", g.ID, key)
	}
	if c.Min == nil && c.Max == nil {
		v.ps.add(line, "%s: %s check needs min or max", g.ID, key)
	}
	if c.Min != nil && *c.Min < 0 || c.Max != nil && *c.Max < 0 {
		v.ps.add(line, "%s: %s check bounds must not be negative", g.ID, key)
	}
	if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
		v.ps.add(line, "%s: %s check min %d is above max %d", g.ID, key, *c.Min, *c.Max)
	}
	if _, err := c.FilterDoc(); err != nil {
		v.ps.add(line, "%s: %s filter: %v", g.ID, key, err)
	}
}

// FilterDoc converts the check's filter, written in YAML with MongoDB
// Extended JSON conventions ({$date: …}, {$oid: …}), to a BSON document.
func (c Check) FilterDoc() (bson.D, error) {
	if len(c.Filter) == 0 {
		return bson.D{}, nil
	}
	data, err := json.Marshal(jsonable(c.Filter))
	if err != nil {
		return nil, fmt.Errorf("not expressible as a document: %w", err)
	}
	var doc bson.D
	if err := bson.UnmarshalExtJSON(data, false, &doc); err != nil {
		return nil, fmt.Errorf("not a valid query document: %w", err)
	}
	return doc, nil
}

// jsonable turns YAML-decoded values into ones encoding/json accepts
// (yaml.v3 may produce map[any]any for non-string keys and time.Time for
// unquoted timestamps).
func jsonable(x any) any {
	switch t := x.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			out[k] = jsonable(v)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			out[fmt.Sprint(k)] = jsonable(v)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, v := range t {
			out[i] = jsonable(v)
		}
		return out
	case time.Time:
		return map[string]any{"$date": t.Format(time.RFC3339Nano)}
	}
	return x
}

// insidePath cleans a slash path and reports whether it stays inside its
// root (relative, no escaping "..").
func insidePath(p string) (string, bool) {
	if p == "" || path.IsAbs(p) || filepath.IsAbs(p) || strings.Contains(p, "\\") {
		return p, false
	}
	c := path.Clean(p)
	return c, c != ".." && !strings.HasPrefix(c, "../")
}

// RepoRoot returns the repository folder: `repo` relative to the map's own
// folder, or that folder when `repo` is empty.
func (m *Map) RepoRoot() string {
	base := filepath.Dir(m.file)
	if m.Repo == "" {
		return base
	}
	if filepath.IsAbs(m.Repo) {
		return m.Repo
	}
	return filepath.Join(base, filepath.FromSlash(m.Repo))
}

// MigrationsDir returns the migrations folder on disk.
func (m *Map) MigrationsDir() string {
	return filepath.Join(m.RepoRoot(), filepath.FromSlash(m.Dir))
}
