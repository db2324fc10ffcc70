package toolchain

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// describe lists requirements for a reason or an error:
// ".nvmrc:1 16.15.1 and package.json: engines.node >=16".
func describe(specs []NodeSpec) string {
	parts := make([]string, len(specs))
	for i, s := range specs {
		parts[i] = s.String()
	}
	return strings.Join(parts, " and ")
}

// allowsAll reports whether v satisfies every requirement.
func allowsAll(specs []NodeSpec, v *semver.Version) bool {
	for _, s := range specs {
		if !s.Allows(v) {
			return false
		}
	}
	return true
}

// resolveNode picks the node: PATH's when it satisfies every requirement,
// else the highest satisfying version in the cache, else the highest in
// the registry, fetched. With no requirement, PATH's node (any version) or
// none.
func (r *Resolver) resolveNode(ctx context.Context, specs []NodeSpec) (*Tool, error) {
	pathOnly := r.opts.Mode == ModePath
	for _, s := range specs {
		pathOnly = pathOnly || s.PathOnly
	}
	var onPath string
	exe := lookPath("node", envValue(r.opts.Env, "PATH"))
	if exe != "" {
		v, err := probeVersion(ctx, exe, r.opts.Env)
		switch {
		case err != nil:
			onPath = fmt.Sprintf("PATH's node does not run (%v)", err)
		case allowsAll(specs, v):
			reason := "no version required"
			if len(specs) > 0 {
				reason = "satisfies " + describe(specs)
			}
			t := &Tool{Name: "node", Version: v, Exe: exe, Origin: OriginPath}
			r.opts.Report(Event{Kind: EventUse, Tool: "node", Version: v.String(), Origin: OriginPath, Dir: filepath.Dir(exe), Reason: reason})
			return t, nil
		default:
			onPath = fmt.Sprintf("PATH has node v%s", v)
		}
	} else {
		onPath = "PATH has no node"
	}
	if len(specs) == 0 {
		return nil, nil
	}
	why := onPath + ", " + describe(specs)
	if pathOnly {
		return nil, fmt.Errorf("node: %s (only PATH may be used)", why)
	}
	pkg, err := nodePackage(r.opts.GOOS, r.opts.GOARCH)
	if err != nil {
		return nil, err
	}
	for _, v := range r.cachedVersions(pkg) {
		if allowsAll(specs, v) {
			dir := filepath.Join(r.opts.CacheDir, cacheKey(pkg, v.Original()))
			r.opts.Report(Event{Kind: EventUse, Tool: "node", Package: pkg, Version: v.Original(), Origin: OriginCache, Dir: dir, Reason: why})
			return &Tool{Name: "node", Version: v, Exe: filepath.Join(dir, binDir, "node"), Dir: dir, Origin: OriginCache}, nil
		}
	}
	meta, err := r.metadata(ctx, pkg)
	if err != nil {
		return nil, fmt.Errorf("node for %s: %w", describe(specs), err)
	}
	m, v, ok := meta.pick(func(v *semver.Version) bool { return allowsAll(specs, v) })
	if !ok {
		return nil, fmt.Errorf("node: no version of %s in %s satisfies %s", pkg, r.opts.Registry, describe(specs))
	}
	check := func(dir string, _ marker) error {
		got, err := probeVersion(ctx, filepath.Join(dir, binDir, "node"), r.opts.Env)
		if err != nil {
			return err
		}
		if !got.Equal(v) {
			return fmt.Errorf("its node runs as v%s", got)
		}
		return nil
	}
	dir, _, err := r.install(ctx, "node", m, why, check)
	if err != nil {
		return nil, err
	}
	r.opts.Report(Event{Kind: EventUse, Tool: "node", Package: pkg, Version: v.Original(), Origin: OriginFetched, Dir: dir, Reason: describe(specs)})
	return &Tool{Name: "node", Version: v, Exe: filepath.Join(dir, binDir, "node"), Dir: dir, Origin: OriginFetched}, nil
}

// pmPackage names the registry package of a package manager version:
// yarn 1 is `yarn`, later yarns are `@yarnpkg/cli-dist` (as corepack has it).
func pmPackage(pm PackageManager) string {
	if pm.Name == "yarn" && pm.Version.Major() >= 2 {
		return "@yarnpkg/cli-dist"
	}
	return pm.Name
}

// resolvePackageManager picks the package manager: PATH's when it is the
// exact version named (probed with env, the toolchain's node first on
// PATH), else the cached or fetched package. A fetched or cached package
// must match packageManager's hash, when it has one, and its engines.node
// must accept the node in use.
func (r *Resolver) resolvePackageManager(ctx context.Context, pm PackageManager, node *Tool, env []string) (*Tool, error) {
	want := pm.Source.String() + " " + pm.String()
	if node == nil {
		return nil, fmt.Errorf("%s: needs node, and PATH has none and the checkout names no node version", want)
	}
	var onPath string
	if exe := lookPath(pm.Name, envValue(r.opts.Env, "PATH")); exe != "" {
		v, err := probeVersion(ctx, exe, env)
		switch {
		case err != nil:
			onPath = fmt.Sprintf("PATH's %s does not run (%v)", pm.Name, err)
		case v.Equal(pm.Version):
			r.opts.Report(Event{Kind: EventUse, Tool: pm.Name, Version: v.String(), Origin: OriginPath, Dir: filepath.Dir(exe), Reason: "is " + want})
			return &Tool{Name: pm.Name, Version: v, Exe: exe, Origin: OriginPath}, nil
		default:
			onPath = fmt.Sprintf("PATH has %s %s", pm.Name, v)
		}
	} else {
		onPath = "PATH has no " + pm.Name
	}
	why := onPath + ", " + want
	if r.opts.Mode == ModePath {
		return nil, fmt.Errorf("%s: %s (only PATH may be used)", pm.Name, why)
	}
	pkg := pmPackage(pm)
	ver := pm.Version.Original()
	check := func(_ string, mk marker) error {
		if pm.Hash != "" && mk.Digests[pm.HashAlgo] != pm.Hash {
			return fmt.Errorf("%s: the tarball's %s is %s, not the one packageManager names", pm.Source, pm.HashAlgo, mk.Digests[pm.HashAlgo])
		}
		if e := mk.EnginesNode; e != "" {
			c, err := semver.NewConstraint(e)
			if err == nil && !c.Check(node.Version) {
				return fmt.Errorf("%s needs node %s (its engines.node), the toolchain's node is %s", pm, e, node.Version)
			}
		}
		return nil
	}
	dir := filepath.Join(r.opts.CacheDir, cacheKey(pkg, ver))
	origin := OriginCache
	mk, err := readMarker(dir)
	if err != nil {
		meta, err := r.metadata(ctx, pkg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", want, err)
		}
		m, ok := meta.Versions[ver]
		if !ok {
			return nil, fmt.Errorf("%s: the registry %s has no %s@%s", want, r.opts.Registry, pkg, ver)
		}
		if dir, mk, err = r.install(ctx, pm.Name, m, why, nil); err != nil {
			return nil, err
		}
		origin = OriginFetched
	}
	if err := check(dir, mk); err != nil {
		return nil, fmt.Errorf("%s@%s in %s: %w", pkg, ver, dir, err)
	}
	bin := pm.Name
	if _, ok := mk.Bin[bin]; !ok {
		return nil, fmt.Errorf("%s@%s declares no %s executable", pkg, ver, bin)
	}
	r.opts.Report(Event{Kind: EventUse, Tool: pm.Name, Package: pkg, Version: ver, Origin: origin, Dir: dir, Reason: why})
	return &Tool{Name: pm.Name, Version: pm.Version, Exe: filepath.Join(dir, binDir, bin), Dir: dir, Origin: origin}, nil
}

// resolveNPM picks the npm that goes with a node not taken from PATH: the
// npm on PATH belongs to PATH's node, and a newer npm fails on an older
// node (npm 10's npx on node 16: "tracingChannel is not a function"). It
// takes the highest cached npm whose engines.node accepts the node, else
// the highest such npm in the registry.
func (r *Resolver) resolveNPM(ctx context.Context, node *Tool) (*Tool, error) {
	accepts := func(engines string) bool {
		c, err := semver.NewConstraint(engines)
		return engines != "" && err == nil && c.Check(node.Version)
	}
	why := fmt.Sprintf("an npm whose engines.node accepts node %s (PATH's npm goes with PATH's node)", node.Version)
	for _, v := range r.cachedVersions("npm") {
		if v.Prerelease() != "" {
			continue
		}
		dir := filepath.Join(r.opts.CacheDir, cacheKey("npm", v.Original()))
		if mk, err := readMarker(dir); err == nil && accepts(mk.EnginesNode) {
			r.opts.Report(Event{Kind: EventUse, Tool: "npm", Package: "npm", Version: v.Original(), Origin: OriginCache, Dir: dir, Reason: why})
			return &Tool{Name: "npm", Version: v, Exe: filepath.Join(dir, binDir, "npm"), Dir: dir, Origin: OriginCache}, nil
		}
	}
	meta, err := r.metadata(ctx, "npm")
	if err != nil {
		return nil, fmt.Errorf("npm for node %s: %w", node.Version, err)
	}
	m, v, ok := meta.pick(func(v *semver.Version) bool {
		return v.Prerelease() == "" && accepts(meta.Versions[v.Original()].enginesNode())
	})
	if !ok {
		return nil, fmt.Errorf("npm for node %s: no version in %s accepts it", node.Version, r.opts.Registry)
	}
	dir, _, err := r.install(ctx, "npm", m, why, nil)
	if err != nil {
		return nil, err
	}
	r.opts.Report(Event{Kind: EventUse, Tool: "npm", Package: "npm", Version: v.Original(), Origin: OriginFetched, Dir: dir, Reason: why})
	return &Tool{Name: "npm", Version: v, Exe: filepath.Join(dir, binDir, "npm"), Dir: dir, Origin: OriginFetched}, nil
}
