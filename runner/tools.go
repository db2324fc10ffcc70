package runner

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/runner/toolchain"
)

// toolchainFor resolves the toolchain a migration runs with in the
// checkout (or repository) at root: nil with toolchain off; otherwise the
// checkout's requirements, read from its cwd up (or the map's node and
// package_manager overrides), from PATH, the cache, or (toolchain: auto)
// fetched into the cache. Every choice and fetch is announced as an
// EventSetup note before it happens. One resolution per checkout, cwd and
// overrides is kept for the run.
func (r *Runner) toolchainFor(ctx context.Context, e releasemap.RangeEntry, s releasemap.Runner, root string, ahead bool) (*toolchain.Toolchain, error) {
	var mode toolchain.Mode
	switch s.Toolchain {
	case "", releasemap.ToolchainOff:
		return nil, nil
	case releasemap.ToolchainAuto:
		mode = toolchain.ModeAuto
	case releasemap.ToolchainPath:
		mode = toolchain.ModePath
	default:
		return nil, fmt.Errorf("toolchain %q: want auto, path or off", s.Toolchain)
	}
	key := strings.Join([]string{root, s.Cwd, s.Toolchain, s.Node, s.PackageManager}, "\x00")
	r.mu.Lock()
	tc, ok := r.toolchains[key]
	r.mu.Unlock()
	if ok {
		return tc, nil
	}
	needs, err := toolchain.Detect(root, s.Cwd)
	if err != nil {
		return nil, fmt.Errorf("toolchain: %w", err)
	}
	if s.Node != "" {
		spec, err := toolchain.ParseNodeSpec(s.Node, toolchain.Source{})
		if err != nil {
			return nil, fmt.Errorf("toolchain: node: %w", err)
		}
		needs.Node = []toolchain.NodeSpec{spec}
	}
	if s.PackageManager != "" {
		pm, err := toolchain.ParsePackageManager(s.PackageManager, toolchain.Source{})
		if err != nil {
			return nil, fmt.Errorf("toolchain: package_manager: %w", err)
		}
		needs.PackageManager = &pm
	}
	tools := r.opts.ToolCacheDir
	if tools == "" {
		tools = filepath.Join(r.opts.CacheDir, "tools")
	}
	res, err := toolchain.New(toolchain.Options{
		CacheDir: tools, Env: r.opts.Env, Mode: mode, Registry: r.opts.Registry,
		Report: func(ev toolchain.Event) {
			r.note(e, ahead, ev.String())
		},
	})
	if err != nil {
		return nil, err
	}
	tc, err = res.Resolve(ctx, needs)
	if err != nil {
		return nil, fmt.Errorf("toolchain for %s: %w", e.Release, err)
	}
	r.mu.Lock()
	r.toolchains[key] = tc
	r.mu.Unlock()
	return tc, nil
}

// withToolchain puts tc's folders first on env's PATH and sets its
// variables; env is returned as is when tc is nil.
func withToolchain(env map[string]string, tc *toolchain.Toolchain) map[string]string {
	if tc == nil {
		return env
	}
	out := make(map[string]string, len(env)+2)
	for _, kv := range tc.Apply(envList(env)) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[k] = v
		}
	}
	return out
}

// toolchainKey names the versions of tc's tools (not where they came
// from, which changes from one run to the next).
func toolchainKey(tc *toolchain.Toolchain) string {
	var parts []string
	for _, t := range []*toolchain.Tool{tc.Node, tc.PackageManager, tc.NPM} {
		if t != nil {
			parts = append(parts, t.Name+"@"+t.Version.String())
		}
	}
	return strings.Join(parts, " ")
}
