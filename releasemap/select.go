package releasemap

import (
	"github.com/bmatcuk/doublestar/v4"
)

// DefaultInclude returns the include globs of a map that sets none: files
// whose extension is a script language's. Documentation, data and
// configuration (README.md, *.json, *.yaml, TEMPLATE, binary databases),
// and so the map itself, are left out.
func DefaultInclude() []string {
	return []string{"**/*.{js,cjs,mjs,ts,cts,mts,sh,bash,py,rb,sql}"}
}

// DefaultExclude returns the exclude globs of a map that sets none: tests,
// specs and type declarations beside real scripts, dotfiles and dot-folders,
// tool configuration, and down migrations (which would otherwise run, in
// name order before their up migration).
func DefaultExclude() []string {
	return []string{
		"**/*.spec.*", "**/*.test.*", "**/*.d.ts", "**/*.d.mts", "**/*.d.cts",
		"**/__tests__/**", "**/__mocks__/**", "**/node_modules/**",
		"**/.*", "**/.*/**", "**/*.config.*",
		"**/down.*", "**/*.down.*", "**/*_down.*", "**/*-down.*", "**/down/**",
	}
}

// ScriptGlobs returns the include and exclude globs the map selects scripts
// with: its own, or the defaults for a list it leaves empty.
func (m *Map) ScriptGlobs() (include, exclude []string) {
	include, exclude = m.Include, m.Exclude
	if len(include) == 0 {
		include = DefaultInclude()
	}
	if len(exclude) == 0 {
		exclude = DefaultExclude()
	}
	return include, exclude
}

// IsScript reports whether a path relative to the migrations folder is a
// script under the map's include and exclude globs.
func (m *Map) IsScript(rel string) bool {
	include, exclude := m.ScriptGlobs()
	return matchAny(include, rel) && !matchAny(exclude, rel)
}

func matchAny(globs []string, p string) bool {
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, p); ok {
			return true
		}
	}
	return false
}
