// Package releasemap is the release map: the model of releasemap.yaml, strict
// loading with file:line problems, stable saving, validation, run order, and
// the ranges an upgrade must run (`between`). It never prints, reads the
// environment or touches a database.
package releasemap

// FormatVersion is the only value of the map's `relmig:` key this code reads.
const FormatVersion = 1

// Map is one release map file. Its YAML keys are the interface users write;
// see README.md for each. Derived fields (tag, date, commit, added, sha256,
// parents, first_in, removed_in, renamed_from) are written by `map build`;
// every other field is written by hand and survives a rebuild.
type Map struct {
	Relmig  int      `yaml:"relmig"`
	Repo    string   `yaml:"repo,omitempty"`
	Dir     string   `yaml:"dir,omitempty"`
	Tags    TagRule  `yaml:"tags,omitempty"`
	Include []string `yaml:"include,omitempty,flow"`
	Exclude []string `yaml:"exclude,omitempty,flow"`
	// Order is the order inside a release: OrderName or OrderAdded; empty
	// is OrderAdded (map build writes the one it detects).
	Order  string `yaml:"order,omitempty"`
	Runner Runner `yaml:"runner,omitempty"`
	// Requires are map-wide requirements, merged into every migration's
	// (see Migration.EffectiveRequires).
	Requires   Requires    `yaml:"requires,omitempty"`
	Releases   []Release   `yaml:"releases"`
	Unreleased []Migration `yaml:"unreleased,omitempty"`

	// file is the path the map was loaded from; problems name it.
	file string
	// lines and runnerLines hold the line of each top-level and runner key.
	lines, runnerLines map[string]int
	// comments are head comments Marshal puts above top-level keys.
	comments map[string]string
}

// SetComment asks Marshal to write text as a comment above the top-level
// key (such as "runner"), unless the file already has a comment there.
func (m *Map) SetComment(key, text string) {
	if m.comments == nil {
		m.comments = map[string]string{}
	}
	m.comments[key] = text
}

// TagRule says which git tags are releases: a glob on the tag name, a prefix
// stripped before the rest is parsed as semver, and whether pre-releases count.
type TagRule struct {
	Match       string `yaml:"match,omitempty"`
	Prefix      string `yaml:"prefix,omitempty"`
	Prereleases bool   `yaml:"prereleases,omitempty"`
}

// Runner holds how scripts are run. The map's top-level runner gives the
// defaults; a migration overrides any key with a RunnerOverride.
type Runner struct {
	// Command is a template: {path}, {uri}, {db}, {id}, {release}, {env.NAME}.
	Command string `yaml:"command,omitempty"`
	// Shell runs Command with /bin/sh -c instead of splitting it into words.
	Shell bool `yaml:"shell,omitempty"`
	// Workdir is "release" (a checkout of the migration's own release tag)
	// or "current" (the repository as it is).
	Workdir string `yaml:"workdir,omitempty"`
	// Setup runs once per checkout, e.g. an install of dependencies.
	Setup string `yaml:"setup,omitempty"`
	// Env adds variables; values are templates too.
	Env map[string]string `yaml:"env,omitempty"`
	// Timeout is a Go duration ("30m"); it bounds setup too unless
	// SetupTimeout is set.
	Timeout string `yaml:"timeout,omitempty"`
	// SetupTimeout bounds one checkout's setup (a cold install and build
	// can take far longer than any script).
	SetupTimeout string `yaml:"setup_timeout,omitempty"`
	// DoneMarker is a regular expression: once a line matches, the script
	// counts as finished even if it never exits.
	DoneMarker string `yaml:"done_marker,omitempty"`
	// Cwd is a slash path inside the checkout (or the repository) that
	// command and setup run in; empty means its root.
	Cwd string `yaml:"cwd,omitempty"`
	// Toolchain is where node and the package manager come from: "auto"
	// (PATH when it satisfies the checkout, else relmig's cache, else
	// fetched), "path" (PATH only) or "off" (the default: the environment
	// as it is).
	Toolchain string `yaml:"toolchain,omitempty"`
	// Node overrides the checkout's node requirement (a version or range,
	// as in .nvmrc).
	Node string `yaml:"node,omitempty"`
	// PackageManager overrides the checkout's packageManager
	// ("pnpm@7.33.4").
	PackageManager string `yaml:"package_manager,omitempty"`
}

// RunnerOverride is the per-migration form of Runner: a nil field keeps the
// default, a set one (even to "") replaces it.
type RunnerOverride struct {
	Command        *string           `yaml:"command,omitempty"`
	Shell          *bool             `yaml:"shell,omitempty"`
	Workdir        *string           `yaml:"workdir,omitempty"`
	Setup          *string           `yaml:"setup,omitempty"`
	Env            map[string]string `yaml:"env,omitempty"`
	Timeout        *string           `yaml:"timeout,omitempty"`
	SetupTimeout   *string           `yaml:"setup_timeout,omitempty"`
	DoneMarker     *string           `yaml:"done_marker,omitempty"`
	Cwd            *string           `yaml:"cwd,omitempty"`
	Toolchain      *string           `yaml:"toolchain,omitempty"`
	Node           *string           `yaml:"node,omitempty"`
	PackageManager *string           `yaml:"package_manager,omitempty"`
}

// Release is one semver release and the migrations it introduced, in the
// map's order.
type Release struct {
	Version string `yaml:"version"`
	Tag     string `yaml:"tag,omitempty"`
	Date    string `yaml:"date,omitempty"`
	// Parents are the nearest earlier releases on this release's own git
	// history (derived). When no release of a map has parents, the map is
	// read as one straight line in semver order.
	Parents    []string    `yaml:"parents,omitempty,flow"`
	Migrations []Migration `yaml:"migrations"`

	line  int
	lines map[string]int
}

// Migration is one script named by the map.
type Migration struct {
	ID string `yaml:"id"`
	// Path is relative to the migrations folder; empty means the id.
	Path        string `yaml:"path,omitempty"`
	Description string `yaml:"description,omitempty"`
	// Noop declares a script that does nothing when run, with the reason:
	// an upgrade that passes it records it as skipped with that reason and
	// never runs it.
	Noop   string `yaml:"noop,omitempty"`
	Commit string `yaml:"commit,omitempty"`
	Added  string `yaml:"added,omitempty"`
	SHA256 string `yaml:"sha256,omitempty"`
	// FirstIn lists, when the script reached several lines of history
	// (a back-port, a cherry-pick), the first release on each line that
	// carried it (derived). Empty means only its own release.
	FirstIn     []string `yaml:"first_in,omitempty,flow"`
	RemovedIn   string   `yaml:"removed_in,omitempty"`
	RenamedFrom []string `yaml:"renamed_from,omitempty,flow"`
	Idempotent  bool     `yaml:"idempotent,omitempty"`
	Requires    Requires `yaml:"requires,omitempty"`
	After       []string `yaml:"after,omitempty,flow"`
	Before      string   `yaml:"before,omitempty"`
	Pre         []Check  `yaml:"pre,omitempty"`
	Post        []Check  `yaml:"post,omitempty"`

	RunnerOverride `yaml:",inline"`

	line  int
	lines map[string]int
}

// Requires lists what must be true before any planned migration starts.
type Requires struct {
	Env       []string `yaml:"env,omitempty,flow"`
	Reachable []string `yaml:"reachable,omitempty,flow"`
}

// IsZero reports whether nothing is required; it keeps empty requires out of
// saved maps.
func (r Requires) IsZero() bool { return len(r.Env) == 0 && len(r.Reachable) == 0 }

// Check is a count of documents matching a filter, bounded by Min and/or Max:
// a `pre` check must hold before the run starts, a `post` one after the
// script finished.
type Check struct {
	Collection string         `yaml:"collection"`
	Filter     map[string]any `yaml:"filter,omitempty"`
	Min        *int64         `yaml:"min,omitempty"`
	Max        *int64         `yaml:"max,omitempty"`

	line int
}

// File returns the path the map was loaded from ("" for a map built in
// memory).
func (m *Map) File() string { return m.file }

// ScriptPath returns the migration's path relative to the migrations folder.
func (g *Migration) ScriptPath() string {
	if g.Path != "" {
		return g.Path
	}
	return g.ID
}

// Line returns the line of the migration in its file (0 if unknown).
func (g *Migration) Line() int { return g.line }

// lineOf returns the line of the migration's key, or of the migration.
func (g *Migration) lineOf(key string) int {
	if l := g.lines[key]; l > 0 {
		return l
	}
	return g.line
}

// Line returns the line of the release in its file (0 if unknown).
func (r *Release) Line() int { return r.line }

// Effective returns the runner settings for g: the defaults with g's
// overrides applied, env merged key by key.
func (g *Migration) Effective(defaults Runner) Runner {
	r := defaults
	o := g.RunnerOverride
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&r.Command, o.Command)
	set(&r.Workdir, o.Workdir)
	set(&r.Setup, o.Setup)
	set(&r.Timeout, o.Timeout)
	set(&r.SetupTimeout, o.SetupTimeout)
	set(&r.DoneMarker, o.DoneMarker)
	set(&r.Cwd, o.Cwd)
	set(&r.Toolchain, o.Toolchain)
	set(&r.Node, o.Node)
	set(&r.PackageManager, o.PackageManager)
	if o.Shell != nil {
		r.Shell = *o.Shell
	}
	if len(o.Env) > 0 {
		env := make(map[string]string, len(defaults.Env)+len(o.Env))
		for k, v := range defaults.Env {
			env[k] = v
		}
		for k, v := range o.Env {
			env[k] = v
		}
		r.Env = env
	}
	return r
}

// EffectiveRequires returns g's requirements with the map-wide defaults
// merged in: defaults first, then g's own, each name and address once.
func (g *Migration) EffectiveRequires(defaults Requires) Requires {
	merge := func(a, b []string) []string {
		var out []string
		seen := map[string]bool{}
		for _, s := range append(append([]string(nil), a...), b...) {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		return out
	}
	return Requires{Env: merge(defaults.Env, g.Requires.Env), Reachable: merge(defaults.Reachable, g.Requires.Reachable)}
}
