package derive

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/relmig/relmig/releasemap"
)

// inferredCommands are the runner commands map build writes for a script
// extension when the map has no runner command: a first map that runs.
// Extensions not listed (.sql, .rb) get none; map check then asks for one.
func inferredCommand(ext string) string {
	switch ext {
	case ".js", ".cjs", ".mjs":
		return "node {path}"
	case ".ts", ".mts", ".cts":
		return "npx ts-node --transpile-only {path}"
	case ".sh":
		return "sh {path}"
	case ".bash":
		return "bash {path}"
	case ".py":
		return "python3 {path}"
	}
	return ""
}

// RunnerReviewNote is the comment map build puts above a runner section it
// inferred: a person must confirm the command before the first --apply.
const RunnerReviewNote = "inferred by relmig map build from the scripts' extensions: review it (command, env, workdir, setup) before the first `relmig up --apply`, then delete this comment"

// inferRunner sets the runner command of a map that has none from its
// migrations' extensions: the most common one gives the default, and
// migrations of another inferable extension get their own command. It
// returns a one-line description of what it did, "" when it did nothing.
func inferRunner(m *releasemap.Map) string {
	if m.Runner.Command != "" {
		return ""
	}
	var all []*releasemap.Migration
	for i := range m.Releases {
		for j := range m.Releases[i].Migrations {
			all = append(all, &m.Releases[i].Migrations[j])
		}
	}
	for j := range m.Unreleased {
		all = append(all, &m.Unreleased[j])
	}
	count := map[string]int{}
	for _, g := range all {
		if g.Command == nil && inferredCommand(path.Ext(g.ScriptPath())) != "" {
			count[inferredCommand(path.Ext(g.ScriptPath()))]++
		}
	}
	if len(count) == 0 {
		return ""
	}
	cmds := make([]string, 0, len(count))
	for c := range count {
		cmds = append(cmds, c)
	}
	sort.Slice(cmds, func(i, j int) bool {
		if count[cmds[i]] != count[cmds[j]] {
			return count[cmds[i]] > count[cmds[j]]
		}
		return cmds[i] < cmds[j]
	})
	m.Runner.Command = cmds[0]
	overrides := 0
	for _, g := range all {
		if c := inferredCommand(path.Ext(g.ScriptPath())); g.Command == nil && c != "" && c != cmds[0] {
			g.Command = &c
			overrides++
		}
	}
	m.SetComment("runner", RunnerReviewNote)
	desc := fmt.Sprintf("runner.command %q for %d scripts", cmds[0], count[cmds[0]])
	if overrides > 0 {
		desc += fmt.Sprintf(", and a command of their own for %d (%s)", overrides, strings.Join(cmds[1:], ", "))
	}
	return desc
}

// withoutRunner lists, comma-separated, the extensions of the migrations
// that have no runner command after inference ("" when none).
func withoutRunner(m *releasemap.Map) string {
	seen := map[string]bool{}
	var exts []string
	each := func(ms []releasemap.Migration) {
		for i := range ms {
			if strings.TrimSpace(ms[i].Effective(m.Runner).Command) != "" {
				continue
			}
			ext := path.Ext(ms[i].ScriptPath())
			if ext == "" {
				ext = "files without an extension"
			}
			if !seen[ext] {
				seen[ext] = true
				exts = append(exts, ext)
			}
		}
	}
	for i := range m.Releases {
		each(m.Releases[i].Migrations)
	}
	each(m.Unreleased)
	sort.Strings(exts)
	return strings.Join(exts, ", ")
}
