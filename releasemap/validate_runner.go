package releasemap

import "strings"

// ToolchainChecker validates the toolchain overrides of runner settings:
// Node a node requirement (`16.15.1`, `>=20 <21`), PackageManager a
// `name@version`. The runner owns both languages.
type ToolchainChecker interface {
	Node(s string) error
	PackageManager(s string) error
}

// The values of the runner's toolchain key.
const (
	ToolchainAuto = "auto" // PATH when it satisfies the checkout, else the cache, else fetched
	ToolchainPath = "path" // PATH only: a checkout PATH does not satisfy is an error
	ToolchainOff  = "off"  // the environment as it is (the default)
)

// runnerKeys checks the runner keys that running real applications
// needs: cwd, toolchain, node and package_manager.
func (v *validator) runnerKeys(lineOf func(string) int, where string, r Runner) {
	if r.Cwd != "" {
		if _, ok := insidePath(r.Cwd); !ok {
			v.ps.add(lineOf("cwd"), "%scwd %q is outside the checkout: want a relative folder inside it", where, r.Cwd)
		}
	}
	switch r.Toolchain {
	case "", ToolchainAuto, ToolchainPath, ToolchainOff:
	default:
		v.ps.add(lineOf("toolchain"), "%stoolchain %q: want auto, path or off", where, r.Toolchain)
	}
	if tc := v.opts.Toolchain; tc != nil {
		if r.Node != "" {
			if err := tc.Node(r.Node); err != nil {
				v.ps.add(lineOf("node"), "%snode: %v", where, err)
			}
		}
		if r.PackageManager != "" {
			if err := tc.PackageManager(r.PackageManager); err != nil {
				v.ps.add(lineOf("package_manager"), "%spackage_manager: %v", where, err)
			}
		}
	}
}

// topRequires checks the map-wide requires.
func (v *validator) topRequires() {
	v.requires(v.m.lines["requires"], "requires", v.m.Requires)
}

// requires checks one requires block; where prefixes its messages.
func (v *validator) requires(line int, where string, req Requires) {
	for _, e := range req.Env {
		if !envName.MatchString(e) {
			v.ps.add(line, "%s.env %q is not a valid variable name", where, e)
		}
	}
	for _, r := range req.Reachable {
		if !hostPort.MatchString(r) {
			v.ps.add(line, "%s.reachable %q is not host:port", where, r)
		} else {
			v.template(line, where+".reachable", r, false, false)
		}
	}
}

// noop checks a migration declared as doing nothing: it needs a reason.
func (v *validator) noop(g *Migration) {
	if _, set := g.lines["noop"]; !set && g.Noop == "" {
		return
	}
	line := g.lineOf("noop")
	if strings.TrimSpace(g.Noop) == "" {
		v.ps.add(line, "%s: noop needs a reason (why the script does nothing when run)", g.ID)
	}
}
